import { LOGIT_EPS, logit, sigmoid } from './logit';

describe('sigmoid / logit', () => {
  // By hand: σ(log 3) = 1 / (1 + 1/3) = 3/4, σ(−log 3) = 1 / (1 + 3) = 1/4, σ(log 9) = 9/10.
  it.each([
    [0, 0.5],
    [Math.log(3), 0.75],
    [-Math.log(3), 0.25],
    [Math.log(9), 0.9],
  ])('σ(%p) = %p and logit(%p) = %p', (x, p) => {
    expect(sigmoid(x)).toBeCloseTo(p, 12);
    expect(logit(p)).toBeCloseTo(x, 12);
  });

  it('is symmetric: σ(−x) = 1 − σ(x), logit(1 − p) = −logit(p)', () => {
    for (const x of [-7, -0.3, 0.01, 2.5]) expect(sigmoid(-x)).toBeCloseTo(1 - sigmoid(x), 12);
    for (const p of [0.01, 0.2, 0.5, 0.97]) expect(logit(1 - p)).toBeCloseTo(-logit(p), 9);
  });

  it('clamps 0 and 1 (and beyond) to ±log((1 − ε)/ε)', () => {
    const edge = Math.log((1 - LOGIT_EPS) / LOGIT_EPS);
    expect(logit(0)).toBeCloseTo(-edge, 6);
    expect(logit(-0.5)).toBeCloseTo(-edge, 6);
    expect(logit(1)).toBeCloseTo(edge, 6);
    expect(logit(2)).toBeCloseTo(edge, 6);
    expect(edge).toBeCloseTo(16.118, 3);
  });

  it('saturates without NaN for large |x|', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
  });

  it('rejects NaN', () => expect(() => logit(NaN)).toThrow(RangeError));
});
