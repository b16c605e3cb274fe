import { convGradsByFiniteDifference, convOutSize, finiteDifference, naiveConv2d, randomValues, relativeError } from './reference';

/** The references other kernel tests trust, checked on cases small enough to do by hand. */
describe('float64 kernel references', () => {
  // x = 1..9 as one 3×3 image, w = [[1, 2], [3, 4]].
  const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = Float64Array.from([1, 2, 3, 4]);

  it.each([
    // valid: y[i,j] = x[i,j] + 2x[i,j+1] + 3x[i+1,j] + 4x[i+1,j+1], e.g. 1 + 4 + 12 + 20 = 37.
    ['valid, stride 1', 1, 'valid' as const, 1, [37, 47, 67, 77], 2],
    // same, stride 2: out 2, one padding row/column at the bottom/right; y[0,1] = 3 + 3·6 = 21.
    ['same, stride 2 (padding bottom/right)', 2, 'same' as const, 1, [37, 21, 23, 9], 2],
    // dilation 2 spans the whole image: 1 + 2·3 + 3·7 + 4·9 = 64.
    ['valid, dilation 2', 1, 'valid' as const, 2, [64], 1],
  ])('convolution %s by hand', (_name, stride, pad, dilation, expected, side) => {
    const { y, oh, ow } = naiveConv2d(x, w, { x: [1, 3, 3, 1], k: [2, 2], co: 1, stride, pad, dilation });
    expect([oh, ow]).toEqual([side, side]);
    expect(Array.from(y)).toEqual(expected);
  });

  it.each([
    // TensorFlow: 'same' pads max((out−1)·s + span − n, 0), the smaller half before.
    [7, 3, 2, 1, 'same' as const, { out: 4, before: 1 }],
    [8, 3, 2, 1, 'same' as const, { out: 4, before: 0 }],
    [9, 3, 2, 1, 'valid' as const, { out: 4, before: 0 }],
    [9, 3, 1, 2, 'same' as const, { out: 9, before: 2 }],
  ])('output size of n=%i k=%i s=%i d=%i %s', (n, k, s, d, pad, expected) => {
    expect(convOutSize(n, k, s, d, pad)).toEqual(expected);
  });

  it('finite differences of a quadratic are its gradient 2v, and leave v unchanged', () => {
    const v = Float64Array.from([0.5, -2, 3]);
    const g = finiteDifference(v, (p) => p.reduce((a, b) => a + b * b, 0));
    Array.from(g).forEach((gi, i) => expect(gi).toBeCloseTo(2 * v[i], 8));
    expect(Array.from(v)).toEqual([0.5, -2, 3]);
  });

  it('the gradient of sum(conv(x, w)·r) with respect to w sums r-weighted input windows', () => {
    // valid 2×2 on the 3×3 image, r = 1 everywhere: ∂L/∂w[p,q] = Σ_{i,j} x[i+p, j+q].
    const r = Float64Array.from([1, 1, 1, 1]);
    const { dw } = convGradsByFiniteDifference(x, w, r, { x: [1, 3, 3, 1], k: [2, 2], co: 1, stride: 1, pad: 'valid' });
    const expected = [1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9];
    Array.from(dw).forEach((g, i) => expect(g).toBeCloseTo(expected[i], 6));
  });

  it('random values are seeded, in [-1, 1), and the relative error is scaled by the reference', () => {
    const a = randomValues(1000, 7);
    expect(Array.from(a)).toEqual(Array.from(randomValues(1000, 7)));
    expect(Array.from(a).every((v) => v >= -1 && v < 1)).toBe(true);
    expect(Array.from(a)).not.toEqual(Array.from(randomValues(1000, 8)));
    expect(relativeError([1, 2.5], [1, 2])).toBeCloseTo(0.25, 12);
    expect(relativeError([0, 0], [0, 0])).toBe(0);
  });
});
