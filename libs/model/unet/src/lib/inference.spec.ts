import * as tf from '@tensorflow/tfjs';
import { forwardLogits, hflipTta, identityTta, LogitsModel, toModelInput, ttaPairs } from './inference';
import { expectNoTensorLeak } from './test-helpers';

/** A model as a plain function of its input (pixel-wise, so expected logits are easy to write down). */
const fnModel = (f: (x: tf.Tensor4D) => tf.Tensor4D): LogitsModel => ({ predict: (x) => f(x) });

/** Multiplies pixel (i, j) by j + 1: not flip-equivariant, so TTA changes its logits. */
const columnRamp = (width: number): LogitsModel => fnModel((x) => tf.mul(x, tf.tensor4d(Array.from({ length: width }, (_, j) => j + 1), [1, 1, width, 1])));

/** n images of h×w with distinct bytes: image k, pixel p holds (37k + 11p + 3) mod 256. */
function bytes(n: number, h: number, w: number): Uint8Array {
  return Uint8Array.from({ length: n * h * w }, (_, q) => {
    const k = Math.floor(q / (h * w));
    return (37 * k + 11 * (q % (h * w)) + 3) % 256;
  });
}

describe('toModelInput', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('scales the chosen images to [0, 1] as [n, h, w, 1] float32, in the order asked', () =>
    expectNoTensorLeak(() => {
      // Two 2×3 images, row-major; 51/255 = 0.2, 102/255 = 0.4, 204/255 = 0.8.
      const images = Uint8Array.from([0, 255, 51, 102, 204, 0, 255, 255, 0, 0, 51, 51]);
      const x = toModelInput(images, [1, 0], 2, 3);
      expect(x.shape).toEqual([2, 2, 3, 1]);
      expect(x.dtype).toBe('float32');
      const expected = [1, 1, 0, 0, 0.2, 0.2, 0, 1, 0.2, 0.4, 0.8, 0];
      Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
      x.dispose();
    }));

  it('RGB: interleaved bytes become [n, h, w, 3], each byte / 255 in place', () =>
    expectNoTensorLeak(() => {
      // Two 1×2 RGB images: (0,51,102),(153,204,255) and (255,0,51),(102,0,0).
      const images = Uint8Array.from([0, 51, 102, 153, 204, 255, 255, 0, 51, 102, 0, 0]);
      const x = toModelInput(images, [1], 1, 2, 3);
      expect(x.shape).toEqual([1, 1, 2, 3]);
      const expected = [1, 0, 0.2, 0.4, 0, 0];
      Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
      x.dispose();
      expect(() => toModelInput(images, [0], 1, 3, 3)).toThrow(/12 bytes are not whole 1×3×3 images/);
    }));

  it.each([
    [new Uint8Array(11), [0], 2, 3, /11 bytes are not whole 2×3×1 images/],
    [new Uint8Array(12), [2], 2, 3, /index 2 is outside the 2 images/],
    [new Uint8Array(12), [0.5], 2, 3, /index 0.5 is outside/],
    [new Uint8Array(6), [0], 2.5, 3, /height must be a positive integer/],
    [new Uint8Array(6), [0], 2, 0, /width must be a positive integer/],
  ])('rejects inconsistent sizes and indices (%#)', (images, indices, h, w, message) =>
    expectNoTensorLeak(() => {
      expect(() => toModelInput(images, indices, h, w)).toThrow(message);
    }));
});

describe('TTA pairs', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('hflip reverses the width axis of [B,H,W,C] (by hand)', () =>
    expectNoTensorLeak(() => {
      tf.tidy(() => {
        const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
        expect(Array.from(hflipTta.augment(x).dataSync())).toEqual([3, 2, 1, 6, 5, 4]);
      });
    }));

  it.each([identityTta, hflipTta])('deaugment ∘ augment = identity for $name', (pair) =>
    expectNoTensorLeak(() => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 5, 7, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
        const back = pair.deaugment(pair.augment(x));
        expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
      });
    }));

  it('lists the pairs the config asks for', () => {
    expect(ttaPairs(false).map((p) => p.name)).toEqual(['identity']);
    expect(ttaPairs(true).map((p) => p.name)).toEqual(['identity', 'hflip']);
  });
});

