/**
 * `npm run bench -- pipeline [train=1000 test=400 folds=3 epochs1=2 epochs2=1 batch=16 torch=auto|off]`:
 * a whole-run profile of the same-recipe pipeline on the built-in synthetic data — U-Net depth 4 /
 * base 16 / BatchNorm, 101 → 128, batch 16, BCE for epochs1 epochs then Lovász for epochs2, hflip
 * TTA — run once from a clean work directory with the Nx cache skipped. From that one run it
 * prints the wall time; each step's seconds (the run's own timing records: `timings/<step>.json`,
 * the folds' `result.json`), its CPU seconds and the cores leased to it (this process samples the
 * run's process tree in /proc and its core lease folder every 250 ms); the share of the run's
 * core-seconds each step used and the share left idle; the achieved GFLOP/s (the convolutions'
 * FLOPs counted from the model's shapes by @segkit/models' forwardConvFlops, × 3 for a training
 * image, × the TTA pairs for a predicted one) against the CPU's peak; the peak memory of the
 * run's processes; the first-epoch overhead per fold; and, where /usr/bin/python3 has torch, the
 * same recipe in PyTorch (tools/bench/torch_unet_step.py --pipeline) with the wall-time ratio.
 * Not part of a plain `npm run bench`; never run in tests or CI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '@segkit/config';
import { adam, setupBackend } from '@segkit/backend';
import { buildUnet, forwardConvFlops, forwardLogits } from '@segkit/models';
import { coreShare, nativeAddon } from '@segkit/native';
import { Rng } from '@segkit/random';
import { readPredictionMeta } from '@segkit/predict';
import { readStepSeconds, runLayout, syntheticPaths } from '@segkit/run';
import { readFoldResult, trainingBatch } from '@segkit/train';
import { copyBandwidth, cpuPeak, higherPeak, nominalPeak } from './cpu-peak';

const ROOT = join(__dirname, '..', '..');
const NAME = 'bench-pipeline';
const SAMPLE_MS = 250;
const CLK_TCK = 100;
const PAGE = 4096;

const args = Object.fromEntries(process.argv.slice(2).filter((a) => a.includes('=')).map((a) => a.split('=', 2) as [string, string]));
const num = (key: string, fallback: number): number => (args[key] === undefined ? fallback : Number(args[key]));
const recipe = { train: num('train', 1000), test: num('test', 400), folds: num('folds', 3), epochs1: num('epochs1', 2), epochs2: num('epochs2', 1), batch: num('batch', 16) };
const cores = cpus().length;

/** One process of the run as /proc shows it. */
interface Proc {
  pid: number;
  ppid: number;
  cpuTicks: number;
  rssBytes: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]), rssBytes: Number(rest[21]) * PAGE };
  } catch {
    return undefined; // gone while listing
  }
}

/** The step a process runs (`train-fold-0`, `tune`, …), from its command line; undefined for Nx, npm and other wrappers. */
function stepOf(pid: number): string | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const at = argv.findIndex((a) => a.endsWith(join('apps', 'pipeline', 'src', 'main.ts')));
    if (at < 0 || argv[at + 1] === undefined) return undefined;
    const fold = argv.indexOf('--fold');
    return fold > 0 ? `${argv[at + 1]}-fold-${argv[fold + 1]}` : argv[at + 1];
  } catch {
    return undefined;
  }
}

/** The run's processes: `root` and its descendants. */
function tree(root: number): Proc[] {
  const all = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => readProc(Number(n)))
    .filter((p): p is Proc => p !== undefined);
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (inTree.has(p.pid) || !inTree.has(p.ppid)) continue;
      inTree.add(p.pid);
      grew = true;
    }
  }
  return all.filter((p) => inTree.has(p.pid));
}

interface StepUse {
  cpu: number;
  leased: number;
  first: number;
  last: number;
}

