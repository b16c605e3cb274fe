/**
 * RLE throughput on 101x101 masks shaped like TGS salt bodies (about 40% empty, the rest one or
 * two filled ellipses of random size), against a straightforward baseline written the way most
 * kernels port the numpy recipe: build the Kaggle-ordered pixel list, pad, collect change points,
 * join strings; decode by split/map(Number) and a per-pixel coordinate computation.
 */
import { decodeRle, encodeRle } from '@segkit/rle';
import { uniformSource } from '@segkit/random';

const H = 101;
const W = 101;
const N = 2000;

function blobMasks(n: number, seed: number): Uint8Array[] {
  const next = uniformSource(seed);
  const masks: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const m = new Uint8Array(H * W);
    if (next() >= 0.4) {
      const blobs = 1 + Math.floor(next() * 2);
      for (let b = 0; b < blobs; b++) {
        const cy = next() * H;
        const cx = next() * W;
        const ry = 3 + next() * 60;
        const rx = 3 + next() * 60;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const dy = (y - cy) / ry;
            const dx = (x - cx) / rx;
            if (dy * dy + dx * dx <= 1) m[y * W + x] = 1;
          }
        }
      }
    }
    masks.push(m);
  }
  return masks;
}

function naiveEncode(mask: Uint8Array): string {
  const flat: number[] = [0];
  for (let x = 0; x < W; x++) for (let y = 0; y < H; y++) flat.push(mask[y * W + x] ? 1 : 0);
  flat.push(0);
  const changes: number[] = [];
  for (let i = 1; i < flat.length; i++) if (flat[i] !== flat[i - 1]) changes.push(i);
  let out = '';
  for (let i = 0; i < changes.length; i += 2) out += `${changes[i]} ${changes[i + 1] - changes[i]} `;
  return out.trim();
}

function naiveDecode(rle: string): Uint8Array {
  const m = new Uint8Array(H * W);
  if (rle.trim() === '') return m;
  const t = rle.trim().split(' ').map(Number);
  for (let i = 0; i < t.length; i += 2) {
    for (let p = t[i] - 1; p < t[i] - 1 + t[i + 1]; p++) {
      const x = Math.floor(p / H);
      const y = p % H;
      m[y * W + x] = 1;
    }
  }
  return m;
}

/** Best of `reps` timed passes over all masks, in masks per second. */
function rate(reps: number, pass: () => void): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    pass();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return N / best;
}

const masks = blobMasks(N, 7);
const rles = masks.map((m) => encodeRle(m, H, W));
for (let i = 0; i < N; i++) {
  if (rles[i] !== naiveEncode(masks[i])) throw new Error(`encoders disagree on mask ${i}`);
}
const coverage = masks.reduce((s, m) => s + m.reduce((a, v) => a + v, 0), 0) / (N * H * W);
let sink = 0;
const encFast = rate(5, () => {
  for (const m of masks) sink += encodeRle(m, H, W).length;
});
const encNaive = rate(5, () => {
  for (const m of masks) sink += naiveEncode(m).length;
});
const decFast = rate(5, () => {
  for (const r of rles) sink += decodeRle(r, H, W)[5000];
});
const decNaive = rate(5, () => {
  for (const r of rles) sink += naiveDecode(r)[5000];
});

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`${N} masks of ${H}x${W}, mean coverage ${(coverage * 100).toFixed(1)}% (checksum ${sink % 10})\n`);
console.log('| operation | @segkit/rle masks/s | naive masks/s | speed-up |');
console.log('|---|---:|---:|---:|');
console.log(`| encode | ${fmt(encFast)} | ${fmt(encNaive)} | ${(encFast / encNaive).toFixed(1)}x |`);
console.log(`| decode | ${fmt(decFast)} | ${fmt(decNaive)} | ${(decFast / decNaive).toFixed(1)}x |`);
