import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '@tgs/io';
import { binarize } from './postprocess';
import { validateSubmission, writeSubmission } from './submission';

describe('binarize', () => {
  it.each([
    // logits, threshold, minArea, mask, area
    [[-1, 0.5, 2, 0], 0, 0, [0, 1, 1, 0], 2],
    [[-1, 0.5, 2, 0], 1, 0, [0, 0, 1, 0], 1],
    [[-1, 0.5, 2, 0], 0, 3, [0, 0, 0, 0], 0],
    [[-1, 0.5, 2, 0], 0, 2, [0, 1, 1, 0], 2],
    [[0, 0, 0, 0], 0, 0, [0, 0, 0, 0], 0],
  ])('%j > %p, minArea %p -> %j', (logits, thr, minArea, mask, area) => {
    const out = new Uint8Array(4);
    expect(binarize(Float32Array.from(logits), thr, minArea, out)).toBe(area);
    expect([...out]).toEqual(mask);
  });
});

describe('writeSubmission', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sub-'));
  // Two 2×3 images (row-major). Image a: logits > 0 at (row 0, col 1) and (row 1, col 1) → column-major
  // pixel numbers 3 and 4 → "3 2". Image b: nothing above 0.
  const logits = Float32Array.from([-1, 2, -1, -1, 3, -1, -5, -5, -5, -5, -5, -5]);
  const logitsPath = join(dir, 'test.npy');
  writeNpy(logitsPath, logits, [2, 2, 3]);

  it('writes Kaggle RLE rows in the given id order (by hand)', () => {
    const out = join(dir, 'submission.csv');
    const s = writeSubmission({ testIds: ['a', 'b'], testLogitsPath: logitsPath, height: 2, width: 3, logitThreshold: 0, minArea: 0, outPath: out });
    expect(readFileSync(out, 'utf8')).toBe('id,rle_mask\na,3 2\nb,\n');
    expect(s).toEqual({ path: out, rows: 2, nonEmpty: 1 });
    expect(validateSubmission(out, ['a', 'b'], 2, 3)).toEqual({ rows: 2, nonEmpty: 1 });
  });

  it('fails without writing when logits and ids disagree', () => {
    const out = join(dir, 'bad.csv');
    expect(() =>
      writeSubmission({ testIds: ['a', 'b', 'c'], testLogitsPath: logitsPath, height: 2, width: 3, logitThreshold: 0, minArea: 0, outPath: out }),
    ).toThrow('logits of shape (2, 2, 3) for 3 test ids of 2×3');
    expect(existsSync(out)).toBe(false);
  });
});

describe('validateSubmission', () => {
  const dir = mkdtempSync(join(tmpdir(), 'val-'));
  it.each([
    ['id,mask\na,\n', 'header must be "id,rle_mask"'],
    ['id,rle_mask\na,\n', '1 rows, the sample submission has 2'],
    ['id,rle_mask\nb,\na,\n', 'row 2: id b, expected a'],
    ['id,rle_mask\na,1 2 3\nb,\n', 'row 2 (id a)'],
    ['id,rle_mask\na,5 9\nb,\n', 'row 2 (id a)'],
  ])('%j -> %s', (text, message) => {
    const p = join(dir, 'x.csv');
    writeFileSync(p, text);
    expect(() => validateSubmission(p, ['a', 'b'], 2, 3)).toThrow(message);
  });
});
