import * as tf from '@tensorflow/tfjs';
import { Rng } from '@segkit/random';
import { trainingBatch } from './batches';

const NONE = { hflip: false, brightness: 0, contrast: 0, shiftScale: 0 };

describe('trainingBatch', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('an RGB batch: x is [b, H, W, 3] of the chosen images\' bytes / 255, y their one-plane masks', () => {
    const before = tf.memory().numTensors;
    // Two 1×2 RGB images (bytes 0…5 and 6…11 times 20) and their masks.
    const images = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const masks = Uint8Array.from([1, 0, 0, 1]);
    const { x, y } = trainingBatch(images, masks, [1, 0], 1, 2, NONE, new Rng(1), 3);
    expect(x.shape).toEqual([2, 1, 2, 3]);
    expect(y.shape).toEqual([2, 1, 2, 1]);
    const want = [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5].map((k) => (k * 20) / 255);
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    expect(Array.from(y.dataSync())).toEqual([0, 1, 1, 0]);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a grey batch is as before: [b, H, W, 1]', () => {
    const before = tf.memory().numTensors;
    const { x, y } = trainingBatch(Uint8Array.from([0, 255, 51, 102]), Uint8Array.from([0, 1, 1, 0]), [1], 1, 2, NONE, new Rng(1));
    expect(x.shape).toEqual([1, 1, 2, 1]);
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([0.2, 0.4][i], 6));
    expect(Array.from(y.dataSync())).toEqual([1, 0]);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('trainingBatch with a crop', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // One 4×4 grey image with byte 10·p at pixel p, and a mask whose only foreground pixel is (3, 3).
  const images = Uint8Array.from({ length: 16 }, (_, p) => p * 10);
  const masks = Uint8Array.from({ length: 16 }, (_, p) => (p === 15 ? 1 : 0));

  it('bias 1 centres the crop on the foreground pixel, clamped inside the image: the 2×2 at (2, 2)', () => {
    const before = tf.memory().numTensors;
    const { x, y } = trainingBatch(images, masks, [0], 4, 4, NONE, new Rng(3), 1, { height: 2, width: 2, bias: 1 });
    expect(x.shape).toEqual([1, 2, 2, 1]);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    // Pixels (2,2), (2,3), (3,2), (3,3) are p = 10, 11, 14, 15.
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([100, 110, 140, 150][i] / 255, 6));
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0, 1]);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bias 0: the origin is (⌊u2·3⌋, ⌊u3·3⌋) from the Rng\'s 2nd and 3rd draws, and the same seed gives the same crops', () => {
    const before = tf.memory().numTensors;
    const draws = new Rng(7);
    const origins: Array<[number, number]> = [];
    for (let b = 0; b < 3; b++) {
      draws.next();
      origins.push([Math.floor(draws.next() * 3), Math.floor(draws.next() * 3)]);
    }
    const run = () => trainingBatch(images, masks, [0, 0, 0], 4, 4, NONE, new Rng(7), 1, { height: 2, width: 2, bias: 0 });
    const a = run();
    const b = run();
    const want = origins.flatMap(([y0, x0]) => [0, 1, 4, 5].map((d) => ((y0 * 4 + x0 + d) * 10) / 255));
    Array.from(a.x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    expect(Array.from(b.x.dataSync())).toEqual(Array.from(a.x.dataSync()));
    tf.dispose([a.x, a.y, b.x, b.y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
