import { bceWithLogits } from './bce';
import { expectNoLeak, useBackend, valueAndGradOf } from './testing';

/** Naive float64 BCE of one pixel, by cases so that it never overflows: −log σ(x) = log(1 + e^−x). */
function naiveBce(x: number, y: number): number {
  const softplusNeg = (v: number) => (v > 0 ? Math.log1p(Math.exp(-v)) : -v + Math.log1p(Math.exp(v))); // log(1 + e^−v)
  return y * softplusNeg(x) + (1 - y) * softplusNeg(-x);
}
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

describe.each(['cpu', 'wasm'] as const)('bceWithLogits on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([
    // [logits, labels]
    [[0, 0], [0, 1]],
    [[100, -100, 100, -100], [1, 0, 0, 1]],
    [[1000, -1000, 1000, -1000], [1, 0, 0, 1]],
    [[2.5, -0.75, 0.1, -8], [1, 1, 0, 0]],
  ])('logits %j labels %j: finite value and gradient (σ(x) − y)/N', (logits, labels) => {
    expectNoLeak(() => {
      const { value, grad } = valueAndGradOf(bceWithLogits, labels, logits, [1, logits.length, 1, 1]);
      const n = logits.length;
      const expected = logits.reduce((s, x, i) => s + naiveBce(x, labels[i]), 0) / n;
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeCloseTo(expected, 4);
      grad.forEach((g, i) => {
        expect(Number.isFinite(g)).toBe(true);
        expect(g).toBeCloseTo((sigmoid(logits[i]) - labels[i]) / n, 6);
      });
    });
  });

  it('known values: log 2 at x = 0, 1000 for a confident miss', () => {
    expectNoLeak(() => {
      expect(valueAndGradOf(bceWithLogits, [1], [0], [1, 1]).value).toBeCloseTo(Math.LN2, 6);
      expect(valueAndGradOf(bceWithLogits, [1], [-1000], [1, 1]).value).toBeCloseTo(1000, 3);
    });
  });
});