describe('forwardLogits', () => {
  const [n, h, w] = [5, 2, 3];
  const images = bytes(n, h, w);
  /** Pixel (k, i, j) of the images as the model sees it. */
  const px = (k: number, i: number, j: number): number => images[(k * h + i) * w + j] / 255;
  /** Expected logits for `indices`, pixel by pixel from a formula of (k, i, j). */
  const expected = (indices: number[], f: (k: number, i: number, j: number) => number): number[] =>
    indices.flatMap((k) => Array.from({ length: h * w }, (_, p) => f(k, Math.floor(p / w), p % w)));
  const expectClose = (got: ArrayLike<number>, want: number[]): void => {
    expect(got.length).toBe(want.length);
    Array.from(got).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  };
  const order = [4, 1, 3, 0, 2];

  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('without TTA: the model of each image, in the order of the indices', () =>
    expectNoTensorLeak(() => {
      const got = forwardLogits(columnRamp(w), images, order, h, w, { batchSize: 2 });
      expectClose(got, expected(order, (k, i, j) => px(k, i, j) * (j + 1)));
    }));

  it('with hflip TTA: the mean of x·(j+1) and the flipped pass x·(W−j), i.e. x·(W+1)/2', () =>
    expectNoTensorLeak(() => {
      // flip → ramp → flip gives pixel j the weight of column W−1−j, i.e. W − j.
      const got = forwardLogits(columnRamp(w), images, order, h, w, { batchSize: 3, ttas: ttaPairs(true) });
      expectClose(got, expected(order, (k, i, j) => (px(k, i, j) * (w + 1)) / 2));
      const plain = forwardLogits(columnRamp(w), images, order, h, w, { batchSize: 3, ttas: ttaPairs(false) });
      expectClose(plain, expected(order, (k, i, j) => px(k, i, j) * (j + 1)));
    }));

  it('with hflip TTA: one forward pass per batch, the plain views then the flipped ones', () =>
    expectNoTensorLeak(() => {
      const seen: number[][] = [];
      const counting = fnModel((x) => {
        seen.push(x.shape);
        return tf.mul(x, tf.tensor4d(Array.from({ length: w }, (_, j) => j + 1), [1, 1, w, 1]));
      });
      const first = new Map<number, number>();
      const probe = fnModel((x) => {
        // The first pixel of each image in the batch: plain views first, then flipped ones.
        const v = x.dataSync();
        Array.from({ length: x.shape[0] }, (_, b) => first.set(b, v[b * h * w]));
        return x.clone();
      });
      forwardLogits(counting, images, order, h, w, { batchSize: 2, ttas: ttaPairs(true) });
      expect(seen).toEqual([[4, h, w, 1], [4, h, w, 1], [2, h, w, 1]]);
      forwardLogits(probe, images, [3], h, w, { batchSize: 1, ttas: ttaPairs(true) });
      expect([first.get(0), first.get(1)]).toEqual([px(3, 0, 0), px(3, 0, w - 1)].map((v) => Math.fround(v)));
    }));

  it('with several models: the mean of their logits (2x and 4x + 1 give 3x + 0.5)', () =>
    expectNoTensorLeak(() => {
      const models = [fnModel((x) => tf.mul(x, 2)), fnModel((x) => tf.add(tf.mul(x, 4), 1))];
      const got = forwardLogits(models, images, order, h, w, { batchSize: 4, ttas: [identityTta] });
      expectClose(got, expected(order, (k, i, j) => 3 * px(k, i, j) + 0.5));
    }));

  it('streams batch by batch with the position of each batch, the same values as one array', () =>
    expectNoTensorLeak(() => {
      const whole = forwardLogits(columnRamp(w), images, order, h, w, { batchSize: 5, ttas: ttaPairs(true) });
      const starts: number[] = [];
      const streamed = new Float32Array(order.length * h * w);
      const none = forwardLogits(columnRamp(w), images, order, h, w, {
        batchSize: 2,
        ttas: ttaPairs(true),
        onBatch: (v, start) => {
          starts.push(start);
          streamed.set(v, start * h * w);
        },
      });
      expect(none.length).toBe(0);
      expect(starts).toEqual([0, 2, 4]);
      expect(Array.from(streamed)).toEqual(Array.from(whole));
    }));

  it('runs a real layers model (1×1 conv, weight 2, bias 0.5)', async () => {
    await expectNoTensorLeak(() => {
      const input = tf.input({ shape: [h, w, 1] });
      const model = tf.model({ inputs: input, outputs: tf.layers.conv2d({ filters: 1, kernelSize: 1 }).apply(input) as tf.SymbolicTensor });
      const weights = [tf.tensor4d([2], [1, 1, 1, 1]), tf.tensor1d([0.5])];
      model.setWeights(weights);
      tf.dispose(weights);
      try {
        const got = forwardLogits(model, images, [2, 0], h, w, { batchSize: 8, ttas: ttaPairs(true) });
        expectClose(got, expected([2, 0], (k, i, j) => 2 * px(k, i, j) + 0.5));
      } finally {
        model.dispose();
      }
    });
  });

  it.each([0, 1.5])('rejects batchSize %s', (batchSize) => {
    expect(() => forwardLogits(columnRamp(w), images, order, h, w, { batchSize })).toThrow(/batchSize must be a positive integer/);
  });

  it('RGB (channels 3): the model sees the three channels of each image (a model summing them, with hflip TTA)', () =>
    expectNoTensorLeak(() => {
      // Three 2×3 RGB images; the model's logit at a pixel is R + G + B (in [0, 3]), flip-invariant per pixel.
      const rgb = Uint8Array.from({ length: 3 * h * w * 3 }, (_, q) => (29 * q + 7) % 256);
      const sum: LogitsModel = { predict: (x) => tf.sum(x, -1, true) };
      const got = forwardLogits(sum, rgb, [2, 0], h, w, { batchSize: 1, ttas: ttaPairs(true), channels: 3 });
      const want = [2, 0].flatMap((k) => Array.from({ length: h * w }, (_, p) => (rgb[(k * h * w + p) * 3] + rgb[(k * h * w + p) * 3 + 1] + rgb[(k * h * w + p) * 3 + 2]) / 255));
      expectClose(got, want);
    }));

  it('rejects an empty model list', () => {
    expect(() => forwardLogits([], images, order, h, w, { batchSize: 2 })).toThrow(/no models/);
  });
});
