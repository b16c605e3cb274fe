/**
 * Training-step and prediction speed of two U-Nets on the CPU paths, one table from one run:
 *   default    the pipeline's default model (@segkit/models defaultUnetConfig(101, 101): depth 4,
 *              16 base filters, BatchNorm, 101 -> 128 reflection padding), batch 16;
 *   reference  the backend's reference U-Net (16..256 filters, bias + ReLU, no BatchNorm,
 *              128x128x1), batch 8.
 * Rows: wasm + the native oneDNN kernels at 1 and 2 threads (each the faster of two alternated runs), wasm alone (XNNPACK + the
 * backend's training kernels), and PyTorch CPU at 1 and 2 threads (tools/bench/torch_unet_step.py,
 * Debian's python3-torch; skipped when torch is absent). One Adam + BCE-with-logits step, median of
 * BENCH_STEPS (default 5) after 2 warm-up steps; prediction with hflip TTA in batches of 32
 * (BENCH_PREDICT images, default 64), images/s — the default model as the predict step runs it
 * (exported, BatchNorm folded, both views in one pass). Every row runs in its own process.
 * Then a per-kernel profile of one native step of the default model and the step's FLOPs against
 * this CPU's peak as tools/bench/cpu-peak.ts measures it, and how much two threads gain on this machine
 * for vector FMAs and oneDNN's sgemm beside the step's own 2-thread gain. Last, where this CPU runs
 * Winograd (oneDNN's on AVX-512: the wide layers' weight gradients, their forward passes and input
 * gradients from 16x16; the addon's own on AVX2: the 3x3 stride-1 layers), the default model's step
 * with Winograd against direct convolutions only, alternated in one process (BENCH_AB_ROUNDS rounds,
 * default 8, at 1 and 2 threads).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { adam, buildReferenceUnet, nativeKernelStatus, setupBackend } from '@segkit/backend';
import { nativeAddon } from '@segkit/native';
import { buildUnet, defaultUnetConfig, exportInferenceModel, forwardLogits, inferenceModel, ttaPairs } from '@segkit/models';
import { cpuPeak } from './cpu-peak';
import { median } from './median';

const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const WARMUP = 2;
const PREDICT = Number(process.env.BENCH_PREDICT ?? 64);

type ModelName = 'default' | 'reference';
const MODELS: Record<ModelName, { batch: number; size: number; build: () => tf.LayersModel }> = {
  default: { batch: 16, size: 101, build: () => buildUnet({ ...defaultUnetConfig(101, 101), seed: 1 }) },
  reference: { batch: 8, size: 128, build: () => buildReferenceUnet({ size: 128, base: 16, levels: 4 }) },
};

interface Measured {
  stepWallMs: number;
  stepCpuMs: number;
  predictPerS?: number;
  note: string;
  profile?: { name: string; ms: number; calls: number }[];
}

interface Row {
  model: ModelName;
  path: string;
  threads: number;
  measured?: Measured;
  skipped?: string;
}

function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, vars: tf.Variable[], x: tf.Tensor, y: tf.Tensor): void {
  const loss = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
  loss?.dataSync();
  loss?.dispose();
}

/** hflip TTA: the mean of the logits of x and of the flipped-back logits of flipped x. */
function predictTta(model: tf.LayersModel, x: tf.Tensor4D): void {
  tf.tidy(() => {
    const a = model.predict(x) as tf.Tensor4D;
    const b = tf.reverse(model.predict(tf.reverse(x, 2)) as tf.Tensor4D, 2);
    tf.div(tf.add(a, b), 2).dataSync();
  });
}

/**
 * hflip-TTA images/s of `PREDICT` 8-bit images, batches of 32. The default model goes the predict
 * step's way: exported (stock layers, BatchNorm folded into the convolutions), both views in one
 * forward pass (@segkit/models' forwardLogits); the reference U-Net (no BatchNorm, no export) by
 * {@link predictTta}.
 */
