/**
 * Synthetic dataset throughput: rendering alone (`renderSample`, the baseline), then the whole
 * `generateSynthetic` run (render + PNG encode + atomic writes + CSVs) into a temporary folder,
 * both at the competition's 101x101. Ratios are against the render-only time per sample.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic, renderSample } from '@segkit/synthetic';

const N = Number(process.env.SEGKIT_BENCH_IMAGES ?? 1000);
const SIZE = 101;

async function main(): Promise<void> {
  for (let i = 0; i < 50; i++) renderSample(i, SIZE); // warm up the JIT
  let t0 = performance.now();
  for (let i = 0; i < N; i++) renderSample(1000 + i, SIZE);
  const renderMs = (performance.now() - t0) / N;

  const root = mkdtempSync(join(tmpdir(), 'tgs-bench-synthetic-'));
  try {
    const nTrain = Math.round(N / 2);
    const nTest = N - nTrain;
    t0 = performance.now();
    const summary = await generateSynthetic({ outDir: join(root, 'data'), truthPath: join(root, 'truth.csv'), nTrain, nTest, seed: 1 });
    const generateMs = (performance.now() - t0) / N;
    const rows = [
      ['renderSample (baseline)', N, renderMs, 1],
      [`generateSynthetic (${nTrain} train + ${nTest} test)`, N, generateMs, generateMs / renderMs],
    ] as const;
    process.stdout.write('| step | samples | ms / sample | samples / s | vs render |\n|---|---:|---:|---:|---:|\n');
    for (const [name, n, ms, ratio] of rows) {
      process.stdout.write(`| ${name} | ${n} | ${ms.toFixed(2)} | ${(1000 / ms).toFixed(0)} | ${ratio.toFixed(2)}x |\n`);
    }
    process.stdout.write(`\nempty fraction ${summary.emptyFraction.toFixed(3)}, mean coverage ${summary.meanCoverage.toFixed(3)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
