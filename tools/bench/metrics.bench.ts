/**
 * Metric sweep and loss step costs.
 *
 * 1. Out-of-fold threshold sweep: 4,000 TGS-sized images (101×101, ~40% empty truths, the rest
 *    elliptic salt bodies; logits = noisy signed distance to the truth) × 100 logit thresholds.
 *    `thresholdStats` (each pixel ranked once among the sorted thresholds, per-image rank
 *    histograms, suffix sums) followed by the mean TGS score at every threshold, against the naive
 *    sweep that re-thresholds every pixel once per threshold (O(P·T)) on the first 1,000 images.
 *    Both must agree exactly; the bench fails otherwise.
 * 2. One training step's loss forward + backward on a [16,101,101,1] batch, per tfjs backend,
 *    relative to BCE measured in the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { bceWithLogits, lovaszHinge, makeLoss, softDice } from '@segkit/losses';
import { meanScoreFromStats, tgsImageScore, thresholdStats } from '@segkit/metrics';
import * as path from 'node:path';
import { uniformSource } from '@segkit/random';

const H = 101;
const W = 101;
const PIXELS = H * W;
const N = 4000;
const T = 100;
const N_NAIVE = 1000;

/** Truth masks and plausible out-of-fold logits for n images. */
function syntheticOof(n: number, seed: number): { logits: Float32Array; truths: Uint8Array } {
  const next = uniformSource(seed);
  const logits = new Float32Array(n * PIXELS);
  const truths = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    const empty = next() < 0.4;
    const cy = next() * H;
    const cx = next() * W;
    const ry = 4 + next() * 60;
    const rx = 4 + next() * 60;
    const bias = (next() - 0.5) * 2;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const dy = (y - cy) / ry;
        const dx = (x - cx) / rx;
        const inside = 1 - Math.sqrt(dy * dy + dx * dx); // > 0 inside the ellipse
        const k = i * PIXELS + y * W + x;
        if (!empty && inside > 0) truths[k] = 1;
        const signal = empty ? -4 + 3 * inside : 6 * inside;
        logits[k] = signal + bias + (next() - 0.5) * 3;
      }
    }
  }
  return { logits, truths };
}

/** Baseline: threshold every pixel once per threshold and score, O(P·T). */
function naiveMeanAP(logits: Float32Array, truths: Uint8Array, thresholds: number[]): Float64Array {
  const n = logits.length / PIXELS;
  const out = new Float64Array(thresholds.length);
  const truthArea = new Int32Array(n);
  for (let i = 0; i < n; i++) for (let p = i * PIXELS; p < (i + 1) * PIXELS; p++) truthArea[i] += truths[p];
  thresholds.forEach((t, j) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let pred = 0;
      let inter = 0;
      for (let p = i * PIXELS, end = p + PIXELS; p < end; p++) {
        if (logits[p] > t) {
          pred++;
          inter += truths[p];
        }
      }
      sum += tgsImageScore(inter, pred, truthArea[i]);
    }
    out[j] = sum / n;
  });
  return out;
}

/** Wall time and this process's CPU time (user + system): on a shared machine the CPU figure is the stable one. */
function time<T>(fn: () => T): { ms: number; cpuMs: number; result: T } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = fn();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (used.user + used.system) / 1000, result };
}

