/**
 * Kaggle-layout loading throughput: writes N synthetic 101x101 RGB images (three equal channels,
 * smooth bands plus noise, like seismic sections) and 16-bit 0/65535 masks into a temporary
 * folder, then times `loadTrainSet` decoding every PNG with sharp (uncached) against reading the
 * binary split cache it wrote (cached). Then the large test set of ./large-test.ts: decoded-cache
 * size at full size and resized, and peak memory of the streaming test-time path.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadTrainSet } from '@segkit/data';
import { uniformSource } from '@segkit/random';
import { benchLargeTestSet } from './large-test';

const N = Number(process.env.SEGKIT_BENCH_IMAGES ?? 2000);
const H = 101;
const W = 101;

async function writeDataset(dir: string): Promise<void> {
  const next = uniformSource(2018);
  mkdirSync(join(dir, 'train', 'images'), { recursive: true });
  mkdirSync(join(dir, 'train', 'masks'), { recursive: true });
  const depths = ['id,z'];
  const jobs: Promise<unknown>[] = [];
  for (let n = 0; n < N; n++) {
    const id = `img${String(n).padStart(5, '0')}`;
    const rgb = new Uint8Array(H * W * 3);
    const mask = new Uint16Array(H * W);
    const freq = 0.05 + next() * 0.3;
    const tilt = next() * 2 - 1;
    const phase = next() * 6.3;
    const boundary = next() < 0.4 ? Infinity : next() * H; // ~40% empty masks
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = 128 + 70 * Math.sin(freq * (y + tilt * x) + phase) + 20 * (next() - 0.5);
        const g = Math.max(0, Math.min(255, Math.round(v)));
        const i = y * W + x;
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
        if (y > boundary + 10 * Math.sin(x / 15)) mask[i] = 65535;
      }
    }
    jobs.push(sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(dir, 'train', 'images', `${id}.png`)));
    jobs.push(
      sharp(mask, { raw: { width: W, height: H, channels: 1 } })
        .toColourspace('grey16')
        .png()
        .toFile(join(dir, 'train', 'masks', `${id}.png`)),
    );
    depths.push(`${id},${Math.round(50 + next() * 900)}`);
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  writeFileSync(join(dir, 'depths.csv'), depths.join('\n') + '\n');
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'tgs-data-bench-'));
  try {
    const dataDir = join(root, 'data');
    const cacheDir = join(root, 'cache');
    const tWrite = await seconds(() => writeDataset(dataDir));
    const uncached = await seconds(() => loadTrainSet(dataDir));
    const building = await seconds(() => loadTrainSet(dataDir, { cacheDir }));
    let cached = Infinity;
    for (let r = 0; r < 3; r++) cached = Math.min(cached, await seconds(() => loadTrainSet(dataDir, { cacheDir })));

    const rate = (s: number) => Math.round(N / s).toLocaleString('en-US');
    console.log(`${N} train images of ${H}x${W} (RGB PNG) + ${N} 16-bit mask PNGs; writing them took ${tWrite.toFixed(1)} s\n`);
    console.log('| load | seconds | images/s | vs uncached |');
    console.log('|---|---:|---:|---:|');
    console.log(`| uncached (sharp decode of image + mask) | ${uncached.toFixed(2)} | ${rate(uncached)} | 1.0x |`);
    console.log(`| first load with cacheDir (decode + write cache) | ${building.toFixed(2)} | ${rate(building)} | ${(uncached / building).toFixed(2)}x |`);
    console.log(`| cached (best of 3) | ${cached.toFixed(3)} | ${rate(cached)} | ${(uncached / cached).toFixed(0)}x |`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  await benchLargeTestSet();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
