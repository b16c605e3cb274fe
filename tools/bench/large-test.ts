/**
 * The data bench's second table: a large synthetic test set of big images (SEGKIT_BENCH_IMAGES of
 * SEGKIT_BENCH_SIZE², default 4000 of 256²) through the decoded cache and the streaming test path,
 * each measured in a process of its own (peak RSS is per process):
 *
 * - decoded-cache size: the test split kept at full size (input.mode "pad") against resized to the
 *   model's 64² (input.mode "resize"), and the time to build each (openTestSet, chunk by chunk);
 * - peak memory of the test-time path on the resized cache for a quarter, half and all of the
 *   images — predict (a small U-Net, hflip TTA, two folds, logits streamed to .npy as the predict
 *   step does), the fold ensemble chunk by chunk, and the submission with every mask brought back
 *   to 256² — against loading the same test split whole (loadTestSet). Flat means the ratio to the
 *   quarter-size run stays near 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { activateWasm } from '@segkit/backend';
import { loadTestSet, openTestSet } from '@segkit/data';
import { combineLogits } from '@segkit/ensemble';
import { NpyReader, NpyWriter } from '@segkit/io';
import { LAYOUTS } from '@segkit/layouts';
import { buildUnet, forwardLogits, ttaPairs } from '@segkit/models';
import { uniformSource } from '@segkit/random';
import { writeSubmission } from '@segkit/submit';

const N = Number(process.env.SEGKIT_BENCH_IMAGES ?? 4000);
const SIDE = Number(process.env.SEGKIT_BENCH_SIZE ?? 256);
const MODEL = 64;
const layout = LAYOUTS.folders;

/** N grey PNGs of SIDE² (smooth bands, a blob on every other one) in <dir>/test, ids in order. */
async function writeTestImages(dir: string, n: number): Promise<void> {
  const next = uniformSource(17);
  mkdirSync(join(dir, 'test'), { recursive: true });
  mkdirSync(join(dir, 'images'), { recursive: true });
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const img = new Uint8Array(SIDE * SIDE);
    const f = 0.02 + next() * 0.1;
    const cx = next() * SIDE;
    const cy = next() * SIDE;
    const r = i % 2 ? 0 : 10 + next() * SIDE * 0.2;
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) img[y * SIDE + x] = (x - cx) ** 2 + (y - cy) ** 2 < r * r ? 230 : Math.round(100 + 50 * Math.sin(f * (x + y)));
    jobs.push(sharp(img, { raw: { width: SIDE, height: SIDE, channels: 1 } }).png({ compressionLevel: 1 }).toFile(join(dir, 'test', `t${String(i).padStart(6, '0')}.png`)));
    if (jobs.length >= 32) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}

interface Measured {
  maxRssMb: number;
  seconds: number;
  bytes?: number;
}

