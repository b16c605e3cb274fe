import * as tf from '@tensorflow/tfjs';
import { padAmounts } from './config';
import { ReflectionPad2D, reflectionPad2d, type Padding2D } from './reflection-pad';
import { expectNoTensorLeak, plane, randomImages } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Naive reflection index (numpy 'reflect', pad < n): −k ↦ k, n−1+k ↦ n−1−k. */
function reflectIndex(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

/** Naive reference implementation on nested arrays [n][h][w][c]. */
function naivePad(x: number[][][][], [[t, b], [l, r]]: Padding2D): number[][][][] {
  return x.map((img) => {
    const h = img.length;
    const w = img[0].length;
    return Array.from({ length: h + t + b }, (_, i) =>
      Array.from({ length: w + l + r }, (_, j) => img[reflectIndex(i - t, h)][reflectIndex(j - l, w)]),
    );
  });
}

describe('reflectionPad2d', () => {
  it('matches a hand-computed 3×3 example with asymmetric pads', async () => {
    await expectNoTensorLeak(() => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const y = reflectionPad2d(x, [[1, 2], [2, 1]]);
      // Rows r1 r0 r1 r2 r1 r0; columns c2 c1 c0 c1 c2 c1.
      expect(plane(y)).toEqual([
        [6, 5, 4, 5, 6, 5],
        [3, 2, 1, 2, 3, 2],
        [6, 5, 4, 5, 6, 5],
        [9, 8, 7, 8, 9, 8],
        [6, 5, 4, 5, 6, 5],
        [3, 2, 1, 2, 3, 2],
      ]);
      tf.dispose([x, y]);
    });
  });

  it('pads wider than the image by reflecting repeatedly', async () => {
    await expectNoTensorLeak(() => {
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const y = reflectionPad2d(x, [[0, 0], [3, 0]]);
      // [1 2] → [2 1 2] → [2 1 2 1 2]
      expect(plane(y)).toEqual([
        [2, 1, 2, 1, 2],
        [4, 3, 4, 3, 4],
      ]);
      tf.dispose([x, y]);
    });
  });

  it.each<[Padding2D]>([[[[0, 0], [0, 0]]], [[[1, 0], [0, 4]]], [[[4, 3], [2, 6]]], [[[3, 3], [3, 3]]]])(
    'agrees with a naive reflection on random data, pads %j',
    async (padding) => {
      await expectNoTensorLeak(() => {
        const x = randomImages([2, 5, 7, 3], 11);
        const y = reflectionPad2d(x, padding);
        expect(y.arraySync()).toEqual(naivePad(x.arraySync(), padding));
        tf.dispose([x, y]);
      });
    },
  );

  it('has the gradient of a sum of copies: each pixel gets its number of occurrences', async () => {
    await expectNoTensorLeak(() => {
      const x = tf.zeros([1, 3, 3, 1]);
      const g = tf.grad((v: tf.Tensor) => reflectionPad2d(v as tf.Tensor4D, [[1, 1], [1, 1]]).sum())(x);
      // Rows r1 r0 r1 r2 r1: counts [1, 3, 1]; same for columns; the 2-D count is their outer product.
      expect(plane(g)).toEqual([
        [1, 3, 1],
        [3, 9, 3],
        [1, 3, 1],
      ]);
      tf.dispose([x, g]);
    });
  });

  it('back-propagates weighted upstream gradients to every source pixel (naive scatter-add)', async () => {
    await expectNoTensorLeak(() => {
      const [h, w] = [4, 6];
      const padding: Padding2D = [[3, 1], [2, 5]];
      const [[t, b], [l, r]] = padding;
      const x = randomImages([1, h, w, 1], 2);
      const weights = randomImages([1, h + t + b, w + l + r, 1], 3);
      const g = tf.grad((v: tf.Tensor) => reflectionPad2d(v as tf.Tensor4D, padding).mul(weights).sum())(x);
      const wv = plane(weights);
      const expected = Array.from({ length: h }, () => new Array<number>(w).fill(0));
      wv.forEach((row, i) => row.forEach((v, j) => (expected[reflectIndex(i - t, h)][reflectIndex(j - l, w)] += v)));
      const got = plane(g);
      got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
      tf.dispose([x, weights, g]);
    });
  });

  it('rejects negative pads and reflecting a 1-pixel dimension', () => {
    const x = tf.zeros([1, 1, 3, 1]) as tf.Tensor4D;
    expect(() => reflectionPad2d(x, [[-1, 0], [0, 0]])).toThrow(/non-negative/);
    expect(() => reflectionPad2d(x, [[1, 0], [0, 0]])).toThrow(/size 1/);
    x.dispose();
  });
});

describe('ReflectionPad2D layer + Cropping2D', () => {
  it.each([
    [101, 101, 128],
    [37, 50, 64],
  ])('pad %i×%i to %i then crop is the identity', async (h, w, padTo) => {
    await expectNoTensorLeak(() => {
      const padding: Padding2D = [padAmounts(h, padTo), padAmounts(w, padTo)];
      const pad = new ReflectionPad2D({ padding });
      const crop = tf.layers.cropping2D({ cropping: padding });
      const x = randomImages([2, h, w, 2], 5);
      const padded = pad.apply(x) as tf.Tensor;
      expect(padded.shape).toEqual([2, padTo, padTo, 2]);
      const back = crop.apply(padded) as tf.Tensor;
      expect(back.arraySync()).toEqual(x.arraySync());
      tf.dispose([x, padded, back]);
    });
  });

  it('computes symbolic output shapes, unknown sizes included', () => {
    const pad = new ReflectionPad2D({ padding: [[13, 14], [1, 2]] });
    expect(pad.computeOutputShape([null, 101, 101, 1])).toEqual([null, 128, 104, 1]);
    expect(pad.computeOutputShape([null, null, 5, 3])).toEqual([null, null, 8, 3]);
  });

  it('round-trips through its config', () => {
    const pad = new ReflectionPad2D({ padding: [[13, 14], [1, 2]], name: 'pad' });
    const config = pad.getConfig();
    expect(config['padding']).toEqual([[13, 14], [1, 2]]);
    const back = ReflectionPad2D.fromConfig(ReflectionPad2D, config) as ReflectionPad2D;
    expect(back.padding).toEqual([[13, 14], [1, 2]]);
    expect(back.name).toBe('pad');
  });
});
