import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, writeNpy } from '@segkit/io';
import { LAYOUTS, type SubmissionFormat } from '@segkit/layouts';
import { csvField, maskFields, submissionHeader, submissionLine } from './format';
import { scoreSubmission, validateSubmission, writeSubmission } from './submission';

const u8 = (rows: string[]) => Uint8Array.from(rows.flatMap((r) => [...r].map(Number)));

// A 2×3 mask, row-major (y, x): foreground at (0,0), (0,1), (1,1).
//   column-major pixel numbers (x·H + y + 1): 1, 3, 4 → runs "1 1 3 2"
//   row-major pixel numbers (y·W + x + 1):    1, 2, 5 → runs "1 2 5 1"
//   SIIM's relative starts of "1 1 3 2": 0 (pixels before the first run), then 3 − 1 − 1 = 1 → "0 1 1 2"
const L = u8(['110', '010']);

describe('maskFields: one hand-worked mask in every layout', () => {
  it.each([
    ['tgs', ['1 1 3 2'], ['']],
    ['airbus', ['1 1 3 2'], ['']],
    ['carvana', ['1 2 5 1'], ['']],
    ['siim', ['0 1 1 2'], ['-1']],
    ['folders', ['1 1 3 2'], ['']],
  ] as const)('%s: %j, empty %j', (name, fields, empty) => {
    const format = LAYOUTS[name].submission;
    expect(maskFields(L, 2, 3, format, 'x')).toEqual(fields);
    expect(maskFields(new Uint8Array(6), 2, 3, format, 'x')).toEqual(empty);
  });
  it('Airbus: one row per 8-connected object, in raster order of its first pixel', () => {
    // 2×4: A = (0,0); B = (0,3), (1,3); C = (1,1) touches A diagonally, so A+C is one object.
    //   column-major: A (0,0) → 1, C (1,1) → 1·2 + 1 + 1 = 4; B → 7, 8
    expect(maskFields(u8(['1001', '0101']), 2, 4, LAYOUTS.airbus.submission, 'x')).toEqual(['1 1 4 1', '7 2']);
    expect(maskFields(u8(['1001', '0001']), 2, 4, LAYOUTS.airbus.submission, 'x')).toEqual(['1 1', '7 2']);
  });
});

describe('submission lines', () => {
  it.each([
    ['tgs', 'id,rle_mask'],
    ['airbus', 'ImageId,EncodedPixels'],
    ['carvana', 'img,rle_mask'],
    ['siim', 'ImageId,EncodedPixels'],
  ] as const)('%s header: %s', (name, header) => expect(submissionHeader(LAYOUTS[name].submission)).toBe(header));
  it('puts the id and the RLE in their columns, whatever their order', () => {
    const swapped: SubmissionFormat = { ...LAYOUTS.tgs.submission, header: ['rle_mask', 'id'] };
    expect(submissionLine(swapped, 'a', '1 2')).toBe('1 2,a');
  });
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
  ])('csvField(%j) = %s', (value, field) => expect(csvField(value)).toBe(field));
  it('refuses a header with a column it cannot fill', () =>
    expect(() => submissionHeader({ ...LAYOUTS.tgs.submission, header: ['id', 'rle_mask', 'score'] })).toThrow('must hold exactly the id column "id"'));
});