async function predictPerSecond(name: ModelName, model: tf.LayersModel, size: number): Promise<number> {
  if (name === 'default') {
    const { model: exported, spec } = await exportInferenceModel(model);
    const m = inferenceModel(exported, spec);
    const images = new Uint8Array(PREDICT * size * size).map((_, i) => (i * 37) % 256);
    const all = Array.from({ length: PREDICT }, (_, i) => i);
    const run = (n: number) => forwardLogits(m, images, all.slice(0, n), size, size, { batchSize: 32, ttas: ttaPairs(true) });
    run(8);
    const t0 = performance.now();
    run(PREDICT);
    const perS = PREDICT / ((performance.now() - t0) / 1000);
    exported.dispose();
    return perS;
  }
  const images = tf.randomUniform([32, size, size, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  predictTta(model, images.slice(0, 8));
  const t0 = performance.now();
  for (let done = 0; done < PREDICT; done += 32) predictTta(model, done + 32 <= PREDICT ? images : images.slice(0, PREDICT - done));
  images.dispose();
  return PREDICT / ((performance.now() - t0) / 1000);
}

/** A model of MODELS, the pipeline's Adam (one native kernel per variable) and a fixed batch. */
function stepFixture(name: ModelName): { model: tf.LayersModel; optimizer: tf.Optimizer; vars: tf.Variable[]; x: tf.Tensor; y: tf.Tensor } {
  const { batch, size, build } = MODELS[name];
  const model = build();
  const optimizer = adam(1e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 2).greater(0.5).toFloat());
  return { model, optimizer, vars, x, y };
}

/** One tfjs row, in this (child) process. */
async function measureTfjs(name: ModelName, backend: 'wasm+native' | 'wasm', threads: number, profile: boolean): Promise<Measured> {
  const info = await setupBackend({ choice: backend, threads, env: { ...process.env, SEGKIT_THREADS: '' }, log: () => undefined });
  const { model, optimizer, vars, x, y } = stepFixture(name);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    trainStep(model, optimizer, vars, x, y);
    const dt = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    if (i >= WARMUP) {
      wall.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
  }
  let kernels: Measured['profile'];
  if (profile) {
    const p = await tf.profile(() => trainStep(model, optimizer, vars, x, y));
    const byName = new Map<string, { ms: number; calls: number }>();
    // Ops named in tfjs (`fusedConv2d__op`) appear beside the kernels they run; count kernels only.
    for (const k of p.kernels.filter((kk) => !kk.name.endsWith('__op'))) {
      const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(k.kernelTimeMs);
      e.calls++;
      byName.set(k.name, e);
    }
    kernels = [...byName].map(([n, e]) => ({ name: n, ...e })).sort((a, b) => b.ms - a.ms);
  }
  const predictPerS = PREDICT > 0 ? await predictPerSecond(name, model, MODELS[name].size) : undefined;
  return { stepWallMs: median(wall), stepCpuMs: median(cpu), predictPerS, note: info.description, profile: kernels };
}

/**
 * The default model's step with and without Winograd for the wide layers, alternated in this
 * (child) process so both see the same machine: medians of `rounds` rounds of 3 steps each, after a
 * warm-up step per switch (a switch empties the primitive cache).
 */
async function measureWinograd(threads: number, rounds: number): Promise<{ winogradMs: number; directMs: number }> {
  await setupBackend({ choice: 'wasm+native', threads, env: { ...process.env, SEGKIT_THREADS: '' }, log: () => undefined });
  const addon = nativeAddon().addon;
  if (!addon) throw new Error('the native addon is not loaded');
  const { model, optimizer, vars, x, y } = stepFixture('default');
  const times = { on: [] as number[], off: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 ? [true, false] : [false, true]) {
      addon.setWinograd(on);
      trainStep(model, optimizer, vars, x, y);
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) trainStep(model, optimizer, vars, x, y);
      times[on ? 'on' : 'off'].push((performance.now() - t0) / 3);
    }
  }
  addon.setWinograd(true);
  return { winogradMs: median(times.on), directMs: median(times.off) };
}

function tfjsRow(model: ModelName, backend: 'wasm+native' | 'wasm', threads: number, profile = false): Row {
  const row: Row = { model, path: backend === 'wasm' ? 'wasm (XNNPACK + training kernels)' : 'wasm + native (oneDNN)', threads };
  if (backend === 'wasm+native') {
    const status = nativeKernelStatus();
    if (!status.available) return { ...row, skipped: `skipped: ${status.reason}` };
  }
  const args = ['--import', 'tsx', __filename, '--row', model, backend, String(threads), profile ? 'profile' : ''];
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env, maxBuffer: 64 * 2 ** 20 });
  if (res.status !== 0) return { ...row, skipped: `failed: ${(res.stderr || String(res.error)).trim().split('\n').pop()}` };
  return { ...row, measured: JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as Measured };
}