/** What sampling the run saw: per step CPU seconds, leased core-seconds and when it ran; the peak memory; the idle cores. */
class Sampler {
  readonly steps = new Map<string, StepUse>();
  private readonly lastTicks = new Map<number, number>();
  private readonly names = new Map<number, string>();
  peakRss = 0;
  peakProcRss = 0;
  /** Core-seconds with no lease and no step process on them. */
  idleLeased = 0;
  private last = Date.now();
  constructor(
    private readonly root: number,
    private readonly leaseDir: string,
    private readonly started: number,
  ) {}

  private use(step: string, now: number): StepUse {
    let u = this.steps.get(step);
    if (!u) this.steps.set(step, (u = { cpu: 0, leased: 0, first: now, last: now }));
    u.last = now;
    return u;
  }

  sample(): void {
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    const procs = tree(this.root);
    let rss = 0;
    const running = new Set<string>();
    for (const p of procs) {
      if (!this.names.has(p.pid)) this.names.set(p.pid, stepOf(p.pid) ?? 'between steps (Nx, npm, tsx)');
      const step = this.names.get(p.pid) as string;
      const before = this.lastTicks.get(p.pid) ?? p.cpuTicks; // a process first seen: its start-up before the sample is lost (< SAMPLE_MS)
      this.lastTicks.set(p.pid, p.cpuTicks);
      this.use(step, (now - this.started) / 1000).cpu += (p.cpuTicks - before) / CLK_TCK;
      rss += p.rssBytes;
      this.peakProcRss = Math.max(this.peakProcRss, p.rssBytes);
      if (step !== 'between steps (Nx, npm, tsx)') running.add(step);
    }
    this.peakRss = Math.max(this.peakRss, rss);
    const holders = existsSync(this.leaseDir) ? readdirSync(this.leaseDir).filter((n) => /^\d+\.json$/.test(n)).map((n) => Number(n.slice(0, -5))) : [];
    const live = holders.filter((pid) => this.names.has(pid) && procs.some((p) => p.pid === pid));
    let busy = 0;
    const leasedSteps = new Set<string>();
    for (const pid of live) {
      const step = this.names.get(pid) as string;
      const share = coreShare(cores, live, pid);
      this.use(step, (now - this.started) / 1000).leased += share * dt;
      leasedSteps.add(step);
      busy += share;
    }
    // A step without a lease (data, folds, ensemble, tune, submit, bundle, report) is one JavaScript thread.
    for (const step of running) {
      if (leasedSteps.has(step)) continue;
      this.use(step, (now - this.started) / 1000).leased += dt;
      busy += 1;
    }
    this.idleLeased += Math.max(0, cores - busy) * dt;
  }
}

