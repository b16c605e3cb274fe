import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, writeNpy } from '@segkit/io';
import { readSubmissionSummary, submissionPaths, writeSubmissionSummary } from './artifacts';
import { binarize } from './postprocess';
import { readRleRows, scoreSubmission, SubmissionLines, validateSubmission, writeSubmission } from './submission';
import { checkSampleIds } from './submit';
import { LAYOUTS } from '@segkit/layouts';

const TGS = LAYOUTS.tgs.submission;

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
    const s = writeSubmission({ testIds: ['a', 'b'], testLogitsPath: logitsPath, height: 2, width: 3, logitThreshold: 0, minArea: 0, outPath: out, format: TGS });
    expect(readFileSync(out, 'utf8')).toBe('id,rle_mask\na,3 2\nb,\n');
    expect(s).toEqual({ path: out, rows: 2, images: 2, nonEmpty: 1 });
    expect(validateSubmission(out, ['a', 'b'], 2, 3, TGS)).toEqual({ rows: 2, images: 2, nonEmpty: 1 });
  });

  it('brings resized logits back to each image\'s own size before the threshold (by hand)', () => {
    // model-size 1×2 logits: a = [−2, 2] → 1×4 row [−2, −1, 1, 2]: pixels 3–4 (column-major = row-major on one row);
    // b = [−2, 2] → 2×2 [[−2, 2], [−2, 2]]: the right column, column-major pixels 3–4
    const path = join(dir, 'resized.npy');
    writeNpy(path, Float32Array.from([-2, 2, -2, 2]), [2, 1, 2]);
    const out = join(dir, 'resized.csv');
    const sizes = [[1, 4], [2, 2]] as const;
    writeSubmission({ testIds: ['a', 'b'], testLogitsPath: path, height: 1, width: 2, logitThreshold: 0, minArea: 0, outPath: out, format: TGS, sizes });
    expect(readFileSync(out, 'utf8')).toBe('id,rle_mask\na,3 2\nb,3 2\n');
    expect(validateSubmission(out, ['a', 'b'], 1, 2, TGS, sizes)).toEqual({ rows: 2, images: 2, nonEmpty: 2 });
    // the area a minimum area counts is the full-size one: a's 2 pixels at its own size
    writeSubmission({ testIds: ['a', 'b'], testLogitsPath: path, height: 1, width: 2, logitThreshold: 0, minArea: 3, outPath: out, format: TGS, sizes });
    expect(readFileSync(out, 'utf8')).toBe('id,rle_mask\na,\nb,\n');
  });

  it('fails without writing when logits and ids disagree', () => {
    const out = join(dir, 'bad.csv');
    expect(() =>
      writeSubmission({ testIds: ['a', 'b', 'c'], testLogitsPath: logitsPath, height: 2, width: 3, logitThreshold: 0, minArea: 0, outPath: out, format: TGS }),
    ).toThrow('logits of shape (2, 2, 3) for 3 test ids of 2×3');
    expect(existsSync(out)).toBe(false);
  });
});

describe('validateSubmission', () => {
  const dir = mkdtempSync(join(tmpdir(), 'val-'));
  it.each([
    ['id,mask\na,\n', 'header must be "id,rle_mask"'],
    ['id,rle_mask\na,\n', '1 rows, the sample submission has 2'],
    ['id,rle_mask\nb,\na,\n', 'line 2: id b, expected a'],
    ['id,rle_mask\na,1 2 3\nb,\n', 'line 2 (id a)'],
    ['id,rle_mask\na,5 9\nb,\n', 'line 2 (id a)'],
  ])('%j -> %s', (text, message) => {
    const p = join(dir, 'x.csv');
    writeFileSync(p, text);
    expect(() => validateSubmission(p, ['a', 'b'], 2, 3, TGS)).toThrow(message);
  });
});

describe('readRleRows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rle-rows-'));
  it('reads CSV as CSV: quoted fields, a BOM and blank lines as Kaggle writes them', () => {
    const p = join(dir, 'quoted.csv');
    writeFileSync(p, '\uFEFFid,rle_mask\n"t0","1 2"\n\nt1,\n');
    expect(readRleRows(p, TGS)).toEqual([
      { id: 't0', rle: '1 2', line: 2 },
      { id: 't1', rle: '', line: 4 },
    ]);
  });
  it.each([
    ['id,rle_mask\nt0,1 2,3\n', 'line 2: expected 2 fields'],
    ['id,rle_mask\nt0,\nt0,1 1\n', 'line 3: duplicate id "t0"'],
    ['id,rle_mask\n"t0,\n', 'not valid CSV'],
  ])('%j is a UserError: %s', (text, message) => {
    const p = join(dir, 'bad.csv');
    writeFileSync(p, text);
    expect(() => readRleRows(p, TGS)).toThrow(UserError);
    expect(() => readRleRows(p, TGS)).toThrow(message);
  });
});

describe('scoreSubmission', () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-'));
  // Two 1×2 test images: t0 all salt ("1 2"), t1 empty.
  const truth = join(dir, 'truth.csv');
  writeFileSync(truth, 'id,rle_mask\nt0,1 2\nt1,\n');
  it.each([
    ['exact', 'id,rle_mask\nt0,1 2\nt1,\n', 1],
    ['exact, quoted and in another order', 'id,rle_mask\n"t1",""\n"t0","1 2"\n', 1],
    ['a false positive on the empty image scores it 0', 'id,rle_mask\nt0,1 2\nt1,2 1\n', 0.5],
    // t0 predicted at pixel 1 only: IoU 1/2, not above any threshold 0.5..0.95.
    ['half of t0', 'id,rle_mask\nt0,1 1\nt1,\n', 0.5],
    ['a missing id counts as empty', 'id,rle_mask\nt1,\n', 0.5],
  ])('%s → %p (by hand)', (_, text, expected) => {
    const p = join(dir, 'sub.csv');
    writeFileSync(p, text);
    expect(scoreSubmission(p, truth, 1, 2, 'tgs-map', TGS)).toBe(expected);
  });
  it('an RLE beyond the image is a UserError naming the file and line', () => {
    const p = join(dir, 'sub.csv');
    writeFileSync(p, 'id,rle_mask\nt0,1 5\nt1,\n');
    expect(() => scoreSubmission(p, truth, 1, 2, 'tgs-map', TGS)).toThrow(`${p} line 2 (id t0)`);
  });
});