function sweepSection(): void {
  const { logits, truths } = syntheticOof(N, 42);
  const thresholds = Array.from({ length: T }, (_, j) => -4 + (8 * j) / (T - 1));
  // warm-up on a slice so both paths are JIT-compiled before timing
  thresholdStats(logits.subarray(0, 50 * PIXELS), truths.subarray(0, 50 * PIXELS), PIXELS, thresholds);
  naiveMeanAP(logits.subarray(0, 20 * PIXELS), truths.subarray(0, 20 * PIXELS), thresholds.slice(0, 5));

  const stats = time(() => thresholdStats(logits, truths, PIXELS, thresholds));
  const reduce = time(() => meanScoreFromStats(stats.result));
  const reduceGrid = time(() => [0, 10, 20, 40, 80, 160].map((minArea) => meanScoreFromStats(stats.result, minArea)));
  // The naive sweep costs ~20× more, so the head-to-head runs on the first N_NAIVE images only
  // (both methods on the same images), to keep the bench short on a shared machine.
  const head = [logits.subarray(0, N_NAIVE * PIXELS), truths.subarray(0, N_NAIVE * PIXELS)] as const;
  const naive = time(() => naiveMeanAP(head[0], head[1], thresholds));
  const fastHead = time(() => meanScoreFromStats(thresholdStats(head[0], head[1], PIXELS, thresholds)));
  for (let j = 0; j < T; j++) {
    if (Math.abs(naive.result[j] - fastHead.result[j]) > 1e-12) {
      throw new Error(`mismatch at threshold ${thresholds[j]}: naive ${naive.result[j]} vs stats ${fastHead.result[j]}`);
    }
  }
  const fast = stats.ms + reduce.ms;
  const fastCpu = stats.cpuMs + reduce.cpuMs;
  let best = 0;
  for (let j = 1; j < T; j++) if (reduce.result[j] > reduce.result[best]) best = j;
  let inRange = 0;
  for (let k = 0; k < logits.length; k++) if (logits[k] > thresholds[0] && logits[k] <= thresholds[T - 1]) inRange++;
  process.stdout.write(
    `OOF sweep: ${N} images × ${PIXELS} px × ${T} thresholds in [${thresholds[0]}, ${thresholds[T - 1]}] ` +
      `(${((100 * inRange) / logits.length).toFixed(0)}% of logits inside that range; best mean AP ${reduce.result[best].toFixed(4)} at logit ${thresholds[best].toFixed(2)})\n\n`,
  );
  process.stdout.write('| method | wall (ms) | CPU (ms) | vs naive (CPU) |\n|---|---:|---:|---:|\n');
  const row = (name: string, t: { ms: number; cpuMs: number }, ratio = '') =>
    process.stdout.write(`| ${name} | ${t.ms.toFixed(0)} | ${t.cpuMs.toFixed(0)} | ${ratio} |\n`);
  row(`${N} images: thresholdStats (one pass)`, stats);
  row(`${N} images: meanScoreFromStats (all ${T} thresholds)`, reduce);
  row(`${N} images: stats + mean AP, total`, { ms: fast, cpuMs: fastCpu });
  row(`${N} images: then 6 minArea values × ${T} thresholds (reusing stats)`, reduceGrid);
  row(`${N_NAIVE} images: naive, re-threshold every pixel per threshold, O(P·T)`, naive, '1.0×');
  row(`${N_NAIVE} images: stats + mean AP (same images)`, fastHead, `${(naive.cpuMs / fastHead.cpuMs).toFixed(1)}× faster`);
  process.stdout.write('\n');
}

async function lossSection(backend: 'cpu' | 'wasm'): Promise<void> {
  if (backend === 'wasm') setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  tf.env().set('PROD', true);
  await tf.setBackend(backend);
  await tf.ready();
  const shape = [16, H, W, 1];
  const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(shape, 0, 1, 'float32', 1), 0.6), 'float32'));
  const x = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const losses: [string, (l: tf.Tensor, p: tf.Tensor) => tf.Scalar][] = [
    ['bce (baseline)', bceWithLogits],
    ['soft dice', (l, p) => softDice(l, p)],
    ['lovasz relu, per image', (l, p) => lovaszHinge(l, p)],
    ['lovasz relu, whole batch', (l, p) => lovaszHinge(l, p, { perImage: false })],
    ['lovasz elu+1, symmetric', (l, p) => lovaszHinge(l, p, { activation: 'elu+1', symmetric: true })],
    ['0.5·bce + lovasz elu+1', makeLoss([{ kind: 'bce', weight: 0.5 }, { kind: 'lovasz', weight: 1, activation: 'elu+1' }])],
  ];
  const reps = 5;
  const rows: [string, number][] = [];
  for (const [name, loss] of losses) {
    const step = tf.valueAndGrad((p: tf.Tensor) => loss(y, p));
    const once = () => {
      const { value, grad } = step(x);
      grad.dataSync();
      tf.dispose([value, grad]);
    };
    once();
    const samples: number[] = [];
    for (let r = 0; r < reps; r++) samples.push(time(once).cpuMs);
    samples.sort((a, b) => a - b);
    rows.push([name, samples[Math.floor(reps / 2)]]);
  }
  tf.dispose([x, y]);
  process.stdout.write(`Loss forward + backward, [16,101,101,1], ${backend} backend (median CPU time of ${reps})\n\n`);
  process.stdout.write('| loss | CPU ms / step | vs bce |\n|---|---:|---:|\n');
  for (const [name, ms] of rows) process.stdout.write(`| ${name} | ${ms.toFixed(1)} | ${(ms / rows[0][1]).toFixed(1)}× |\n`);
  process.stdout.write('\n');
}

async function main(): Promise<void> {
  sweepSection();
  await lossSection('cpu');
  await lossSection('wasm');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
