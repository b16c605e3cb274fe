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
