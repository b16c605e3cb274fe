import { decodeRle, decodeRleInto, encodeRle, RleError, type PixelOrder } from './index';
import { uniformSource } from '@segkit/random';

/** Seeded uniform source (mulberry32 from @segkit/random) so random cases are reproducible. */
const rng = uniformSource;

/**
 * Independent reference encoder: list the pixel values in Kaggle order explicitly, pad with a 0
 * on both sides, and read the runs off the positions where the value changes (the well-known
 * numpy `rle_encode` recipe).
 */
function naiveEncode(mask: Uint8Array, h: number, w: number, order: PixelOrder): string {
  const flat: number[] = [0];
  if (order === 'column-major') {
    for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) flat.push(mask[y * w + x] ? 1 : 0);
  } else {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) flat.push(mask[y * w + x] ? 1 : 0);
  }
  flat.push(0);
  const changes: number[] = [];
  for (let i = 1; i < flat.length; i++) if (flat[i] !== flat[i - 1]) changes.push(i);
  const parts: string[] = [];
  for (let i = 0; i < changes.length; i += 2) parts.push(`${changes[i]} ${changes[i + 1] - changes[i]}`);
  return parts.join(' ');
}

/** Random mask: either uniform noise at a random density or a few axis-aligned rectangles. */
function randomMask(h: number, w: number, next: () => number): Uint8Array {
  const m = new Uint8Array(h * w);
  if (next() < 0.5) {
    const density = next();
    for (let i = 0; i < m.length; i++) m[i] = next() < density ? 1 + Math.floor(next() * 254) : 0;
  } else {
    const boxes = Math.floor(next() * 4);
    for (let b = 0; b < boxes; b++) {
      const y0 = Math.floor(next() * h);
      const x0 = Math.floor(next() * w);
      const y1 = y0 + Math.floor(next() * (h - y0));
      const x1 = x0 + Math.floor(next() * (w - x0));
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * w + x] = 1;
    }
  }
  return m;
}

const binary = (m: Uint8Array) => Uint8Array.from(m, (v) => (v ? 1 : 0));

describe('pixel order pinned on a 3x2 mask (3 rows, 2 columns), computed by hand', () => {
  // row 0: 1 0
  // row 1: 1 1
  // row 2: 0 1
  // Column-major numbers: column 0 is pixels 1,2,3 (top to bottom), column 1 is 4,5,6.
  // Row-major numbers: row 0 is 1,2; row 1 is 3,4; row 2 is 5,6.
  const mask = Uint8Array.from([1, 0, 1, 1, 0, 1]);
  it.each<[PixelOrder, string]>([
    ['column-major', '1 2 5 2'],
    ['row-major', '1 1 3 2 6 1'],
  ])('%s encodes to "%s" and back', (order, rle) => {
    expect(encodeRle(mask, 3, 2, order)).toBe(rle);
    expect(decodeRle(rle, 3, 2, order)).toEqual(mask);
  });

  it('defaults to the Kaggle TGS column-major order', () => {
    expect(encodeRle(mask, 3, 2)).toBe('1 2 5 2');
    expect(decodeRle('1 2 5 2', 3, 2)).toEqual(mask);
  });

  it.each<[string, PixelOrder, number[], string]>([
    // A column-major run wraps from the bottom of column 0 to the top of column 1.
    ['wrapping run', 'column-major', [0, 1, 0, 0, 1, 0], '3 2'],
    ['wrapping run', 'row-major', [0, 1, 0, 0, 1, 0], '2 1 5 1'],
    ['full mask', 'column-major', [1, 1, 1, 1, 1, 1], '1 6'],
    ['last pixel only', 'column-major', [0, 0, 0, 0, 0, 1], '6 1'],
    ['last pixel only', 'row-major', [0, 0, 0, 0, 0, 1], '6 1'],
    ['first pixel only', 'column-major', [1, 0, 0, 0, 0, 0], '1 1'],
    ['empty mask', 'column-major', [0, 0, 0, 0, 0, 0], ''],
  ])('%s (%s)', (_name, order, pixels, rle) => {
    const m = Uint8Array.from(pixels);
    expect(encodeRle(m, 3, 2, order)).toBe(rle);
    expect(decodeRle(rle, 3, 2, order)).toEqual(m);
  });
});

describe('encodeRle', () => {
  it('treats any non-zero value as foreground', () => {
    expect(encodeRle(Uint8Array.from([255, 0, 7, 1, 0, 200]), 3, 2)).toBe('1 2 5 2');
  });

  it('merges a run that continues across a column boundary into one pair', () => {
    // 2x2 all ones except the top-left: pixels 2,3,4 in column-major order.
    expect(encodeRle(Uint8Array.from([0, 1, 1, 1]), 2, 2)).toBe('2 3');
  });

  it('rejects a mask whose length does not match the shape', () => {
    expect(() => encodeRle(new Uint8Array(5), 3, 2)).toThrow(/5 pixels, expected 3x2 = 6/);
  });

  it.each([
    [0, 2],
    [3, -1],
    [2.5, 2],
  ])('rejects the shape %sx%s', (h, w) => {
    expect(() => encodeRle(new Uint8Array(6), h, w)).toThrow(RangeError);
  });

  it('rejects an unknown pixel order', () => {
    expect(() => encodeRle(new Uint8Array(6), 3, 2, 'diagonal' as PixelOrder)).toThrow(/pixel order/);
  });
});

