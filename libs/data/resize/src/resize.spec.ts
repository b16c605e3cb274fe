import { axisWeights, resizeImageBytes, resizeLogits, resizeMask, resizePlane } from './resize';

/** A second, naive implementation: each output pixel straight from the per-axis formulas. */
function naive(src: number[], h: number, w: number, oh: number, ow: number): number[] {
  const taps = (n: number, o: number, on: number): Array<[number, number]> => {
    if (on >= n) {
      const x = Math.min(Math.max((o + 0.5) * (n / on) - 0.5, 0), n - 1);
      const i0 = Math.floor(x);
      return [[i0, 1 - (x - i0)], [Math.min(i0 + 1, n - 1), x - i0]];
    }
    const s = n / on;
    const out: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const overlap = Math.min(i + 1, (o + 1) * s) - Math.max(i, o * s);
      if (overlap > 0) out.push([i, overlap / s]);
    }
    return out;
  };
  const out: number[] = [];
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let v = 0;
      for (const [iy, wy] of taps(h, y, oh)) for (const [ix, wx] of taps(w, x, ow)) v += wy * wx * src[iy * w + ix];
      out.push(v);
    }
  }
  return out;
}

describe('axisWeights', () => {
  it('averages areas when shrinking: 3 → 2 weighs [2/3, 1/3] and [1/3, 2/3]', () => {
    const a = axisWeights(3, 2);
    expect(a.taps).toBe(3);
    expect(Array.from(a.index.subarray(0, 2))).toEqual([0, 1]);
    expect(a.weight[0]).toBeCloseTo(2 / 3, 12);
    expect(a.weight[1]).toBeCloseTo(1 / 3, 12);
    expect(Array.from(a.index.subarray(3, 5))).toEqual([1, 2]);
    expect(a.weight[3]).toBeCloseTo(1 / 3, 12);
    expect(a.weight[4]).toBeCloseTo(2 / 3, 12);
  });
});

describe('resizePlane', () => {
  it.each([
    // 4 → 2 by area: pairs averaged
    [[1, 3, 5, 7], 4, 2, [2, 6]],
    // 3 → 2 by area: 0·2/3 + 3·1/3 = 1, 3·1/3 + 6·2/3 = 5
    [[0, 3, 6], 3, 2, [1, 5]],
    // 2 → 4 bilinear, half-pixel centres: x = −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    [[0, 4], 2, 4, [0, 1, 3, 4]],
    // 3 → 3: the identity
    [[5, -2, 9], 3, 3, [5, -2, 9]],
  ])('%j along a row of %i → %i gives %j', (src, n, out, expected) => {
    const got = resizePlane(src, 1, n, 1, 1, out);
    expect(Array.from(got).map((v) => +v.toFixed(5))).toEqual(expected);
    // and the same along a column
    const col = resizePlane(src, n, 1, 1, out, 1);
    expect(Array.from(col).map((v) => +v.toFixed(5))).toEqual(expected);
  });

  it('matches the naive per-pixel formula on a non-square image, both ways', () => {
    const h = 7;
    const w = 5;
    const src = Array.from({ length: h * w }, (_, p) => ((p * 37) % 11) - 3.5);
    for (const [oh, ow] of [[3, 2], [10, 12], [7, 3], [2, 9]]) {
      const got = Array.from(resizePlane(src, h, w, 1, oh, ow));
      naive(src, h, w, oh, ow).forEach((v, p) => expect(got[p]).toBeCloseTo(v, 4));
    }
  });

  it('keeps a constant plane constant and resizes channels independently', () => {
    const src = new Float32Array(6 * 4 * 3);
    for (let p = 0; p < 24; p++) src.set([10, 20, 30], p * 3);
    const out = resizePlane(src, 6, 4, 3, 5, 7);
    for (let p = 0; p < 35; p++) expect(Array.from(out.subarray(p * 3, p * 3 + 3)).map((v) => +v.toFixed(4))).toEqual([10, 20, 30]);
  });

  it('refuses sizes that do not fit', () => {
    expect(() => resizePlane([1, 2, 3], 2, 2, 1, 1, 1)).toThrow('3 values are not 2×2×1');
    expect(() => axisWeights(0, 3)).toThrow('inSize must be a positive integer');
  });
});

describe('resizeImageBytes, resizeMask, resizeLogits', () => {
  it('rounds an 8-bit image', () => {
    // 3 → 2 by area: 10·2/3 + 11·1/3 = 10.33 → 10; 11·1/3 + 13·2/3 = 12.33 → 12
    expect(Array.from(resizeImageBytes(Uint8Array.from([10, 11, 13]), 1, 3, 1, 1, 2))).toEqual([10, 12]);
  });

  it('keeps mask pixels whose footprint is at least half foreground', () => {
    // 4×4 → 2×2: the footprints hold 4, 2, 1, 0 foreground pixels of 4
    const m = Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(resizeMask(m, 4, 4, 2, 2))).toEqual([1, 1, 0, 0]);
    // non-zero counts as foreground; growing 1×2 → 1×4 interpolates 0, 0.25, 0.75, 1 before the threshold
    expect(Array.from(resizeMask(Uint8Array.from([0, 255]), 1, 2, 1, 4))).toEqual([0, 0, 1, 1]);
  });

  it('brings logits back to an image\'s own size', () => {
    // a 1×2 row of logits [−2, 2] to 1×4: −2, −1, 1, 2
    expect(Array.from(resizeLogits(Float32Array.from([-2, 2]), 1, 2, 1, 4))).toEqual([-2, -1, 1, 2]);
  });
});
