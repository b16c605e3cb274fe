import { fmtDelta, fmtInt, fmtLogit, fmtMap, fmtPct, fmtProb, fmtSeconds, meanStd } from './format';

describe('number formatting', () => {
  it.each([
    [fmtMap(0.8), '0.8000'],
    [fmtMap(0.81049), '0.8105'],
    [fmtDelta(0.0123), '+0.0123'],
    [fmtDelta(-0.004), '\u22120.0040'],
    [fmtDelta(0), '\u00b10.0000'],
    [fmtDelta(-0.00001), '\u00b10.0000'],
    [fmtProb(0.41), '0.410'],
    [fmtLogit(-0.363965), '\u22120.364'],
    [fmtLogit(0), '0.000'],
    [fmtLogit(-0.0001), '0.000'],
    [fmtLogit(1.5), '1.500'],
    [fmtPct(0.1234), '12.3%'],
    [fmtPct(NaN), '–'],
    [fmtInt(18000), '18,000'],
    [fmtSeconds(14.25), '14.3 s'],
    [fmtSeconds(3731), '1:02:11'],
    [fmtSeconds(95), '1:35'],
  ])('%s === %s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe('meanStd', () => {
  it.each([
    [[0.5, 0.75], 0.625, 0.125],
    [[1, 2, 3, 4], 2.5, Math.sqrt(1.25)], // deviations 1.5, 0.5, 0.5, 1.5 -> (2.25 + 0.25) * 2 / 4
    [[0.8], 0.8, 0],
  ])('%j -> mean %d, sd %d', (values, mean, std) => {
    const r = meanStd(values);
    expect(r.mean).toBeCloseTo(mean, 12);
    expect(r.std).toBeCloseTo(std, 12);
  });

  it('is NaN for no values', () => {
    expect(meanStd([]).mean).toBeNaN();
  });
});
