import * as tf from '@tensorflow/tfjs';
import { softDice } from './dice';
import { expectNoLeak, finiteDifferences, normal, rng, useBackend, valueAndGradOf } from './testing';

/** Naive float64 soft Dice, image by image. */
function naiveDice(logits: number[], labels: number[], batch: number, smooth = 1): number {
  const n = logits.length / batch;
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    let py = 0;
    let p = 0;
    let y = 0;
    for (let i = b * n; i < (b + 1) * n; i++) {
      const s = 1 / (1 + Math.exp(-logits[i]));
      py += s * labels[i];
      p += s;
      y += labels[i];
    }
    sum += 1 - (2 * py + smooth) / (p + y + smooth);
  }
  return sum / batch;
}

describe.each(['cpu', 'wasm'] as const)('softDice on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('by hand: empty truth and empty prediction → 0, empty truth → Σp/(Σp+1)', () => {
    expectNoLeak(() => {
      // σ(0) = 0.5 on 2 pixels, empty truth: 1 − 1/(1 + 1) = 0.5
      expect(valueAndGradOf(softDice, [0, 0], [0, 0], [1, 2]).value).toBeCloseTo(0.5, 6);
      expect(valueAndGradOf(softDice, [0, 0], [-100, -100], [1, 2]).value).toBeCloseTo(0, 6);
      // perfect confident prediction of 3 pixels: 1 − (6 + 1)/(3 + 3 + 1) = 0
      expect(valueAndGradOf(softDice, [1, 1, 1, 0], [50, 50, 50, -50], [1, 4]).value).toBeCloseTo(0, 6);
    });
  });

  it.each([5, 6])('value and gradient match the naive form on random data (seed %d)', (seed) => {
    const r = rng(seed);
    const labels = Array.from({ length: 3 * 16 }, (_, i) => (i < 16 ? 0 : r() < 0.5 ? 1 : 0));
    const logits = labels.map(() => Math.fround(normal(r) * 2));
    expectNoLeak(() => {
      const { value, grad } = valueAndGradOf(softDice, labels, logits, [3, 4, 4, 1]);
      const reference = (x: number[]) => naiveDice(x, labels, 3);
      expect(value).toBeCloseTo(reference(logits), 5);
      const fd = finiteDifferences(reference, logits);
      grad.forEach((g, i) => expect(Math.abs(g - fd[i])).toBeLessThan(1e-5));
    });
  });

  it('smooth option and its validation', () => {
    expectNoLeak(() => {
      const { value } = valueAndGradOf((y, x) => softDice(y, x, { smooth: 0.1 }), [1, 0], [0, 0], [1, 2]);
      expect(value).toBeCloseTo(naiveDice([0, 0], [1, 0], 1, 0.1), 6);
      const y = tf.zeros([1, 2]);
      expect(() => softDice(y, y, { smooth: -1 })).toThrow(/smooth/);
      y.dispose();
    });
  });
});
