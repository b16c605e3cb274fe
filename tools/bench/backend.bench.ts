/**
 * Training-step speed of the reference U-Net (libs/compute/backend/src/reference-unet.ts: 4 levels,
 * 16..128 filters + 256 bottleneck, 128x128x1 input, batch 8, Adam + BCE-with-logits) on:
 *   - wasm with our training kernels,
 *   - stock wasm (cannot train: no Conv2DBackpropFilter; the row says so),
 *   - stock cpu (one step, capped; BENCH_CPU_CAP_S, default 120 s),
 *   - PyTorch CPU at 1 thread (tools/bench/torch_unet_step.py, with Debian's python3-torch; the row
 *     is skipped when torch is not importable).
 * Steps are repeated after warm-up and the median reported; wall time and this process's CPU time
 * are both shown because the machine may be shared (CPU time is less sensitive to contention).
 * Ratios are against PyTorch when it ran, otherwise against our wasm.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { activateWasm, buildReferenceUnet, referenceTrainStep, wasmBinaryDir } from '@tgs/backend';

const SIZE = 128;
const BATCH = 8;
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const WARMUP = 2;
const CPU_CAP_S = Number(process.env.BENCH_CPU_CAP_S ?? 120);

interface Timing {
  wallMs: number;
  cpuMs: number;
}

interface Row {
  name: string;
  timing?: Timing;
  note: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function batch(): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const x = tf.randomNormal([BATCH, SIZE, SIZE, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.tidy(() => tf.randomUniform([BATCH, SIZE, SIZE, 1], 0, 1, 'float32', 2).greater(0.5).toFloat()) as tf.Tensor4D;
  return { x, y };
}

function timeSteps(steps: number, warmup: number): Timing & { model: tf.LayersModel; optimizer: tf.Optimizer; x: tf.Tensor4D; y: tf.Tensor4D } {
  const model = buildReferenceUnet({ size: SIZE, base: 16, levels: 4 });
  const optimizer = tf.train.adam(1e-3);
  const { x, y } = batch();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    referenceTrainStep(model, optimizer, x, y);
    const dt = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    if (i >= warmup) {
      wall.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
  }
  return { wallMs: median(wall), cpuMs: median(cpu), model, optimizer, x, y };
}

/** Per-kernel totals of one profiled step, largest first. */
async function profileStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor4D, y: tf.Tensor4D): Promise<string> {
  const info = await tf.profile(() => {
    referenceTrainStep(model, optimizer, x, y);
  });
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.calls++;
    byName.set(k.name, e);
  }
  const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((a, [, e]) => a + e.ms, 0);
  const lines = ['| kernel (wasm, ours) | calls | ms | share |', '|---|---:|---:|---:|'];
  for (const [name, e] of rows.slice(0, 12)) lines.push(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)}% |`);
  lines.push(`| (all ${rows.length} kernels) | ${info.kernels.length} | ${total.toFixed(1)} | 100% |`);
  return lines.join('\n');
}

/** Stock wasm: the same step without our kernels. Expected to fail on Conv2DBackpropFilter. */
async function stockWasmRow(): Promise<Row> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmBinaryDir() + '/');
  await tf.setBackend('wasm');
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined) {
    try {
      tf.tidy(() => {
        const model = buildReferenceUnet({ size: 16, base: 4, levels: 2 });
        referenceTrainStep(model, tf.train.adam(1e-3), tf.zeros([1, 16, 16, 1]), tf.zeros([1, 16, 16, 1]));
      });
      return { name: 'wasm, stock kernels', note: 'unexpectedly trained without Conv2DBackpropFilter' };
    } catch (err) {
      return { name: 'wasm, stock kernels', note: `cannot train: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  const t = timeSteps(1, 1);
  return { name: 'wasm, stock kernels', timing: t, note: 'stock wasm has Conv2DBackpropFilter in this version' };
}

/** One stock-cpu step in a child process, killed at the cap. */
function cpuRow(): Row {
  const res = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--cpu-step'], {
    encoding: 'utf8',
    timeout: CPU_CAP_S * 1000,
    env: process.env,
  });
  if (res.error || res.status !== 0) {
    const timedOut = res.signal === 'SIGTERM' || (res.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    return { name: 'cpu (pure JS)', note: timedOut ? `> ${CPU_CAP_S} s for one step (capped)` : `failed: ${(res.stderr || String(res.error)).split('\n')[0]}` };
  }
  const t = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as Timing;
  return { name: 'cpu (pure JS)', timing: t, note: 'one step after one warm-up' };
}

function torchRow(): Row {
  const script = join(__dirname, 'torch_unet_step.py');
  const res = spawnSync('/usr/bin/python3', [script, String(STEPS), String(WARMUP)], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    const why = res.error ? String(res.error.message) : (res.stderr.trim().split('\n').pop() ?? '');
    return { name: 'PyTorch CPU, 1 thread', note: `skipped (${why.includes('No module named') ? 'torch not installed' : why})` };
  }
  const out = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { torch: string; step_ms: number[]; cpu_ms: number[] };
  return { name: 'PyTorch CPU, 1 thread', timing: { wallMs: median(out.step_ms), cpuMs: median(out.cpu_ms) }, note: `torch ${out.torch}` };
}

async function main(): Promise<void> {
  if (process.argv.includes('--cpu-step')) {
    await tf.setBackend('cpu');
    const t = timeSteps(1, 0);
    process.stdout.write(JSON.stringify({ wallMs: t.wallMs, cpuMs: t.cpuMs }) + '\n');
    return;
  }
  const rows: Row[] = [];
  const torch = torchRow();
  rows.push(await stockWasmRow());

  if (!(await activateWasm())) throw new Error('wasm backend failed to initialise');
  const ours = timeSteps(STEPS, WARMUP);
  rows.unshift({ name: 'wasm + @tgs/backend kernels', timing: ours, note: `median of ${STEPS} after ${WARMUP} warm-up` });
  const profile = await profileStep(ours.model, ours.optimizer, ours.x, ours.y);
  rows.push(cpuRow());
  rows.push(torch);

  const base = torch.timing ?? ours;
  const baseName = torch.timing ? 'PyTorch' : 'ours';
  const fmt = (ms: number): string => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
  const lines = [
    `One Adam + BCE training step, U-Net 16-256 filters, ${BATCH}x${SIZE}x${SIZE}x1 (ratios vs ${baseName}; wall and process CPU time)`,
    '',
    `| backend | step (wall) | step (CPU) | wall / ${baseName} | CPU / ${baseName} | note |`,
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const t = r.timing;
    lines.push(
      t
        ? `| ${r.name} | ${fmt(t.wallMs)} | ${fmt(t.cpuMs)} | ${(t.wallMs / base.wallMs).toFixed(2)}x | ${(t.cpuMs / base.cpuMs).toFixed(2)}x | ${r.note} |`
        : `| ${r.name} | - | - | - | - | ${r.note} |`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n\n' + profile + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
