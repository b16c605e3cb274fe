import * as tf from '@tensorflow/tfjs';
import { toModelInput } from './input';
import { expectNoTensorLeak } from './test-helpers';

describe('toModelInput', () => {
  it('scales bytes to [0, 1] as [n, h, w, 1] float32', async () => {
    await expectNoTensorLeak(() => {
      // Two 2×3 images, row-major; 51/255 = 0.2, 102/255 = 0.4, 204/255 = 0.8.
      const bytes = Uint8Array.from([0, 255, 51, 102, 204, 0, 255, 255, 0, 0, 51, 51]);
      const x = toModelInput(bytes, 2, 2, 3);
      expect(x.shape).toEqual([2, 2, 3, 1]);
      expect(x.dtype).toBe('float32');
      const expected = [0, 1, 0.2, 0.4, 0.8, 0, 1, 1, 0, 0, 0.2, 0.2];
      Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
      x.dispose();
    });
  });

  it.each([
    [new Uint8Array(11), 2, 2, 3, /expected 2·2·3 = 12 pixels, got 11/],
    [new Uint8Array(0), 0, 2, 3, /n must be a positive integer/],
    [new Uint8Array(6), 1, 2.5, 3, /h must be a positive integer/],
  ])('rejects inconsistent sizes', (bytes, n, h, w, message) => {
    const before = tf.memory().numTensors;
    expect(() => toModelInput(bytes, n, h, w)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });
});
