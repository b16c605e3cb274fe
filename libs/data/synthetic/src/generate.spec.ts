import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '@segkit/io';
import { generateSynthetic, SyntheticOptions } from './generate';
import { sampleSeed } from './ids';
import { renderSample } from './render';

const SIZE = 101;

/** Independent Kaggle RLE decoder: 1-indexed start/length pairs over column-major pixel numbers. */
function decodeRle(rle: string, h: number, w: number): Uint8Array {
  const mask = new Uint8Array(h * w);
  const nums = rle.trim() === '' ? [] : rle.trim().split(/\s+/).map(Number);
  expect(nums.length % 2).toBe(0);
  for (let k = 0; k < nums.length; k += 2) {
    for (let p = nums[k] - 1; p < nums[k] - 1 + nums[k + 1]; p++) {
      const x = Math.floor(p / h);
      const y = p % h;
      mask[y * w + x] = 1;
    }
  }
  return mask;
}

function readCsv(path: string): { header: string; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  expect(lines.pop()).toBe(''); // trailing newline
  return { header: lines[0], rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Every file under `dir` (relative paths), sorted, for byte-level comparisons. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

describe('generateSynthetic', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'segkit-synthetic-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const options = (over: Partial<SyntheticOptions> = {}): SyntheticOptions => ({
    outDir: join(root, 'data'),
    truthPath: join(root, 'truth', 'test_truth.csv'),
    nTrain: 12,
    nTest: 6,
    seed: 2024,
    ...over,
  });

  it('writes the Kaggle TGS layout with RGB images, 16-bit masks and matching RLE', async () => {
    const progress: number[] = [];
    const opts = options({ onProgress: (done, total) => progress.push(done * 1000 + total) });
    const summary = await generateSynthetic(opts);
    const data = opts.outDir;

    expect(readdirSync(data).sort()).toEqual(['depths.csv', 'sample_submission.csv', 'test', 'train', 'train.csv']);
    expect(readdirSync(join(data, 'train')).sort()).toEqual(['images', 'masks']);
    expect(readdirSync(join(data, 'test'))).toEqual(['images']);
    expect(progress).toEqual(Array.from({ length: 18 }, (_, k) => (k + 1) * 1000 + 18));

    const train = readCsv(join(data, 'train.csv'));
    expect(train.header).toBe('id,rle_mask');
    expect(train.rows).toHaveLength(12);
    const trainIds = train.rows.map((r) => r[0]);
    // The seed is chosen so both kinds occur: the RLE checks below cover empty and partial masks.
    expect(train.rows.some((r) => r[1] === '')).toBe(true);
    expect(train.rows.some((r) => r[1] !== '' && r[1] !== `1 ${SIZE * SIZE}`)).toBe(true);
    for (const id of trainIds) expect(id).toMatch(/^[0-9a-f]{10}$/);
    expect(readdirSync(join(data, 'train/images')).sort()).toEqual(trainIds.map((id) => `${id}.png`).sort());
    expect(readdirSync(join(data, 'train/masks')).sort()).toEqual(trainIds.map((id) => `${id}.png`).sort());

    let empty = 0;
    let coverage = 0;
    for (const [index, [id, rle]] of train.rows.entries()) {
      const imagePng = join(data, 'train/images', `${id}.png`);
      const imageMeta = await sharp(imagePng).metadata();
      expect([imageMeta.format, imageMeta.width, imageMeta.height, imageMeta.channels, imageMeta.depth]).toEqual(['png', SIZE, SIZE, 3, 'uchar']);
      const rgb = await sharp(imagePng).raw().toBuffer();
      // Three equal channels holding exactly the rendered luminance of this sample.
      const expected = renderSample(sampleSeed(2024, index), SIZE);
      for (let i = 0; i < SIZE * SIZE; i++) {
        if (rgb[3 * i] !== expected.image[i] || rgb[3 * i + 1] !== expected.image[i] || rgb[3 * i + 2] !== expected.image[i]) {
          throw new Error(`${id}: pixel ${i} is (${rgb[3 * i]}, ${rgb[3 * i + 1]}, ${rgb[3 * i + 2]}), expected ${expected.image[i]} x3`);
        }
      }

      const maskPng = join(data, 'train/masks', `${id}.png`);
      const maskMeta = await sharp(maskPng).metadata();
      expect([maskMeta.channels, maskMeta.depth, maskMeta.space]).toEqual([1, 'ushort', 'grey16']);
      const raw = await sharp(maskPng).extractChannel(0).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
      const values = new Uint16Array(raw.buffer, raw.byteOffset, SIZE * SIZE);
      const decoded = decodeRle(rle, SIZE, SIZE);
      for (let i = 0; i < SIZE * SIZE; i++) {
        if (values[i] !== 0 && values[i] !== 65535) throw new Error(`${id}: mask value ${values[i]} at ${i}`);
        if ((values[i] === 65535 ? 1 : 0) !== decoded[i]) throw new Error(`${id}: RLE and mask PNG differ at pixel ${i}`);
        if (decoded[i] !== expected.mask[i]) throw new Error(`${id}: RLE and rendered mask differ at pixel ${i}`);
      }
      const salt = decoded.reduce((s, v) => s + v, 0);
      if (salt === 0) {
        empty++;
        expect(rle).toBe('');
      }
      coverage += salt / (SIZE * SIZE);
    }

    const test = readCsv(join(data, 'sample_submission.csv'));
    expect(test.header).toBe('id,rle_mask');
    const testIds = test.rows.map((r) => r[0]);
    expect(test.rows.map((r) => r[1])).toEqual(testIds.map(() => '1 1'));
    expect(readdirSync(join(data, 'test/images')).sort()).toEqual(testIds.map((id) => `${id}.png`).sort());
    expect(new Set([...trainIds, ...testIds]).size).toBe(18);

    const depths = readCsv(join(data, 'depths.csv'));
    expect(depths.header).toBe('id,z');
    expect(depths.rows.map((r) => r[0]).sort()).toEqual([...trainIds, ...testIds].sort());
    for (const [, z] of depths.rows) expect(Number.isInteger(Number(z)) && Number(z) >= 50 && Number(z) <= 950).toBe(true);

    // The test truth lives outside the data folder and decodes to the rendered test masks.
    const truth = readCsv(opts.truthPath);
    expect(truth.header).toBe('id,rle_mask');
    expect(truth.rows.map((r) => r[0])).toEqual(testIds);
    for (const [k, [id, rle]] of truth.rows.entries()) {
      const rendered = renderSample(sampleSeed(2024, 12 + k), SIZE);
      expect({ id, same: Buffer.from(decodeRle(rle, SIZE, SIZE)).equals(Buffer.from(rendered.mask)) }).toEqual({ id, same: true });
      if (rendered.mask.every((v) => v === 0)) empty++;
      coverage += rendered.mask.reduce((s, v) => s + v, 0) / (SIZE * SIZE);
    }
    expect(summary.nTrain).toBe(12);
    expect(summary.nTest).toBe(6);
    expect(summary.emptyFraction).toBeCloseTo(empty / 18, 10);
    expect(summary.meanCoverage).toBeCloseTo(coverage / 18, 10);

    // Nothing but the dataset and the truth folder next to it: no temporary leftovers.
    expect(readdirSync(root).sort()).toEqual(['data', 'truth']);
  });

  it('is byte-identical for the same seed and different for another seed', async () => {
    const a = options({ outDir: join(root, 'a'), truthPath: join(root, 'a-truth.csv'), nTrain: 5, nTest: 3, size: 48 });
    const b = { ...a, outDir: join(root, 'b'), truthPath: join(root, 'b-truth.csv') };
    const c = { ...a, outDir: join(root, 'c'), truthPath: join(root, 'c-truth.csv'), seed: 2025 };
    await generateSynthetic(a);
    await generateSynthetic(b);
    await generateSynthetic(c);
    const filesA = listFiles(a.outDir);
    expect(listFiles(b.outDir)).toEqual(filesA);
    for (const f of filesA) expect({ f, same: readFileSync(join(a.outDir, f)).equals(readFileSync(join(b.outDir, f))) }).toEqual({ f, same: true });
    expect(readFileSync(a.truthPath).equals(readFileSync(b.truthPath))).toBe(true);
    expect(listFiles(c.outDir)).not.toEqual(filesA); // other ids
    expect(readFileSync(join(c.outDir, 'depths.csv')).equals(readFileSync(join(a.outDir, 'depths.csv')))).toBe(false);
  });

  it('leaves neither a half-written dataset nor truth when interrupted, and keeps an older dataset', async () => {
    const first = options({ nTrain: 3, nTest: 2, size: 32 });
    await generateSynthetic(first);
    const before = listFiles(first.outDir).map((f) => readFileSync(join(first.outDir, f)).toString('base64'));
    const truthBefore = readFileSync(first.truthPath, 'utf8');

    const failing = options({
      nTrain: 20,
      nTest: 5,
      size: 32,
      seed: 77,
      onProgress: (done) => {
        if (done === 7) throw new Error('interrupted');
      },
    });
    await expect(generateSynthetic(failing)).rejects.toThrow('interrupted');
    expect(listFiles(first.outDir).map((f) => readFileSync(join(first.outDir, f)).toString('base64'))).toEqual(before);
    expect(readFileSync(first.truthPath, 'utf8')).toBe(truthBefore);
    expect(readdirSync(root).sort()).toEqual(['data', 'truth']);

    const fresh = options({ outDir: join(root, 'fresh'), truthPath: join(root, 'fresh-truth.csv'), nTrain: 4, nTest: 1, size: 32, onProgress: () => {
      throw new Error('stop');
    } });
    await expect(generateSynthetic(fresh)).rejects.toThrow('stop');
    expect(existsSync(fresh.outDir)).toBe(false);
    expect(existsSync(fresh.truthPath)).toBe(false);
  });

  it.each([
    ['nTrain', { nTrain: -1 }, /nTrain/],
    ['nTest', { nTest: 2.5 }, /nTest/],
    ['nothing to write', { nTrain: 0, nTest: 0 }, /at least 1/],
    ['seed', { seed: Number.NaN }, /seed/],
    ['size', { size: 4 }, /size/],
    ['truth inside the data folder', { truthPath: 'PLACEHOLDER' }, /truthPath .* outside outDir/],
  ])('rejects bad %s with a UserError naming the field', async (_name, over, message) => {
    const opts = options(over as Partial<SyntheticOptions>);
    if (opts.truthPath === 'PLACEHOLDER') opts.truthPath = join(opts.outDir, 'truth.csv');
    const run = generateSynthetic(opts);
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toThrow(message);
    expect(readdirSync(root)).toEqual([]);
  });
});