describe('checkSampleIds', () => {
  it('accepts the predicted ids in order', () => expect(() => checkSampleIds('s.csv', ['a', 'b'], ['a', 'b'])).not.toThrow());
  it.each([
    [['a'], 's.csv: 1 ids, the predicted test set has 2; rerun predict'],
    [['b', 'a'], 's.csv: ids differ from the predicted test ids (row 1: b, predicted a); rerun predict'],
  ])('%j → %s', (ids, message) => expect(() => checkSampleIds('s.csv', ids, ['a', 'b'])).toThrow(message));
});

describe('submission summary.json', () => {
  const work = mkdtempSync(join(tmpdir(), 'sub-summary-'));
  it('reads back what was written', () => {
    writeSubmissionSummary(work, { path: '/x/submission.csv', rows: 3, images: 3, nonEmpty: 1 });
    expect(readSubmissionSummary(work)).toEqual({ path: '/x/submission.csv', rows: 3, images: 3, nonEmpty: 1 });
  });
  it.each([
    ['{"path":"/x","rows":3,', 'not valid JSON'],
    ['{"path":"/x","rows":3,"images":3,"nonEmpty":4}', 'nonEmpty: exceeds images'],
    ['{"path":"/x","rows":3,"images":4,"nonEmpty":0}', 'images: exceeds rows'],
    ['{"path":"/x","rows":-1,"images":0,"nonEmpty":0}', 'rows:'],
    ['{"path":"/x","rows":3,"images":3,"nonEmpty":1,"score":0.9}', '(root):'],
  ])('%s is a UserError naming the file and field (%s)', (text, message) => {
    writeFileSync(submissionPaths(work).summary, text);
    expect(() => readSubmissionSummary(work)).toThrow(UserError);
    expect(() => readSubmissionSummary(work)).toThrow(`${submissionPaths(work).summary}: ${message}`);
  });
});

describe('binarize with a top threshold (the threshold triplet)', () => {
  it.each([
    // logits, bottom, min area, top → mask
    [[0.5, 0.1, -1, -1], 0, 0, 1, [0, 0, 0, 0]], // nothing above the top: empty
    [[3, 0.2, -1, -1], 0, 0, 1, [1, 1, 0, 0]], // one pixel above the top: drawn at the bottom
    [[3, 0.2, -1, -1], 0, 2, 1, [0, 0, 0, 0]], // fewer than min area above the top
    [[3, 2, 0.2, -1], 0, 2, 1, [1, 1, 1, 0]],
    [[3, 0.2, -1, -1], 0, 2, 0, [1, 1, 0, 0]], // top = bottom: the usual rule
  ])('%j, bottom %d, min area %d, top %d → %j (by hand)', (logits, bottom, minArea, top, mask) => {
    const out = new Uint8Array(4);
    expect(binarize(Float32Array.from(logits), bottom, minArea, out, top)).toBe(mask.reduce((s, v) => s + v, 0));
    expect(Array.from(out)).toEqual(mask);
  });
});

describe('SubmissionLines', () => {
  // 3×3 logits (row-major): two separate objects above the threshold 0 — pixels (0,0),(1,0) and (2,2).
  // Column-major 1-based pixel numbers: (y, x) → x·3 + y + 1: (0,0) → 1, (1,0) → 2, (2,2) → 9.
  const logits = Float32Array.from([1, -1, -1, /**/ 1, -1, -1, /**/ -1, -1, 1]);
  const empty = new Float32Array(9).fill(-1);
  const post = { logitThreshold: 0, minArea: 0 };

  it("Airbus' format: one row per object, in the raster order of its first pixel; an image without objects one empty row", () => {
    const rows = new SubmissionLines(LAYOUTS.airbus.submission, 3, 3, post);
    expect(rows.header).toBe('ImageId,EncodedPixels');
    expect(rows.add('a.jpg', logits)).toEqual(['a.jpg,1 2', 'a.jpg,9 1']);
    expect(rows.add('b.jpg', empty)).toEqual(['b.jpg,']);
    expect([rows.rows, rows.images, rows.nonEmpty]).toEqual([3, 2, 1]);
  });

  it("Carvana's: one row-major row per image (row-major numbers y·3 + x + 1: 1, 4, 9)", () => {
    const rows = new SubmissionLines(LAYOUTS.carvana.submission, 3, 3, post);
    expect(rows.header).toBe('img,rle_mask');
    expect(rows.add('c_01.jpg', logits)).toEqual(['c_01.jpg,1 1 4 1 9 1']);
  });

  it("SIIM's: relative starts and -1 for an empty mask", () => {
    const rows = new SubmissionLines(LAYOUTS.siim.submission, 3, 3, post);
    // Column-major 0-based runs at 0 (length 2, ending before 2) and 8 (length 1): the first start
    // 0-based, the second the pixels skipped since the end of the first, 8 − 2 = 6.
    expect(rows.add('u', logits)).toEqual(['u,0 2 6 1']);
    expect(rows.add('v', empty)).toEqual(['v,-1']);
  });
});
