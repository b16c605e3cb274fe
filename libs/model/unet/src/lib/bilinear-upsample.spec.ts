import * as tf from '@tensorflow/tfjs';
import { BilinearUpsample2D, upsampleBilinear2d } from './bilinear-upsample';
import { expectNoTensorLeak, plane, randomImages } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Naive PyTorch align_corners=False source taps of output index i: src = max(0, (i + ½)/s − ½),
 * i0 = ⌊src⌋, i1 = min(i0 + 1, n − 1), λ = src − i0.
 */
function taps(i: number, s: number, n: number): [number, number, number] {
  const src = Math.max(0, (i + 0.5) / s - 0.5);
  const i0 = Math.floor(src);
  return [Math.min(i0, n - 1), Math.min(i0 + 1, n - 1), src - i0];
}

/** Naive upsampling of one [h][w] plane. */
function naiveUpsample(img: number[][], s: number): number[][] {
  const h = img.length;
  const w = img[0].length;
  return Array.from({ length: h * s }, (_, i) => {
    const [y0, y1, ly] = taps(i, s, h);
    return Array.from({ length: w * s }, (_, j) => {
      const [x0, x1, lx] = taps(j, s, w);
      const top = img[y0][x0] * (1 - lx) + img[y0][x1] * lx;
      const bottom = img[y1][x0] * (1 - lx) + img[y1][x1] * lx;
      return top * (1 - ly) + bottom * ly;
    });
  });
}

/** Naive adjoint: scatter each upstream value back to its four taps with the same weights. */
function naiveAdjoint(upstream: number[][], s: number, h: number, w: number): number[][] {
  const dx = Array.from({ length: h }, () => new Array<number>(w).fill(0));
  upstream.forEach((row, i) => {
    const [y0, y1, ly] = taps(i, s, h);
    row.forEach((g, j) => {
      const [x0, x1, lx] = taps(j, s, w);
      dx[y0][x0] += g * (1 - ly) * (1 - lx);
      dx[y0][x1] += g * (1 - ly) * lx;
      dx[y1][x0] += g * ly * (1 - lx);
      dx[y1][x1] += g * ly * lx;
    });
  });
  return dx;
}

function expectClose(got: number[][], want: number[][], digits = 5): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, i) => {
    expect(row.length).toBe(want[i].length);
    row.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], digits));
  });
}

describe('upsampleBilinear2d', () => {
  it('matches a hand-computed 2×2 → 4×4 example (half-pixel centres, replicated edges)', async () => {
    await expectNoTensorLeak(() => {
      const x = tf.tensor4d([0, 4, 8, 12], [1, 2, 2, 1]);
      const y = upsampleBilinear2d(x, 2);
      // Along H: [0,4] [2,6] [6,10] [8,12]; along W each [a,b] → [a, a+(b−a)/4, a+3(b−a)/4, b].
      expect(plane(y)).toEqual([
        [0, 1, 3, 4],
        [2, 3, 5, 6],
        [6, 7, 9, 10],
        [8, 9, 11, 12],
      ]);
      tf.dispose([x, y]);
    });
  });

  it.each([
    [2, 3, 5],
    [4, 2, 3],
    [8, 4, 4],
    [3, 1, 2],
  ])('×%i on a %i×%i plane agrees with a naive PyTorch-convention resize', async (s, h, w) => {
    await expectNoTensorLeak(() => {
      const x = randomImages([1, h, w, 1], 13);
      const y = upsampleBilinear2d(x, s);
      expect(y.shape).toEqual([1, h * s, w * s, 1]);
      expectClose(plane(y), naiveUpsample(plane(x), s));
      tf.dispose([x, y]);
    });
  });

  it('matches tf.image.resizeBilinear with halfPixelCenters in the forward pass, all channels', async () => {
    await expectNoTensorLeak(() => {
      const x = randomImages([2, 5, 3, 4], 17);
      const ours = upsampleBilinear2d(x, 4);
      const theirs = tf.image.resizeBilinear(x, [20, 12], false, true);
      const a = ours.dataSync();
      const b = theirs.dataSync();
      expect(a.length).toBe(b.length);
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
      tf.dispose([x, ours, theirs]);
    });
  });

  it.each([2, 4, 8])('×%i gradient is the naive adjoint (scatter to the four taps)', async (s) => {
    await expectNoTensorLeak(() => {
      const [h, w] = [3, 4];
      const x = randomImages([1, h, w, 1], 19);
      const upstream = randomImages([1, h * s, w * s, 1], 23);
      const g = tf.grad((v: tf.Tensor) => upsampleBilinear2d(v as tf.Tensor4D, s).mul(upstream).sum())(x);
      expectClose(plane(g), naiveAdjoint(plane(upstream), s, h, w), 4);
      tf.dispose([x, upstream, g]);
    });
  });

  it('rejects a non-integer factor', () => {
    const x = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(() => upsampleBilinear2d(x, 1.5)).toThrow(/positive integer/);
    expect(() => new BilinearUpsample2D({ factor: 0 })).toThrow(/positive integer/);
    x.dispose();
  });
});

describe('BilinearUpsample2D layer', () => {
  it('computes symbolic shapes and round-trips through its config', () => {
    const layer = new BilinearUpsample2D({ factor: 4, name: 'up' });
    expect(layer.computeOutputShape([null, 8, 16, 32])).toEqual([null, 32, 64, 32]);
    expect(layer.computeOutputShape([null, null, 2, 1])).toEqual([null, null, 8, 1]);
    const back = BilinearUpsample2D.fromConfig(BilinearUpsample2D, layer.getConfig()) as BilinearUpsample2D;
    expect(back.factor).toBe(4);
    expect(back.name).toBe('up');
  });
});