function torchRow(model: ModelName, threads: number): Row {
  const row: Row = { model, path: 'PyTorch CPU', threads };
  const script = join(__dirname, 'torch_unet_step.py');
  const { batch } = MODELS[model];
  const args = [script, '--model', model, '--threads', String(threads), '--batch', String(batch), '--steps', String(STEPS), '--warmup', String(WARMUP), '--predict-images', String(PREDICT)];
  const res = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    const why = res.error ? String(res.error.message) : (res.stderr.trim().split('\n').pop() ?? '');
    return { ...row, skipped: `skipped (${why.includes('No module named') ? "torch not installed: apt-get install python3-torch" : why})` };
  }
  const out = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { torch: string; step_ms: number[]; cpu_ms: number[]; predict_images_per_s: number | null };
  return {
    ...row,
    measured: { stepWallMs: median(out.step_ms), stepCpuMs: median(out.cpu_ms), predictPerS: out.predict_images_per_s ?? undefined, note: `torch ${out.torch}` },
  };
}

/**
 * Multiply-add FLOPs of one training step: 2 * MACs of every convolution forward, and as much
 * again for each of the data and weight gradients (the first layer needs no data gradient).
 */
function stepFlops(model: tf.LayersModel, batch: number): number {
  let total = 0;
  let first = true;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'Conv2DTranspose') continue;
    const kernel = layer.getWeights()[0].shape as number[]; // [kh, kw, in, out] (transpose: [kh, kw, out, in])
    const shape = (cls === 'Conv2D' ? layer.outputShape : (layer.input as tf.SymbolicTensor).shape) as number[];
    const macs = batch * shape[1] * shape[2] * kernel[0] * kernel[1] * kernel[2] * kernel[3];
    total += 2 * macs * (first ? 2 : 3);
    first = false;
  }
  return total;
}


const fmtMs = (ms: number): string => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

