import * as tf from '@tensorflow/tfjs';
import { hflipTta, identityTta, ttaPairs } from './tta';

function noLeaks(fn: () => void): void {
  const before = tf.memory().numTensors;
  fn();
  expect(tf.memory().numTensors).toBe(before);
}

describe('TTA pairs', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('hflip reverses the width axis of [B,H,W,C] (by hand)', () =>
    noLeaks(() => {
      tf.tidy(() => {
        const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
        expect(Array.from(hflipTta.augment(x).dataSync())).toEqual([3, 2, 1, 6, 5, 4]);
      });
    }));

  it.each([identityTta, hflipTta])('deaugment ∘ augment = identity for $name', (pair) =>
    noLeaks(() => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 5, 7, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
        const back = pair.deaugment(pair.augment(x));
        expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
      });
    }));

  it('an hflip-equivariant model gives the same logits with and without TTA', () =>
    noLeaks(() => {
      tf.tidy(() => {
        // f(x) = x + flip(x) is symmetric under flips, so the TTA mean equals f(x).
        const f = (x: tf.Tensor4D) => tf.add(x, tf.reverse(x, 2)) as tf.Tensor4D;
        const x = tf.randomUniform([1, 3, 4, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
        const outs = ttaPairs(true).map((p) => p.deaugment(f(p.augment(x))));
        const mean = tf.div(tf.addN(outs), outs.length);
        const diff = tf.max(tf.abs(tf.sub(mean, f(x)))).dataSync()[0];
        expect(diff).toBeLessThan(1e-6);
      });
    }));

  it('lists the pairs the config asks for', () => {
    expect(ttaPairs(false).map((p) => p.name)).toEqual(['identity']);
    expect(ttaPairs(true).map((p) => p.name)).toEqual(['identity', 'hflip']);
  });
});
