import { uniformSource } from '@segkit/random';
import { decodeRleAs, decodeRleAsInto, encodeRleAs, isEmptyRle, KAGGLE_RLE, RleError, type RleFlavour } from './index';

const TGS: RleFlavour = KAGGLE_RLE;
const CARVANA: RleFlavour = { order: 'row-major', starts: 'absolute', empty: '' };
const SIIM: RleFlavour = { order: 'column-major', starts: 'relative', empty: '-1' };
const RELATIVE_ROWS: RleFlavour = { order: 'row-major', starts: 'relative', empty: '' };

/**
 * Independent reference decoder for relative starts, step for step the SIIM-ACR `rle2mask`:
 * a cursor starts at 0, each start moves it forward, the run is painted from the cursor, and the
 * cursor moves past the run. Flat index f is then placed by the pixel order.
 */
function naiveRelativeDecode(rle: string, h: number, w: number, order: 'column-major' | 'row-major'): Uint8Array {
  const flat = new Uint8Array(h * w);
  const t = rle.trim() === '' || rle.trim() === '-1' ? [] : rle.trim().split(/\s+/).map(Number);
  let cursor = 0;
  for (let k = 0; k < t.length; k += 2) {
    cursor += t[k];
    for (let j = 0; j < t[k + 1]; j++) flat[cursor + j] = 1;
    cursor += t[k + 1];
  }
  const out = new Uint8Array(h * w);
  for (let f = 0; f < h * w; f++) {
    const [y, x] = order === 'column-major' ? [f % h, Math.floor(f / h)] : [Math.floor(f / w), f % w];
    out[y * w + x] = flat[f];
  }
  return out;
}

describe('flavours pinned on a 3x2 mask (3 rows, 2 columns), computed by hand', () => {
  // row 0: 1 0        column-major numbers: column 0 is 1,2,3; column 1 is 4,5,6
  // row 1: 1 1        row-major numbers:    row 0 is 1,2; row 1 is 3,4; row 2 is 5,6
  // row 2: 0 1
  // Column-major runs (1,2) (5,2): relative 0 2, then 4 - 2 = 2 pixels skipped -> "0 2 2 2".
  // Row-major runs (1,1) (3,2) (6,1): relative 0 1, 2 - 1 = 1, 5 - 4 = 1 -> "0 1 1 2 1 1".
  const mask = Uint8Array.from([1, 0, 1, 1, 0, 1]);
  it.each<[string, RleFlavour, string]>([
    ['TGS (column-major, absolute)', TGS, '1 2 5 2'],
    ['Carvana (row-major, absolute)', CARVANA, '1 1 3 2 6 1'],
    ['SIIM (column-major, relative)', SIIM, '0 2 2 2'],
    ['row-major, relative', RELATIVE_ROWS, '0 1 1 2 1 1'],
  ])('%s encodes to "%s" and back', (_name, flavour, rle) => {
    expect(encodeRleAs(mask, 3, 2, flavour)).toBe(rle);
    expect(decodeRleAs(rle, 3, 2, flavour)).toEqual(mask);
  });

  it.each<[string, RleFlavour, number[], string]>([
    ['full mask', SIIM, [1, 1, 1, 1, 1, 1], '0 6'],
    ['last pixel only', SIIM, [0, 0, 0, 0, 0, 1], '5 1'],
    ['first pixel only', SIIM, [1, 0, 0, 0, 0, 0], '0 1'],
    // Column-major pixels 3 and 4 (bottom of column 0, top of column 1): one wrapping run.
    ['wrapping run', SIIM, [0, 1, 0, 0, 1, 0], '2 2'],
    ['empty mask, -1 marker', SIIM, [0, 0, 0, 0, 0, 0], '-1'],
    ['empty mask, blank marker', CARVANA, [0, 0, 0, 0, 0, 0], ''],
  ])('%s', (_name, flavour, pixels, rle) => {
    const m = Uint8Array.from(pixels);
    expect(encodeRleAs(m, 3, 2, flavour)).toBe(rle);
    expect(decodeRleAs(rle, 3, 2, flavour)).toEqual(m);
  });

  it('reads a SIIM field with the leading space its CSV carries', () => {
    expect(decodeRleAs(' 0 2 2 2', 3, 2, SIIM)).toEqual(mask);
    expect(decodeRleAs(' -1', 3, 2, SIIM)).toEqual(new Uint8Array(6));
  });

  it('merges adjacent relative runs (a zero gap)', () => {
    expect(decodeRleAs('0 1 0 1', 3, 2, SIIM)).toEqual(decodeRleAs('0 2', 3, 2, SIIM));
  });
});