async function main(): Promise<void> {
  const ab = process.argv.indexOf('--winograd');
  if (ab >= 0) {
    const r = await measureWinograd(Number(process.argv[ab + 1]), Number(process.argv[ab + 2]));
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const at = process.argv.indexOf('--row');
  if (at >= 0) {
    const [model, backend, threads, profile] = process.argv.slice(at + 1);
    const m = await measureTfjs(model as ModelName, backend as 'wasm+native' | 'wasm', Number(threads), profile === 'profile');
    process.stdout.write(JSON.stringify(m) + '\n');
    return;
  }
  const rows: Row[] = [];
  let profile: Measured['profile'];
  for (const model of ['default', 'reference'] as ModelName[]) {
    // 1 and 2 threads alternated twice, the faster of each kept: on a shared host one process can
    // land on a slow moment (a 2-thread row once read 403 ms where the next runs gave 305-327).
    const [a1, a2, b1, b2] = [tfjsRow(model, 'wasm+native', 1, model === 'default'), tfjsRow(model, 'wasm+native', 2), tfjsRow(model, 'wasm+native', 1), tfjsRow(model, 'wasm+native', 2)];
    const faster = (x: Row, y: Row): Row => (y.measured && (!x.measured || y.measured.stepWallMs < x.measured.stepWallMs) ? y : x);
    rows.push(faster(a1, b1), faster(a2, b2));
    profile ??= a1.measured?.profile;
    rows.push(tfjsRow(model, 'wasm', 1));
    rows.push(torchRow(model, 1));
    rows.push(torchRow(model, 2));
  }
  const torchAt = (model: ModelName, threads: number): Measured | undefined => rows.find((r) => r.model === model && r.path === 'PyTorch CPU' && r.threads === threads)?.measured;
  const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : '-');
  const lines = [
    `One Adam + BCE training step and hflip-TTA prediction (${PREDICT} images, batches of 32); step: median of ${STEPS} after ${WARMUP} warm-up; ratios against PyTorch at the same thread count (the wasm row against 1 thread)`,
    '',
    '| model | path | threads | step (wall) | step (CPU) | step / PyTorch | predict img/s | predict / PyTorch | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const m = r.measured;
    const torch = torchAt(r.model, r.threads);
    const label = `${r.model} (batch ${MODELS[r.model].batch})`;
    lines.push(
      m
        ? `| ${label} | ${r.path} | ${r.threads} | ${fmtMs(m.stepWallMs)} | ${fmtMs(m.stepCpuMs)} | ${r.path === 'PyTorch CPU' ? '1.00x' : ratio(m.stepWallMs, torch?.stepWallMs)} | ${m.predictPerS?.toFixed(1) ?? '-'} | ${r.path === 'PyTorch CPU' ? '1.00x' : ratio(m.predictPerS, torch?.predictPerS)} | ${m.note} |`
        : `| ${label} | ${r.path} | ${r.threads} | - | - | - | - | - | ${r.skipped} |`,
    );
  }

  if (profile) {
    const total = profile.reduce((a, k) => a + k.ms, 0);
    lines.push('', 'Kernel profile of one wasm + native step of the default model, 1 thread (tf.profile, wall ms):', '', '| kernel | calls | ms | share |', '|---|---:|---:|---:|');
    for (const k of profile.slice(0, 14)) lines.push(`| ${k.name} | ${k.calls} | ${k.ms.toFixed(1)} | ${((100 * k.ms) / total).toFixed(1)}% |`);
    lines.push(`| (all ${profile.length} kernels) | ${profile.reduce((a, k) => a + k.calls, 0)} | ${total.toFixed(1)} | 100% |`);
  }

  await tf.setBackend('cpu');
  const peak = cpuPeak(1);
  const peakPerCore = peak.perCore * 1e9;
  lines.push('', `Physical limit (convolutions only; 1-core peak ${peak.text}, see tools/bench/cpu-peak.ts):`, '');
  lines.push('| model | GFLOP per step | at 1-core peak | measured native 1 thread | share of peak |', '|---|---:|---:|---:|---:|');
  for (const model of ['default', 'reference'] as ModelName[]) {
    const m = MODELS[model].build();
    const flops = stepFlops(m, MODELS[model].batch);
    m.dispose();
    const bound = (flops / peakPerCore) * 1000;
    const native = rows.find((r) => r.model === model && r.path.startsWith('wasm + native') && r.threads === 1)?.measured;
    lines.push(`| ${model} | ${(flops / 1e9).toFixed(1)} | ${peakPerCore ? fmtMs(bound) : '-'} | ${native ? fmtMs(native.stepWallMs) : '-'} | ${native && peakPerCore ? `${((100 * bound) / native.stepWallMs).toFixed(0)}%` : '-'} |`);
  }
  // How much two threads can gain on this machine at all: a shared host or a lower all-core clock
  // caps it below 2x, and no step can scale better than the arithmetic itself.
  if (peak.measured) {
    const two = cpuPeak(2);
    const step = (threads: number): number | undefined => rows.find((r) => r.model === 'default' && r.path.startsWith('wasm + native') && r.threads === threads)?.measured?.stepWallMs;
    const [s1t, s2t] = [step(1), step(2)];
    lines.push(
      '',
      `Two threads on this machine: vector FMAs ${(two.gflops / peak.gflops).toFixed(2)}x one thread (${peak.gflops.toFixed(0)} -> ${two.gflops.toFixed(0)} GFLOP/s), oneDNN sgemm ${((two.sgemm ?? 0) / (peak.sgemm ?? 1)).toFixed(2)}x (${(peak.sgemm ?? 0).toFixed(0)} -> ${(two.sgemm ?? 0).toFixed(0)} GFLOP/s)` +
        (s1t && s2t ? `; the default model's training step ${(s1t / s2t).toFixed(2)}x (${fmtMs(s1t)} -> ${fmtMs(s2t)})` : ''),
    );
  }
  const addon = nativeAddon().addon;
  const version = addon?.version();
  if (version?.winograd || version?.avx2Winograd) {
    const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 8);
    const which = version.winograd
      ? "oneDNN's Winograd for the wide 3x3 stride-1 layers (weight gradients; forward passes and input gradients from 16x16, in 8-image chunks)"
      : "the addon's AVX2 Winograd F(2x2, 3x3) for the 3x3 stride-1 layers (all three passes from 16 channels; forward passes from 8)";
    lines.push('', `${which} against direct convolutions only, the default model's step alternated in one process (medians of ${rounds} rounds):`, '');
    lines.push('| threads | Winograd | direct only | speed-up |', '|---:|---:|---:|---:|');
    for (const threads of [1, 2]) {
      const res = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--winograd', String(threads), String(rounds)], { encoding: 'utf8', env: process.env });
      const out = res.status === 0 ? (JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { winogradMs: number; directMs: number }) : undefined;
      lines.push(out ? `| ${threads} | ${fmtMs(out.winogradMs)} | ${fmtMs(out.directMs)} | ${(out.directMs / out.winogradMs).toFixed(2)}x |` : `| ${threads} | - | - | failed: ${res.stderr.trim().split('\n').pop()} |`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
