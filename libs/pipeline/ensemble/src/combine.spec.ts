import { combineLogits } from './combine';

describe('combineLogits', () => {
  it('logit-mean is the arithmetic mean (by hand)', () => {
    const out = combineLogits([Float32Array.from([1, -2, 0]), Float32Array.from([3, 2, -4])], 'logit-mean');
    expect([...out]).toEqual([2, 0, -2]);
  });

  it('prob-mean averages probabilities and returns a logit (by hand)', () => {
    // σ(0) = 0.5 and σ(log 3) = 0.75 → mean 0.625 → logit = log(0.625/0.375) = log(5/3)
    const out = combineLogits([Float32Array.from([0]), Float32Array.from([Math.log(3)])], 'prob-mean');
    expect(out[0]).toBeCloseTo(Math.log(5 / 3), 6);
  });

  it('agrees between modes when the folds agree', () => {
    const a = Float32Array.from([-3, 0.5, 7]);
    const lm = combineLogits([a, a, a], 'logit-mean');
    const pm = combineLogits([a, a, a], 'prob-mean');
    for (let i = 0; i < a.length; i++) expect(pm[i]).toBeCloseTo(lm[i], 4);
  });

  it('rejects arrays of different lengths', () => {
    expect(() => combineLogits([new Float32Array(2), new Float32Array(3)], 'logit-mean')).toThrow('differ in length');
  });

  it('prob-mean of saturated folds stays finite (the logit clamp)', () => {
    const out = combineLogits([Float32Array.from([200, -200]), Float32Array.from([300, -300])], 'prob-mean');
    expect(out[0]).toBeCloseTo(Math.log((1 - 1e-7) / 1e-7), 3);
    expect(out[1]).toBeCloseTo(-Math.log((1 - 1e-7) / 1e-7), 3);
  });
});