/** The run's convolution FLOPs from the model's shapes and what each fold did (its result and prediction records). */
function runFlops(workDir: string, forward: number): { training: number; validation: number; prediction: number } {
  let training = 0;
  let validation = 0;
  let prediction = 0;
  for (let k = 0; k < recipe.folds; k++) {
    const fold = runLayout(workDir).fold(k).dir;
    const r = readFoldResult(fold);
    const epochs = r.stage1.epochs + r.stage2.epochs;
    training += r.nTrain * epochs * 3 * forward;
    validation += r.nVal * epochs * forward;
    const meta = readPredictionMeta(fold, k);
    const predictedStage1 = meta.oofStage1Tta.length === meta.tta.length && meta.tta.length > 1 ? meta.tta.length : 0;
    prediction += (meta.nOof * (meta.tta.length + predictedStage1) + meta.nTest * meta.tta.length) * forward;
  }
  return { training, validation, prediction };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const s1 = (x: number): string => x.toFixed(1);

async function runPipeline(configFile: string, workDir: string, out: string, log: string): Promise<{ wall: number; sampler: Sampler }> {
  const started = Date.now();
  const child = spawn('nice', ['npm', 'run', 'pipeline', '--', '--config', configFile, '--out', out], {
    cwd: ROOT,
    env: { ...process.env, NX_SKIP_NX_CACHE: 'true', NX_DAEMON: 'false', SEGKIT_WORK: workDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logStream = createWriteStream(log);
  child.stdout.pipe(logStream);
  child.stderr.pipe(logStream);
  const sampler = new Sampler(child.pid as number, runLayout(workDir).run.cores, started);
  const timer = setInterval(() => sampler.sample(), SAMPLE_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  const wall = (Date.now() - started) / 1000;
  if (code !== 0) {
    process.stdout.write(`the pipeline failed (exit ${code}); its log: ${log}\n${readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}\n`);
    process.exit(1);
  }
  return { wall, sampler };
}

function torchReference(dataDir: string): { seconds: number; train: number; predict: number; oof: number } | string {
  if (args.torch === 'off') return 'skipped (torch=off)';
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'skipped: /usr/bin/python3 has no torch (Debian: apt-get install python3-torch)';
  const res = spawnSync(
    'nice',
    ['/usr/bin/python3', join(__dirname, 'torch_unet_step.py'), '--pipeline', '--threads', String(cores), '--train', String(recipe.train), '--test', String(recipe.test),
      '--folds', String(recipe.folds), '--epochs1', String(recipe.epochs1), '--epochs2', String(recipe.epochs2), '--batch', String(recipe.batch), '--data', dataDir],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (res.status !== 0) return `failed: ${res.stderr.split('\n').slice(-5).join(' ')}`;
  const o = JSON.parse(res.stdout.trim().split('\n').pop() as string) as { seconds: number; train_seconds: number; predict_seconds: number; oof_map_stage2: number };
  return { seconds: o.seconds, train: o.train_seconds, predict: o.predict_seconds, oof: o.oof_map_stage2 };
}

async function main(): Promise<void> {
  const raw = {
    name: NAME,
    synthetic: { nTrain: recipe.train, nTest: recipe.test, size: 101 },
    folds: { k: recipe.folds },
    model: { depth: 4, baseFilters: 16, batchNorm: true },
    train: { batchSize: recipe.batch },
    stage1: { epochs: recipe.epochs1, lr: 0.001, loss: [{ kind: 'bce', weight: 1 }] },
    stage2: { epochs: recipe.epochs2, lr: 0.0002, loss: [{ kind: 'lovasz', weight: 1 }] },
    predict: { hflipTta: true },
  };
  const dir = join(ROOT, 'runs', 'bench', 'pipeline');
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, `${NAME}.json`);
  writeFileSync(configFile, JSON.stringify(raw, null, 2) + '\n');
  const workDir = join(ROOT, 'runs', 'work', NAME);
  const out = join(dir, 'out');
  rmSync(workDir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  // The peak before the run as well as after it: the higher of the two is the CPU's (see higherPeak).
  const peakBefore = cpuPeak(cores);
  const copyBefore = copyBandwidth();
  const loadBefore = loadavg()[0];
  const what = `${recipe.train} train / ${recipe.test} test synthetic 101×101 images → 128, ${recipe.folds} folds, U-Net depth 4 / base 16 / BatchNorm, batch ${recipe.batch}, BCE ${recipe.epochs1} epochs then Lovász ${recipe.epochs2}, hflip TTA`;
  process.stdout.write(`${what}; ${cores} cores, load average ${loadBefore.toFixed(1)} at the start\nrunning the pipeline (log: ${join(dir, 'pipeline.log')}) …\n`);
  const { wall, sampler } = await runPipeline(configFile, workDir, out, join(dir, 'pipeline.log'));

  // FLOPs from the model's shapes, at the padded size the pipeline trains at.
  await tf.setBackend('cpu');
  const config = parseConfig(raw);
  const { encoderWeights: _unused, ...unet } = config.model;
  const model = buildUnet({ ...unet, inputHeight: 101, inputWidth: 101, seed: 1 });
  const forward = forwardConvFlops(model);
  model.dispose();
  const flops = runFlops(workDir, forward);
  const total = flops.training + flops.validation + flops.prediction;
  const peak = higherPeak(peakBefore, cpuPeak(cores));
  const copyAfter = copyBandwidth();

  const coreSeconds = wall * cores;
  const order = ['data', 'folds', ...Array.from({ length: recipe.folds }, (_, k) => `train-fold-${k}`), ...Array.from({ length: recipe.folds }, (_, k) => `predict-fold-${k}`), 'ensemble', 'tune', 'submit', 'bundle', 'report'];
  const names = [...order.filter((s) => sampler.steps.has(s)), ...[...sampler.steps.keys()].filter((s) => !order.includes(s))];
  const recorded = (step: string): number | undefined => {
    const fold = /^train-fold-(\d+)$/.exec(step);
    if (fold) return readFoldResult(runLayout(workDir).fold(Number(fold[1])).dir).seconds;
    const s = readStepSeconds(workDir, step);
    return s > 0 ? s : undefined;
  };
  const lines = [
    '',
    `wall time ${s1(wall)} s; ${cores} cores = ${s1(coreSeconds)} core-seconds; load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} (other work shares this machine: the CPU seconds below are this run's own)`,
    '',
    '| step | seconds (its record) | ran (s into the run) | share of wall | CPU s | share of core-seconds (CPU) | leased core-s | share of core-seconds (leased) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let cpuSum = 0;
  for (const step of names) {
    const u = sampler.steps.get(step) as StepUse;
    const rec = recorded(step);
    cpuSum += u.cpu;
    lines.push(`| ${step} | ${rec === undefined ? '–' : s1(rec)} | ${s1(u.first)}–${s1(u.last)} | ${pct((u.last - u.first) / wall)} | ${s1(u.cpu)} | ${pct(u.cpu / coreSeconds)} | ${s1(u.leased)} | ${pct(u.leased / coreSeconds)} |`);
  }
  lines.push(`| idle cores | | | | ${s1(Math.max(0, coreSeconds - cpuSum))} | ${pct(Math.max(0, 1 - cpuSum / coreSeconds))} | ${s1(sampler.idleLeased)} | ${pct(sampler.idleLeased / coreSeconds)} |`);
  lines.push(
    '',
    `CPU share: CPU seconds of the run's processes / core-seconds of the run (idle: what they did not use, e.g. waiting on a shared machine or on I/O); leased share: core-seconds leased to a native step (its share of ${runLayout(workDir).run.cores}) or one per step without a lease.`,
    '',
    `FLOPs (convolutions, counted from the model's shapes: ${(forward / 1e9).toFixed(3)} GFLOP per 128×128 forward pass, × 3 per training image): training ${(flops.training / 1e12).toFixed(3)} TFLOP, validation ${(flops.validation / 1e12).toFixed(3)}, prediction with TTA ${(flops.prediction / 1e12).toFixed(3)}; total ${(total / 1e12).toFixed(3)} TFLOP`,
    `achieved ${(total / 1e9 / wall).toFixed(1)} GFLOP/s over the wall time = ${pct(total / 1e9 / wall / peak.gflops)} of the CPU's peak (${peak.text}; the peak would take ${s1(total / 1e9 / peak.gflops)} s)` +
      (peak.sgemm ? `, ${pct(total / 1e9 / wall / peak.sgemm)} of what oneDNN's sgemm reaches` : '') +
      (peak.measured ? `; against the ${nominalPeak(cores).text.replace('nominal: ', 'nominal peak ')}: ${pct(total / 1e9 / wall / nominalPeak(cores).gflops)}` : ''),
    `memory copy bandwidth (one thread, 64 MiB, read + write) ${copyBefore.toFixed(1)} GB/s before the run, ${copyAfter.toFixed(1)} after (a reading of the moment: the step's memory-bound kernels depend on it, the FMA peak does not)`,
    `peak memory: ${(sampler.peakRss / 2 ** 20).toFixed(0)} MB resident over all the run's processes at once, ${(sampler.peakProcRss / 2 ** 20).toFixed(0)} MB the largest one`,
    '',
    'first-epoch overhead (stage 1, from each fold\'s training curve):',
    '',
    '| fold | epoch 1 s | epoch 2 s | epoch 1 − epoch 2 |',
    '|---|---:|---:|---:|',
  );
  for (let k = 0; k < recipe.folds; k++) {
    const h = readFoldResult(runLayout(workDir).fold(k).dir).stage1.history;
    if (h.length >= 2) lines.push(`| ${k} | ${s1(h[0].seconds)} | ${s1(h[1].seconds)} | ${s1(h[0].seconds - h[1].seconds)} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (args.probe !== 'off') process.stdout.write((await firstEpochProfile()).join('\n') + '\n');
  process.stdout.write('\nrunning the PyTorch reference …\n');

  const torch = torchReference(syntheticPaths(config.synthetic).dataDir);
  if (typeof torch === 'string') {
    process.stdout.write(`PyTorch: ${torch}\n`);
    return;
  }
  const summary = JSON.parse(readFileSync(join(out, 'report', 'summary.json'), 'utf8')) as { oof_score_stage2: number };
  process.stdout.write(
    [
      '',
      `| | wall s | training s | prediction s | GFLOP/s | share of peak | OOF mAP stage 2 at p = 0.5 (TTA) |`,
      '|---|---:|---:|---:|---:|---:|---:|',
      `| this project (${cores} cores, leased) | ${s1(wall)} | ${s1(names.filter((n) => n.startsWith('train-')).reduce((a, n) => a + (recorded(n) ?? 0), 0))} (summed over folds) | ${s1(names.filter((n) => n.startsWith('predict-')).reduce((a, n) => a + (recorded(n) ?? 0), 0))} | ${(total / 1e9 / wall).toFixed(1)} | ${pct(total / 1e9 / wall / peak.gflops)} | ${summary.oof_score_stage2.toFixed(4)} |`,
      `| PyTorch (${cores} threads, folds in turn) | ${s1(torch.seconds)} | ${s1(torch.train)} | ${s1(torch.predict)} | ${(total / 1e9 / torch.seconds).toFixed(1)} | ${pct(total / 1e9 / torch.seconds / peak.gflops)} | ${torch.oof.toFixed(4)} |`,
      '',
      `wall time: this project / PyTorch = ${(wall / torch.seconds).toFixed(2)}× (load average now ${loadavg()[0].toFixed(1)})`,
    ].join('\n') + '\n',
  );
}

/**
 * One fold's first two epochs in miniature, in this (child) process, to take the first epoch's
 * extra time apart: the backend's set-up, the model's build, then per step the data batch
 * (decoding is cached; augmentation and the tensors), the primitives the native kernels create
 * (the addon's own clock), the wasm heap's growth, and the rest (tfjs's kernels and arithmetic).
 * Epoch 2 repeats epoch 1's shapes, so whatever epoch 1 spends beyond it is set-up.
 */
async function probe(steps: number): Promise<void> {
  const t0 = performance.now();
  await setupBackend({ choice: 'wasm+native', threads: 1, env: { ...process.env, SEGKIT_THREADS: '' }, log: () => undefined });
  const addon = nativeAddon().addon;
  const heap = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
  const created = (): number => addon?.stats().createSeconds ?? 0;
  const backendSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const config = parseConfig({ model: { depth: 4, baseFilters: 16, batchNorm: true }, stage1: { epochs: 1, lr: 0.001, loss: [{ kind: 'bce' }] }, stage2: { epochs: 1, lr: 0.0002, loss: [{ kind: 'lovasz' }] } });
  const { encoderWeights: _unused, ...unet } = config.model;
  const model = buildUnet({ ...unet, inputHeight: 101, inputWidth: 101, seed: 1 });
  const optimizer = adam(1e-3); // the pipeline's Adam (one native kernel per variable)
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const buildSeconds = (performance.now() - t1) / 1000;
  const n = recipe.batch * steps;
  const pixels = 101 * 101;
  const images = Uint8Array.from({ length: n * pixels }, (_, i) => (i * 2654435761) % 251);
  const masks = Uint8Array.from({ length: n * pixels }, (_, i) => ((i % 101) > 50 ? 1 : 0));
  const epochs: Array<{ seconds: number; data: number; create: number; heapMB: number }> = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    const e = { seconds: 0, data: 0, create: 0, heapMB: 0 };
    const [start, c0, h0] = [performance.now(), created(), heap()];
    for (let b = 0; b < steps; b++) {
      const d0 = performance.now();
      const idx = Array.from({ length: recipe.batch }, (_, i) => b * recipe.batch + i);
      const { x, y } = trainingBatch(images, masks, idx, 101, 101, config.train.augment, new Rng(epoch * 1000 + b));
      e.data += (performance.now() - d0) / 1000;
      const cost = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true, vars);
      cost?.dataSync();
      cost?.dispose();
      x.dispose();
      y.dispose();
    }
    // The validation pass: inference-mode primitives of their own.
    forwardLogits(model, images, Array.from({ length: recipe.batch }, (_, i) => i), 101, 101, { batchSize: recipe.batch });
    e.seconds = (performance.now() - start) / 1000;
    e.create = created() - c0;
    e.heapMB = (heap() - h0) / 2 ** 20;
    epochs.push(e);
  }
  model.dispose();
  optimizer.dispose();
  process.stdout.write(JSON.stringify({ backendSeconds, buildSeconds, epochs }) + '\n');
}

interface ProbeResult {
  backendSeconds: number;
  buildSeconds: number;
  epochs: Array<{ seconds: number; data: number; create: number; heapMB: number }>;
}

/** Two probes at once, as two folds start together: where each one's first epoch goes beyond its second, as table lines. */
async function firstEpochProfile(): Promise<string[]> {
  const steps = num('probeSteps', 3);
  const runOne = (): Promise<ProbeResult> =>
    new Promise((resolve, reject) => {
      const child = spawn('nice', [process.execPath, '--import', 'tsx', __filename, '--probe', String(steps)], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() as string) as ProbeResult) : reject(new Error(`the first-epoch probe failed (exit ${code})`))));
    });
  const results = await Promise.all([runOne(), runOne()]);
  const lines = [
    '',
    `first-epoch profile: two processes at once (as two folds start), each the default model on 1 thread, ${steps} steps of batch ${recipe.batch} + a validation batch per epoch, epoch 1 against epoch 2 (the same shapes):`,
    '',
    '| process | backend set-up s | model build s | epoch 1 s | epoch 2 s | extra in epoch 1 | of it: primitive creation | wasm heap growth | data batches (1 − 2) | the rest (tfjs kernels) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  results.forEach((r, i) => {
    const [a, b] = r.epochs;
    const extra = a.seconds - b.seconds;
    const rest = extra - (a.create - b.create) - (a.data - b.data);
    const share = (x: number) => (extra > 0 ? ` (${pct(x / extra)})` : '');
    lines.push(
      `| ${i} | ${s1(r.backendSeconds)} | ${s1(r.buildSeconds)} | ${s1(a.seconds)} | ${s1(b.seconds)} | ${s1(extra)} | ${s1(a.create - b.create)}${share(a.create - b.create)} | ${a.heapMB.toFixed(0)} MB (epoch 2: ${b.heapMB.toFixed(0)} MB) | ${s1(a.data - b.data)}${share(a.data - b.data)} | ${s1(rest)}${share(rest)} |`,
    );
  });
  return lines;
}

const probeAt = process.argv.indexOf('--probe');
(probeAt >= 0 ? probe(Number(process.argv[probeAt + 1])) : main()).catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
