import { maskCoverage } from './coverage';

describe('maskCoverage', () => {
  it.each([
    // 3 masks of 4 pixels: empty, one pixel (any non-zero value counts), full.
    [[0, 0, 0, 0, 0, 9, 0, 0, 1, 1, 1, 1], 3, 4, [0, 0.25, 1]],
    [[1, 0, 1], 1, 3, [2 / 3]],
    [[], 0, 5, []],
  ])('%j as %i masks of %i pixels', (values, count, pixels, expected) => {
    const got = maskCoverage(Uint8Array.from(values), count, pixels);
    expect(got).toBeInstanceOf(Float32Array);
    expect(Array.from(got)).toEqual(expected.map(Math.fround));
  });

  it('rejects a length that does not match count x pixels', () => {
    expect(() => maskCoverage(new Uint8Array(7), 2, 4)).toThrow(/7 values, expected 2 x 4 = 8/);
  });
});