describe('round trip against an independent reference encoder', () => {
  const next = rng(20181019);
  const cases: [number, number, number, PixelOrder][] = [];
  for (let i = 0; i < 60; i++) {
    const h = 1 + Math.floor(next() * 12);
    const w = 1 + Math.floor(next() * 12);
    cases.push([i, h, w, i % 2 === 0 ? 'column-major' : 'row-major']);
  }
  cases.push([60, 101, 101, 'column-major'], [61, 101, 101, 'row-major'], [62, 1, 1, 'column-major']);

  it.each(cases)('case %i: %ix%i %s', (i, h, w, order) => {
    const mask = randomMask(h, w, rng(1000 + i));
    const rle = encodeRle(mask, h, w, order);
    expect(rle).toBe(naiveEncode(mask, h, w, order));
    expect(decodeRle(rle, h, w, order)).toEqual(binary(mask));
  });
});

describe('decodeRle tolerance (documented, never emitted by the encoder)', () => {
  it.each([
    ['leading and trailing spaces', '  1 2 5 2  '],
    ['a trailing carriage return from a CRLF csv', '1 2 5 2\r'],
    ['several spaces between tokens', '1  2   5 2'],
    ['tabs between tokens', '1\t2 5\t2'],
    ['adjacent runs, merged', '1 1 2 1 5 2'],
    ['leading zeros', '01 002 5 2'],
  ])('accepts %s', (_name, rle) => {
    expect(decodeRle(rle, 3, 2)).toEqual(Uint8Array.from([1, 0, 1, 1, 0, 1]));
  });

  it.each([[''], ['   '], ['\r']])('reads %j as the empty mask', (rle) => {
    expect(decodeRle(rle, 3, 2)).toEqual(new Uint8Array(6));
  });
});

describe('decodeRle errors, one distinct message per rule (3x2 image, 6 pixels)', () => {
  it.each([
    ['odd token count', '1 2 5', /odd number of tokens \(3\)/],
    ['non-numeric token', '1 2 x 2', /token 2 'x' is not an integer/],
    ['non-integer token', '1 2.5', /token 1 '2\.5' is not an integer/],
    ['exponent notation', '1 1e0', /token 1 '1e0' is not an integer/],
    ['explicit plus sign', '+1 2', /token 0 '\+1' is not an integer/],
    ['a lone minus', '1 -', /token 1 '-' is not an integer/],
    ['comma separator', '1,2', /token 0 '1,2' is not an integer/],
    ['zero length', '1 0', /token 1: length 0 is not positive/],
    ['negative length', '1 -2', /token 1: length -2 is not positive/],
    ['start 0', '0 2', /token 0: start 0 is below 1/],
    ['negative start', '-3 2', /token 0: start -3 is below 1/],
    ['start past the image', '7 1', /token 0: start 7 is past the image \(3x2 has 6 pixels\)/],
    ['run past the image', '5 3', /token 1: run 5 3 ends at pixel 7, past the image/],
    ['overlapping runs', '1 3 3 2', /token 2: run starting at 3 overlaps the previous run ending at 3/],
    ['repeated run', '2 2 2 2', /token 2: run starting at 2 overlaps/],
    ['unsorted runs', '5 2 1 2', /token 2: start 1 is before the previous run's start 5 \(runs must be sorted\)/],
  ])('%s: "%s"', (_name, rle, message) => {
    let caught: unknown;
    try {
      decodeRle(rle, 3, 2);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RleError);
    expect((caught as Error).message).toMatch(message);
  });

  it('gives every rule its own message', () => {
    const rules = ['1 2 5', '1 x', '1 0', '0 1', '7 1', '5 3', '1 3 3 2', '5 2 1 2'];
    const messages = rules.map((rle) => {
      try {
        decodeRle(rle, 3, 2);
        return 'no error';
      } catch (err) {
        return (err as Error).message.replace(/[\d'x-]+/g, '#');
      }
    });
    expect(new Set(messages).size).toBe(rules.length);
  });
});

describe('decodeRleInto', () => {
  it('writes one mask into a slot of a preallocated split array and clears stale pixels', () => {
    const out = new Uint8Array(3 * 6).fill(9);
    decodeRleInto('1 2 5 2', 3, 2, out, 6);
    expect(Array.from(out)).toEqual([9, 9, 9, 9, 9, 9, 1, 0, 1, 1, 0, 1, 9, 9, 9, 9, 9, 9]);
  });

  it('rejects a slot that does not fit', () => {
    expect(() => decodeRleInto('1 1', 3, 2, new Uint8Array(10), 5)).toThrow(RangeError);
  });
});