/** Runs this file as a worker in a fresh process and returns what it measured. */
function inWorker(args: string[]): Measured {
  const res = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--worker', ...args], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 26 });
  if (res.status !== 0) throw new Error(`worker ${args.join(' ')} failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() as string) as Measured;
}

async function worker(kind: string, dataDir: string, cacheDir: string, n: number): Promise<Measured> {
  const t0 = Date.now();
  const resize = { height: MODEL, width: MODEL };
  if (kind === 'cache-full' || kind === 'cache-resized') {
    const test = await openTestSet(dataDir, { layout, cacheDir, ...(kind === 'cache-resized' ? { resize } : {}) });
    test.close();
    return { maxRssMb: 0, seconds: (Date.now() - t0) / 1000, bytes: test.bytes };
  }
  if (kind === 'load-whole') {
    const set = await loadTestSet(dataDir, { layout, cacheDir, resize });
    return { maxRssMb: 0, seconds: (Date.now() - t0) / 1000, bytes: set.images.length };
  }
  // stream: predict (2 folds) → ensemble → submission over the first n images of the resized cache
  if (!(await activateWasm())) throw new Error('wasm backend failed to initialise');
  const test = await openTestSet(dataDir, { layout, cacheDir, resize });
  const work = mkdtempSync(join(tmpdir(), 'segkit-bench-stream-'));
  try {
    const chunk = 256;
    const pixels = MODEL * MODEL;
    const folds = [0, 1].map((k) => join(work, `fold-${k}.npy`));
    for (const [k, path] of folds.entries()) {
      const model = buildUnet({ inputHeight: MODEL, inputWidth: MODEL, depth: 3, baseFilters: 4, block: 'plain', batchNorm: true, dropout: 0, scse: false, hypercolumn: false, seed: k });
      const writer = new NpyWriter(path, [n, MODEL, MODEL]);
      for (let start = 0; start < n; start += chunk) {
        const m = Math.min(chunk, n - start);
        forwardLogits(model, test.read(start, m), Array.from({ length: m }, (_, i) => i), MODEL, MODEL, { batchSize: 32, ttas: ttaPairs(true), onBatch: (v) => writer.write(v) });
      }
      writer.commit();
      model.dispose();
    }
    const ensembled = join(work, 'test.npy');
    const readers = folds.map((p) => new NpyReader(p));
    const writer = new NpyWriter(ensembled, [n, MODEL, MODEL]);
    const combined = new Float32Array(chunk * pixels);
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      writer.write(combineLogits(readers.map((r) => r.read(start, m)), 'logit-mean', combined.subarray(0, m * pixels)));
    }
    writer.commit();
    readers.forEach((r) => r.close());
    const ids = test.ids.slice(0, n);
    const sizes = Array.from({ length: n }, (_, i) => [test.sizes![2 * i], test.sizes![2 * i + 1]] as const);
    writeSubmission({ testIds: ids, testLogitsPath: ensembled, height: MODEL, width: MODEL, logitThreshold: 0, minArea: 0, outPath: join(work, 'submission.csv'), format: layout.submission, sizes });
    return { maxRssMb: 0, seconds: (Date.now() - t0) / 1000 };
  } finally {
    test.close();
    tf.disposeVariables();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Prints the large-test-set table (called from data.bench.ts). */
export async function benchLargeTestSet(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'segkit-large-test-'));
  try {
    const dataDir = join(root, 'data');
    const t0 = Date.now();
    await writeTestImages(dataDir, N);
    writeFileSync(join(root, 'written'), '');
    console.log(`\n${N} test PNGs of ${SIDE}×${SIDE} (grey), written in ${((Date.now() - t0) / 1000).toFixed(1)} s; model input ${MODEL}×${MODEL}\n`);
    const full = inWorker(['cache-full', dataDir, join(root, 'cache-full'), String(N)]);
    const resized = inWorker(['cache-resized', dataDir, join(root, 'cache'), String(N)]);
    const mb = (b: number) => (b / 1e6).toFixed(1);
    console.log('| decoded test cache | MB | bytes per image | vs full size | build s |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(`| full frames (input.mode pad) | ${mb(full.bytes!)} | ${Math.round(full.bytes! / N)} | 1.0x | ${full.seconds.toFixed(1)} |`);
    console.log(`| resized to ${MODEL}² (input.mode resize) | ${mb(resized.bytes!)} | ${Math.round(resized.bytes! / N)} | ${(resized.bytes! / full.bytes!).toFixed(4)}x | ${resized.seconds.toFixed(1)} |`);
    const sizes = [Math.max(1, Math.floor(N / 4)), Math.max(1, Math.floor(N / 2)), N];
    const runs = sizes.map((n) => ({ n, m: inWorker(['stream', dataDir, join(root, 'cache'), String(n)]) }));
    const whole = inWorker(['load-whole', dataDir, join(root, 'cache'), String(N)]);
    const fullWhole = inWorker(['load-whole-full', dataDir, join(root, 'cache-full'), String(N)]);
    console.log('\n| test-time path (own process) | images | peak RSS MB | vs first row | seconds |');
    console.log('|---|---:|---:|---:|---:|');
    for (const { n, m } of runs) console.log(`| stream: predict 2 folds (hflip TTA) → ensemble → submission at ${SIDE}² | ${n} | ${m.maxRssMb.toFixed(0)} | ${(m.maxRssMb / runs[0].m.maxRssMb).toFixed(2)}x | ${m.seconds.toFixed(1)} |`);
    console.log(`| loadTestSet whole, resized (for contrast) | ${N} | ${whole.maxRssMb.toFixed(0)} | ${(whole.maxRssMb / runs[0].m.maxRssMb).toFixed(2)}x | ${whole.seconds.toFixed(1)} |`);
    console.log(`| loadTestSet whole, full frames (for contrast) | ${N} | ${fullWhole.maxRssMb.toFixed(0)} | ${(fullWhole.maxRssMb / runs[0].m.maxRssMb).toFixed(2)}x | ${fullWhole.seconds.toFixed(1)} |`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') {
  const [kind, dataDir, cacheDir, n] = process.argv.slice(3);
  const run = kind === 'load-whole-full'
    ? (async () => {
        const t0 = Date.now();
        const set = await loadTestSet(dataDir, { layout, cacheDir });
        return { maxRssMb: 0, seconds: (Date.now() - t0) / 1000, bytes: set.images.length };
      })()
    : worker(kind, dataDir, cacheDir, Number(n));
  run
    .then((m) => {
      // ru_maxrss is in kilobytes on Linux
      process.stdout.write(`\n${JSON.stringify({ ...m, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