describe('writeSubmission and validateSubmission in every format (by hand)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sub-format-'));
  // Three 2×4 test images: "s" with two objects, "e" empty, "d" one pixel (its logit 2 at (1,2)).
  const masks = [u8(['1001', '0001']), u8(['0000', '0000']), u8(['0000', '0010'])];
  const logits = Float32Array.from(masks.flatMap((m) => [...m].map((v) => (v ? 2 : -2))));
  const npy = join(dir, 'test.npy');
  writeNpy(npy, logits, [3, 2, 4]);
  // column-major: s = 1 1 | 7 2; d = (1,2) → 2·2 + 1 + 1 = 6. Row-major: s = 1 1 | 4 1 | 8 1 → "1 1 4 1 8 1"; d = 7.
  it.each([
    ['tgs', ['s', 'e', 'd'], 'id,rle_mask\ns,1 1 7 2\ne,\nd,6 1\n', 3],
    ['airbus', ['s.jpg', 'e.jpg', 'd.jpg'], 'ImageId,EncodedPixels\ns.jpg,1 1\ns.jpg,7 2\ne.jpg,\nd.jpg,6 1\n', 4],
    ['carvana', ['s.jpg', 'e.jpg', 'd.jpg'], 'img,rle_mask\ns.jpg,1 1 4 1 8 1\ne.jpg,\nd.jpg,7 1\n', 3],
    // relative: s runs (1,1), (7,2) → 0 1, 7 − 1 − 1 = 5 → "0 1 5 2"; d → "5 1"
    ['siim', ['s', 'e', 'd'], 'ImageId,EncodedPixels\ns,0 1 5 2\ne,-1\nd,5 1\n', 3],
  ] as const)('%s', (name, ids, text, rows) => {
    const format = LAYOUTS[name].submission;
    const out = join(dir, `${name}.csv`);
    const summary = writeSubmission({ testIds: [...ids], testLogitsPath: npy, height: 2, width: 4, logitThreshold: 0, minArea: 0, outPath: out, format });
    expect(readFileSync(out, 'utf8')).toBe(text);
    expect(summary).toEqual({ path: out, rows, images: 3, nonEmpty: 2 });
    expect(validateSubmission(out, ids, 2, 4, format)).toEqual({ rows, images: 3, nonEmpty: 2 });
  });

  const airbus = LAYOUTS.airbus.submission;
  it.each([
    ['overlapping objects', 'ImageId,EncodedPixels\ns.jpg,1 2\ns.jpg,2 2\ne.jpg,\nd.jpg,\n', 'line 2 (id s.jpg): the image\'s 2 rows overlap (4 pixels in rows, 3 covered)'],
    ['an empty row beside an object', 'ImageId,EncodedPixels\ns.jpg,1 1\ns.jpg,\ne.jpg,\nd.jpg,\n', 'line 3 (id s.jpg): an empty row beside other rows'],
    ['rows of one image apart', 'ImageId,EncodedPixels\ns.jpg,1 1\ne.jpg,\ns.jpg,7 2\nd.jpg,\n', 'line 4: id s.jpg again after other ids'],
    ['a missing image', 'ImageId,EncodedPixels\ns.jpg,1 1\ne.jpg,\n', '2 images, the sample submission has 3 (first missing: d.jpg)'],
    ['another order', 'ImageId,EncodedPixels\ne.jpg,\ns.jpg,1 1\nd.jpg,\n', 'line 2: id e.jpg, expected s.jpg (sample submission order)'],
    ['a run past the image', 'ImageId,EncodedPixels\ns.jpg,8 2\ne.jpg,\nd.jpg,\n', 'line 2 (id s.jpg): token 1'],
  ])('Airbus: %s is a UserError naming the line', (_, text, message) => {
    const p = join(dir, 'bad.csv');
    writeFileSync(p, text);
    expect(() => validateSubmission(p, ['s.jpg', 'e.jpg', 'd.jpg'], 2, 4, airbus)).toThrow(UserError);
    expect(() => validateSubmission(p, ['s.jpg', 'e.jpg', 'd.jpg'], 2, 4, airbus)).toThrow(message);
  });
  it('SIIM: a repeated image is a UserError (one row per image)', () => {
    const p = join(dir, 'siim-bad.csv');
    writeFileSync(p, 'ImageId,EncodedPixels\ns,-1\ns,0 1\n');
    expect(() => validateSubmission(p, ['s'], 2, 4, LAYOUTS.siim.submission)).toThrow('line 3: duplicate id "s"');
  });
});

describe('scoreSubmission with the competition metric (by hand)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sub-score-'));
  const airbus = LAYOUTS.airbus.submission;
  // 1×4 images. Truth: "a" has two touching ships given as rows (pixels 1–2 and 3–4); "b" none.
  const truth = join(dir, 'truth.csv');
  writeFileSync(truth, 'ImageId,EncodedPixels\na,1 2\na,3 2\nb,\n');
  it.each([
    ['both ships as rows', 'ImageId,EncodedPixels\na,1 2\na,3 2\nb,\n', 1],
    // one row covering both ships: IoU 1/2 with each, no hit; b right: (0 + 1) / 2
    ['the two ships as one object', 'ImageId,EncodedPixels\na,1 4\nb,\n', 0.5],
    // a finds one ship of two: 5 / (5 + 4) at every threshold; b has a false positive: 0
    ['one ship found, a false positive on b', 'ImageId,EncodedPixels\na,1 2\nb,1 1\n', 5 / 9 / 2],
  ])('f2-objects, %s → %p', (_, text, expected) => {
    const p = join(dir, 'sub.csv');
    writeFileSync(p, text);
    expect(scoreSubmission(p, truth, 1, 4, 'f2-objects', airbus)).toBeCloseTo(expected, 12);
  });
  it('dice in SIIM\'s format: relative starts and -1', () => {
    const t = join(dir, 'siim-truth.csv');
    writeFileSync(t, 'ImageId,EncodedPixels\na,0 2\nb,-1\n'); // a = pixels 1–2 of 1×4
    const p = join(dir, 'siim-sub.csv');
    writeFileSync(p, 'ImageId,EncodedPixels\na,1 2\nb,-1\n'); // a = pixels 2–3: I 1, Dice 2/4
    expect(scoreSubmission(p, t, 1, 4, 'dice', LAYOUTS.siim.submission)).toBeCloseTo((0.5 + 1) / 2, 12);
  });
});
