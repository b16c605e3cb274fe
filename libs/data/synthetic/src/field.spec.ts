import { boxBlur, fractalField, selectKth, standardize, topCountThreshold, ValueNoise } from './field';
import { Rng } from '@segkit/random';

/** Direct 2-D box mean over the clamped (2r+1)² window — the definition, no running sums. */
function naiveBoxBlur(f: ArrayLike<number>, w: number, h: number, r: number): Float32Array {
  const out = new Float32Array(w * h);
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) s += f[clamp(y + dy, h - 1) * w + clamp(x + dx, w - 1)];
      out[y * w + x] = s / (2 * r + 1) ** 2;
    }
  return out;
}

describe('boxBlur', () => {
  it.each([
    [1, 7, 5],
    [2, 9, 4],
    [4, 6, 11],
    [8, 5, 5],
  ])('radius %d on %dx%d equals the direct clamped window mean', (r, w, h) => {
    const rng = new Rng(r * 100 + w);
    const f = Float32Array.from({ length: w * h }, () => rng.uniform(-3, 3));
    const got = boxBlur(f, w, h, r);
    const want = naiveBoxBlur(f, w, h, r);
    for (let i = 0; i < f.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
  });

  it('accepts a 0/1 mask and keeps a constant field constant', () => {
    const got = boxBlur(new Uint8Array(30).fill(1), 6, 5, 2);
    for (const v of got) expect(v).toBeCloseTo(1, 6);
  });
});

describe('selectKth / topCountThreshold', () => {
  it.each([1, 2, 17, 500, 999, 1000])('k-th smallest agrees with a full sort (n = 1000, with ties), rank %d', (rank) => {
    const rng = new Rng(rank);
    const a = Float32Array.from({ length: 1000 }, () => Math.round(rng.uniform(0, 50)));
    const sorted = Float32Array.from(a).sort();
    expect(selectKth(Float32Array.from(a), rank - 1)).toBe(sorted[rank - 1]);
  });

  it('thresholds so that exactly `count` distinct values are >= it', () => {
    const f = Float32Array.from([0.3, -1, 2.5, 0.7, 1.1, -0.2]);
    expect(topCountThreshold(f, 1)).toBeCloseTo(2.5);
    expect(topCountThreshold(f, 3)).toBeCloseTo(0.7);
    expect(topCountThreshold(f, 6)).toBe(-1);
    expect(Array.from(f)).toEqual(Array.from(Float32Array.from([0.3, -1, 2.5, 0.7, 1.1, -0.2]))); // input untouched
  });
});

describe('standardize', () => {
  it('maps [1, 2, 3, 4] to zero mean and unit (population) variance', () => {
    const sd = Math.sqrt(1.25);
    const got = standardize(Float32Array.from([1, 2, 3, 4]));
    [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });
  it('maps a constant field to zeros', () => {
    expect(Array.from(standardize(Float32Array.from([3, 3, 3])))).toEqual([0, 0, 0]);
  });
});

describe('ValueNoise and fractalField', () => {
  it('interpolates lattice values: bounded by [-1, 1], continuous across cell edges', () => {
    const noise = new ValueNoise(new Rng(1), 50, 50, 10, 10);
    for (let x = 0; x < 50; x += 0.37) {
      const v = noise.at(x, 13.3);
      expect(Math.abs(v)).toBeLessThanOrEqual(1);
      expect(Math.abs(noise.at(x + 1e-4, 13.3) - v)).toBeLessThan(1e-3);
    }
  });

  it('addTo adds amp·at(x, y) at every pixel', () => {
    const noise = new ValueNoise(new Rng(2), 12, 9, 4, 3);
    const out = new Float32Array(12 * 9).fill(1);
    noise.addTo(out, 12, 9, 0.5);
    for (let y = 0; y < 9; y++) for (let x = 0; x < 12; x++) expect(out[y * 12 + x]).toBeCloseTo(1 + 0.5 * noise.at(x, y), 5);
  });

  it('fractalField is standardized and smooth at its coarse scale', () => {
    const w = 40;
    const f = fractalField(new Rng(3), w, w, { cell: 16, octaves: 1 });
    let mean = 0;
    let sq = 0;
    let diff = 0;
    for (let i = 0; i < f.length; i++) {
      mean += f[i];
      sq += f[i] * f[i];
      if (i % w < w - 1) diff += (f[i + 1] - f[i]) ** 2;
    }
    expect(Math.abs(mean / f.length)).toBeLessThan(1e-4);
    expect(sq / f.length).toBeCloseTo(1, 3);
    // Neighbour differences are small compared with the unit variance: it is a smooth field.
    expect(diff / f.length).toBeLessThan(0.1);
  });
});
