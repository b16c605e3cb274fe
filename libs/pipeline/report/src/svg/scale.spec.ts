import { formatTick, linearScale, niceDomain, niceStep, niceTicks, stepDecimals } from './scale';

describe('linearScale', () => {
  it.each([
    // domain, range, v, expected (by hand: r0 + (v - d0) * (r1 - r0) / (d1 - d0))
    [[0, 1], [0, 100], 0.25, 25],
    [[0, 1], [200, 0], 0.25, 150],
    [[10, 20], [50, 150], 15, 100],
    [[-1, 1], [0, 10], 0, 5],
    [[0, 1], [0, 100], 2, 200], // extrapolates
  ] as [[number, number], [number, number], number, number][])('%j -> %j maps %d to %d', (domain, range, v, expected) => {
    expect(linearScale(domain, range)(v)).toBeCloseTo(expected, 10);
  });

  it('maps a degenerate domain to the middle of the range', () => {
    expect(linearScale([3, 3], [10, 30])(3)).toBe(20);
    expect(linearScale([3, 3], [10, 30])(100)).toBe(20);
  });
});

describe('niceStep', () => {
  it.each([
    // span / count = raw; raw / 10^floor(log10 raw) = norm; norm < 1.5 -> 1, < 3 -> 2, < 7 -> 5, else 10
    [1, 5, 0.2], // raw 0.2, norm 2 -> 2
    [0.12, 5, 0.02], // raw 0.024, norm 2.4 -> 2
    [100, 5, 20], // raw 20, norm 2 -> 2
    [7, 5, 1], // raw 1.4 -> 1
    [35, 5, 10], // raw 7 -> 10
    [0.9, 4, 0.2], // raw 0.225, norm 2.25 -> 2
    [4, 1, 5], // raw 4 -> 5
  ])('span %d, %d ticks -> %d', (span, count, expected) => {
    expect(niceStep(span, count)).toBeCloseTo(expected, 12);
  });

  it('returns 1 for an empty span', () => {
    expect(niceStep(0, 5)).toBe(1);
  });
});

describe('niceTicks / niceDomain', () => {
  it('covers [0.7, 0.82] in steps of 0.02 with exact decimals', () => {
    const { ticks, step } = niceTicks(0.7, 0.82, 5);
    expect(step).toBeCloseTo(0.02, 12);
    expect(ticks).toEqual([0.7, 0.72, 0.74, 0.76, 0.78, 0.8, 0.82]);
  });

  it('keeps only ticks inside the extent', () => {
    expect(niceTicks(0.05, 0.95, 4).ticks).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it('rounds the domain outwards to the step', () => {
    expect(niceDomain(0.7105, 0.8105, 5)).toEqual([0.7, 0.82]);
    expect(niceDomain(0, 1, 5)).toEqual([0, 1]);
    expect(niceDomain(-0.3, 2.2, 5)).toEqual([-0.5, 2.5]);
  });

  it('widens a single value so it still gets ticks', () => {
    const [lo, hi] = niceDomain(0.5, 0.5, 5);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    expect(niceTicks(0, 0, 4).ticks.length).toBeGreaterThan(1);
  });

  it('handles negative logit ranges', () => {
    const { ticks, step } = niceTicks(-2.94, 2.94, 6);
    expect(step).toBe(1);
    expect(ticks).toEqual([-2, -1, 0, 1, 2]);
  });
});

describe('formatTick / stepDecimals', () => {
  it.each([
    [0.5, 0.1, '0.5'],
    [0.8, 0.02, '0.80'],
    [20, 20, '20'],
    [-0, 0.5, '0.0'],
    [-1e-17, 0.01, '0.00'],
    [-2, 1, '-2'],
  ])('%d with step %d -> %s', (v, step, expected) => {
    expect(formatTick(v, step)).toBe(expected);
  });

  it.each([
    [0.05, 2],
    [0.1, 1],
    [0.30000000000000004, 1],
    [1, 0],
    [50, 0],
  ])('step %d needs %d decimals', (step, d) => {
    expect(stepDecimals(step)).toBe(d);
  });
});
