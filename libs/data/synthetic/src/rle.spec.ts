import { encodeRleKaggle } from './rle';

/** Row-major 0/1 mask from rows of '0'/'1' characters. */
function maskOf(rows: string[]): { mask: Uint8Array; h: number; w: number } {
  const h = rows.length;
  const w = rows[0].length;
  return { mask: Uint8Array.from(rows.join('').split('').map(Number)), h, w };
}

describe('encodeRleKaggle (Kaggle TGS convention: column-major, 1-indexed start/length pairs)', () => {
  // Expected strings worked out by hand: number pixels down each column, then the next column.
  it.each([
    ['empty mask → empty field', ['00', '00'], ''],
    ['full 2x2', ['11', '11'], '1 4'],
    ['one run per column', ['10', '11', '01'], '1 2 5 2'],
    ['run continues across a column end', ['01', '11'], '2 3'],
    ['non-square: corners of a 2x3', ['100', '001'], '1 1 6 1'],
    ['non-square: top row of a 2x3 is every other pixel', ['111', '000'], '1 1 3 1 5 1'],
    ['last pixel only', ['000', '001'], '6 1'],
  ])('%s', (_name, rows, expected) => {
    const { mask, h, w } = maskOf(rows);
    expect(encodeRleKaggle(mask, h, w)).toBe(expected);
  });

  it('rejects a mask whose length does not match h x w', () => {
    expect(() => encodeRleKaggle(new Uint8Array(5), 2, 3)).toThrow(/2x3/);
  });
});