describe('isEmptyRle', () => {
  it.each<[string, RleFlavour, boolean]>([
    ['', TGS, true],
    ['  \r', TGS, true],
    ['-1', SIIM, true],
    [' -1', SIIM, true],
    ['', SIIM, true],
    ['-1', TGS, false],
    ['1 2', SIIM, false],
  ])('%j in %o is empty: %s', (rle, flavour, empty) => {
    expect(isEmptyRle(rle, flavour)).toBe(empty);
  });
});

describe('relative-start errors name the token', () => {
  it.each([
    ['negative start', '-2 1', /token 0: relative start -2 is negative/],
    ['start past the image', '6 1', /token 0: relative start 6 lands on pixel 7, past the image/],
    ['second start past the image', '0 2 4 1', /token 2: relative start 4 lands on pixel 7/],
    ['run past the image', '4 3', /token 1: run 5 3 ends at pixel 7, past the image/],
    ['odd token count', '0 2 1', /odd number of tokens \(3\)/],
  ])('%s: "%s"', (_name, rle, message) => {
    expect(() => decodeRleAs(rle, 3, 2, SIIM)).toThrow(RleError);
    expect(() => decodeRleAs(rle, 3, 2, SIIM)).toThrow(message);
  });

  it('refuses -1 where the flavour has no such marker', () => {
    expect(() => decodeRleAs('-1', 3, 2, TGS)).toThrow(/token 0: start -1 is below 1/);
  });

  it('refuses a flavour whose empty marker would read as a run', () => {
    expect(() => encodeRleAs(new Uint8Array(6), 3, 2, { ...TGS, empty: '0' })).toThrow(/could be read as a run/);
  });
});

describe('union of several rows of one image', () => {
  it('paints each row over the last; replace clears first', () => {
    const out = new Uint8Array(6);
    decodeRleAsInto('1 1', 3, 2, TGS, out, 0, 'union'); // pixel 1: (row 0, column 0)
    decodeRleAsInto('6 1', 3, 2, TGS, out, 0, 'union'); // pixel 6: (row 2, column 1)
    decodeRleAsInto('', 3, 2, TGS, out, 0, 'union'); // an empty row adds nothing
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 1]);
    decodeRleAsInto('2 1', 3, 2, TGS, out, 0, 'replace'); // pixel 2: (row 1, column 0)
    expect(Array.from(out)).toEqual([0, 0, 1, 0, 0, 0]);
  });

  it('writes into a slot of a split array only', () => {
    const out = new Uint8Array(12).fill(7);
    decodeRleAsInto('0 1', 3, 2, SIIM, out, 6, 'replace');
    expect(Array.from(out)).toEqual([7, 7, 7, 7, 7, 7, 1, 0, 0, 0, 0, 0]);
  });
});

describe('relative round trip against the SIIM-style reference decoder', () => {
  const cases: [number, number, number, 'column-major' | 'row-major'][] = [];
  const next = uniformSource(20190904);
  for (let i = 0; i < 40; i++) {
    cases.push([i, 1 + Math.floor(next() * 10), 1 + Math.floor(next() * 10), i % 2 ? 'row-major' : 'column-major']);
  }
  it.each(cases)('case %i: %ix%i %s', (i, h, w, order) => {
    const r = uniformSource(5000 + i);
    const density = r();
    const mask = Uint8Array.from({ length: h * w }, () => (r() < density ? 1 : 0));
    const flavour: RleFlavour = { order, starts: 'relative', empty: '-1' };
    const rle = encodeRleAs(mask, h, w, flavour);
    expect(naiveRelativeDecode(rle, h, w, order)).toEqual(mask);
    expect(decodeRleAs(rle, h, w, flavour)).toEqual(mask);
  });
});
