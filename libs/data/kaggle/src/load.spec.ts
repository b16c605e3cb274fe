import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cacheFileFor } from './cache';
import { greyAsRgb, tempDir, userError, writePng, writeText } from './fixtures.testing';
import { checkLayout, loadTestSet, loadTrainSet, readSampleSubmissionIds } from './index';

// Images are 3 rows x 4 columns so that a transposed or column/row-swapped read cannot pass.
const H = 3;
const W = 4;

/** Pixel values of an image: distinct per id and per pixel. */
function imageOf(seed: number): number[] {
  return Array.from({ length: H * W }, (_, i) => (seed * 37 + i * 11) % 256);
}

// Masks (row-major) with their Kaggle column-major RLE computed by hand: pixel number = x*H + y + 1.
const MASKS: Record<string, { mask: number[]; rle: string }> = {
  // (y0,x1)=4, (y1,x1)=5, (y2,x3)=12
  a: { mask: [0, 1, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, 0, 0, 1], rle: '4 2 12 1' },
  b: { mask: new Array(H * W).fill(0), rle: '' },
  // column 0 (1,2,3) and (y0,x1)=4: one run 1..4
  c: { mask: [1, 1, 0, 0, /**/ 1, 0, 0, 0, /**/ 1, 0, 0, 0], rle: '1 4' },
};
const TRAIN_IDS = ['b', 'c', 'a']; // listing order on disk does not matter; the loader sorts
const TEST_IDS = ['z', 'x', 'y']; // sample_submission order, deliberately unsorted

interface LayoutSpec {
  masksAs?: 'png' | 'csv' | 'both' | 'none';
  depths?: boolean;
  sampleSubmission?: boolean;
  extraTestImage?: boolean;
}

async function writeLayout(dir: string, spec: LayoutSpec = {}): Promise<void> {
  const { masksAs = 'png', depths = true, sampleSubmission = true, extraTestImage = false } = spec;
  for (const [k, id] of TRAIN_IDS.entries()) {
    await writePng(join(dir, 'train', 'images', `${id}.png`), 'rgb8', H, W, greyAsRgb(imageOf(k + 1)));
    if (masksAs === 'png' || masksAs === 'both') {
      await writePng(join(dir, 'train', 'masks', `${id}.png`), 'grey16', H, W, MASKS[id].mask.map((v) => v * 65535));
    }
  }
  if (masksAs === 'csv' || masksAs === 'both') {
    writeText(join(dir, 'train.csv'), ['id,rle_mask', ...TRAIN_IDS.map((id) => `${id},${MASKS[id].rle}`)].join('\n') + '\n');
  }
  for (const [k, id] of [...TEST_IDS, ...(extraTestImage ? ['w'] : [])].entries()) {
    await writePng(join(dir, 'test', 'images', `${id}.png`), 'rgb8', H, W, greyAsRgb(imageOf(100 + k)));
  }
  if (sampleSubmission) writeText(join(dir, 'sample_submission.csv'), ['id,rle_mask', ...TEST_IDS.map((id) => `${id},1 1`)].join('\n') + '\n');
  if (depths) writeText(join(dir, 'depths.csv'), 'id,z\na,101\nb,202.5\nc,-3\nx,7\ny,8\nz,9\nunused,1\n');
}

/** Expected split arrays built from the fixture definitions (not from the loader). */
function expectedTrain() {
  const ids = ['a', 'b', 'c'];
  const images = ids.flatMap((id) => imageOf(TRAIN_IDS.indexOf(id) + 1));
  const masks = ids.flatMap((id) => MASKS[id].mask);
  return { ids, images, masks };
}

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('segkit-load'));
});
afterEach(() => cleanup());

describe('loadTrainSet', () => {
  it.each([['png' as const], ['csv' as const], ['both' as const]])('reads images, masks (from %s) and depths', async (masksAs) => {
    await writeLayout(dir, { masksAs });
    const set = await loadTrainSet(dir);
    const want = expectedTrain();
    expect(set.ids).toEqual(want.ids);
    expect([set.height, set.width]).toEqual([H, W]);
    expect(Array.from(set.images)).toEqual(want.images);
    expect(Array.from(set.masks)).toEqual(want.masks);
    expect(Array.from(set.depths)).toEqual([101, 202.5, -3]);
  });

  it('mixes sources: some masks as PNG, the others from train.csv', async () => {
    await writeLayout(dir, { masksAs: 'both' });
    rmSync(join(dir, 'train', 'masks', 'a.png'));
    writeText(join(dir, 'train.csv'), `id,rle_mask\na,${MASKS.a.rle}\n`);
    const set = await loadTrainSet(dir);
    expect(Array.from(set.masks)).toEqual(expectedTrain().masks);
  });

  it('gives NaN depths without depths.csv', async () => {
    await writeLayout(dir, { depths: false });
    const set = await loadTrainSet(dir);
    expect(Array.from(set.depths).every(Number.isNaN)).toBe(true);
  });

  it('reports progress up to the total (images + mask PNGs)', async () => {
    await writeLayout(dir);
    const calls: [number, number][] = [];
    await loadTrainSet(dir, { onProgress: (d, t) => calls.push([d, t]), concurrency: 2 });
    expect(calls).toHaveLength(6);
    expect(calls.map(([d]) => d)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(calls.every(([, t]) => t === 6)).toBe(true);
  });
});

describe('loadTestSet', () => {
  it('follows sample_submission order and skips images it does not list', async () => {
    await writeLayout(dir, { extraTestImage: true });
    const set = await loadTestSet(dir);
    expect(set.ids).toEqual(TEST_IDS);
    expect(Array.from(set.images)).toEqual([...imageOf(100), ...imageOf(101), ...imageOf(102)]);
    expect(Array.from(set.depths)).toEqual([9, 7, 8]);
    expect(readSampleSubmissionIds(dir)).toEqual(TEST_IDS);
  });

  it('without sample_submission.csv loads every test image in id order', async () => {
    await writeLayout(dir, { sampleSubmission: false });
    const set = await loadTestSet(dir);
    expect(set.ids).toEqual(['x', 'y', 'z']);
    expect(Array.from(set.images.subarray(0, H * W))).toEqual(imageOf(101));
    expect(() => readSampleSubmissionIds(dir)).toThrow(`${join(dir, 'sample_submission.csv')} is missing`);
  });
});

describe('input errors name the file, row or field', () => {
  const trainCsv = () => join(dir, 'train.csv');

  it('corrupt image', async () => {
    await writeLayout(dir);
    writeFileSync(join(dir, 'train', 'images', 'b.png'), 'not a png');
    expect(await userError(() => loadTrainSet(dir))).toContain(`${join(dir, 'train', 'images', 'b.png')}: cannot decode image`);
  });

  it('image of another size: the first differing file in id order is named', async () => {
    await writeLayout(dir);
    await writePng(join(dir, 'train', 'images', 'c.png'), 'rgb8', 2, 2, greyAsRgb([1, 2, 3, 4]));
    await writePng(join(dir, 'train', 'images', 'b.png'), 'rgb8', 4, 3, greyAsRgb(new Array(12).fill(5)));
    const msg = await userError(() => loadTrainSet(dir, { concurrency: 4 }));
    expect(msg).toContain(`${join(dir, 'train', 'images', 'b.png')} is 4x3 (HxW) but the other images are 3x4 (e.g. ${join(dir, 'train', 'images', 'a.png')})`);
  });

  it.each([['train' as const], ['test' as const]])('one odd %s image that comes first in id order is the one named', async (split) => {
    await writeLayout(dir);
    // "0" sorts before every fixture id, so it is decoded first and used to be taken as the reference.
    const odd = join(dir, split, 'images', '0.png');
    await writePng(odd, 'rgb8', 5, 5, greyAsRgb(new Array(25).fill(1)));
    if (split === 'train') await writePng(join(dir, 'train', 'masks', '0.png'), 'grey16', 5, 5, new Array(25).fill(0));
    else writeText(join(dir, 'sample_submission.csv'), ['id,rle_mask', '0,', ...TEST_IDS.map((id) => `${id},1 1`)].join('\n') + '\n');
    const msg = await userError(() => (split === 'train' ? loadTrainSet(dir) : loadTestSet(dir)));
    expect(msg).toMatch(new RegExp(`^${odd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is 5x5 \\(HxW\\) but the other images are 3x4`));
  });

  it('mask of another size', async () => {
    await writeLayout(dir);
    await writePng(join(dir, 'train', 'masks', 'c.png'), 'grey16', 4, 3, new Array(12).fill(0));
    expect(await userError(() => loadTrainSet(dir))).toContain(`${join(dir, 'train', 'masks', 'c.png')} is 4x3 (HxW)`);
  });

  it('missing mask (no PNG and no train.csv row)', async () => {
    await writeLayout(dir, { masksAs: 'csv' });
    await writePng(join(dir, 'train', 'images', 'd.png'), 'rgb8', H, W, greyAsRgb(imageOf(9)));
    expect(await userError(() => loadTrainSet(dir))).toContain(`${join(dir, 'train', 'images', 'd.png')} has no mask`);
  });

  it('mask PNG without an image', async () => {
    await writeLayout(dir);
    await writePng(join(dir, 'train', 'masks', 'q.png'), 'grey16', H, W, new Array(12).fill(0));
    expect(await userError(() => loadTrainSet(dir))).toContain(`${join(dir, 'train', 'masks', 'q.png')} has no image`);
  });

  it('train.csv id with no image, by line', async () => {
    await writeLayout(dir, { masksAs: 'csv' });
    writeText(trainCsv(), 'id,rle_mask\na,4 2 12 1\nb,\nc,1 4\nghost,1 1\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${trainCsv()} line 5: id "ghost" has no image ${join(dir, 'train', 'images', 'ghost.png')}`);
  });

  it('duplicate id in train.csv', async () => {
    await writeLayout(dir, { masksAs: 'csv' });
    writeText(trainCsv(), 'id,rle_mask\na,4 2 12 1\nb,\nc,1 4\nb,1 1\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${trainCsv()} line 5: duplicate id "b" (first seen on line 3)`);
  });

  it('wrong header in train.csv', async () => {
    await writeLayout(dir, { masksAs: 'csv' });
    writeText(trainCsv(), 'id,mask\na,4 2 12 1\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${trainCsv()} line 1: header must be "id,rle_mask", got "id,mask"`);
  });

  it('wrong number of fields', async () => {
    await writeLayout(dir, { masksAs: 'csv' });
    writeText(trainCsv(), 'id,rle_mask\na,4 2 12 1,extra\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${trainCsv()} line 2: expected 2 fields (id,rle_mask), got 3`);
  });

  it('malformed RLE, wrapped with file and line', async () => {
    await writeLayout(dir, { masksAs: 'csv' });
    writeText(trainCsv(), 'id,rle_mask\na,4 2 12 1\nb,\nc,1 4 9\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(
      `${trainCsv()} line 4 (id c): malformed rle_mask: odd number of tokens (3): the last start 9 has no length`,
    );
  });

  it('train.csv and mask PNG disagree', async () => {
    await writeLayout(dir, { masksAs: 'both' });
    // Row-major reading of column-major pixels 4..5 would be (y1,x0),(y1,x1): two pixels differ from the PNG.
    writeText(trainCsv(), 'id,rle_mask\na,4 2 12 1\nb,\nc,1 3 5 1\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(
      `${trainCsv()} line 4 and ${join(dir, 'train', 'masks', 'c.png')} disagree for id c: 2 of 12 pixels differ`,
    );
  });

  it('non-numeric depth', async () => {
    await writeLayout(dir);
    writeText(join(dir, 'depths.csv'), 'id,z\na,101\nb,deep\n');
    expect(await userError(() => loadTrainSet(dir))).toBe(`${join(dir, 'depths.csv')} line 3 (id b): z "deep" is not a number`);
  });

  it.each([[''], ['0x10'], ['1,5']])('depth %j is not a number either', async (z) => {
    await writeLayout(dir);
    writeText(join(dir, 'depths.csv'), `id,z\na,"${z}"\n`);
    expect(await userError(() => loadTrainSet(dir))).toContain(`${join(dir, 'depths.csv')} line 2 (id a): z "${z}" is not a number`);
  });

  it('missing test/images', async () => {
    await writeLayout(dir);
    rmSync(join(dir, 'test'), { recursive: true });
    expect(await userError(() => loadTestSet(dir))).toContain(`${join(dir, 'test', 'images')} is missing`);
    expect(await userError(() => checkLayout(dir))).toContain(`${join(dir, 'test', 'images')} is missing`);
    checkLayout(dir, 'train'); // the train split alone is still complete
  });

  it('sample_submission id with no test image', async () => {
    await writeLayout(dir);
    rmSync(join(dir, 'test', 'images', 'x.png'));
    expect(await userError(() => loadTestSet(dir))).toBe(
      `${join(dir, 'sample_submission.csv')} line 3: id "x" has no image ${join(dir, 'test', 'images', 'x.png')}`,
    );
  });

  it('missing train/images', async () => {
    await writeLayout(dir);
    rmSync(join(dir, 'train', 'images'), { recursive: true });
    expect(await userError(() => loadTrainSet(dir))).toContain(`${join(dir, 'train', 'images')} is missing`);
  });

  it('neither train/masks nor train.csv', async () => {
    await writeLayout(dir, { masksAs: 'none' });
    expect(await userError(() => checkLayout(dir, 'train'))).toContain('one of them must provide the training masks');
  });

  it('a concurrency that is not a positive integer', async () => {
    await writeLayout(dir);
    expect(await userError(() => loadTrainSet(dir, { concurrency: 0 }))).toBe('concurrency must be a positive integer, got 0');
  });

  it('a data directory that does not exist', async () => {
    expect(await userError(() => checkLayout(join(dir, 'nope')))).toBe(`data directory ${join(dir, 'nope')} does not exist`);
  });
});

describe('cache', () => {
  const cacheDir = () => join(dir, 'cache');
  const data = () => join(dir, 'data');
  const image = (id: string) => join(data(), 'train', 'images', `${id}.png`);

  /**
   * Replaces a file's bytes with garbage of the same length and resets its mtime to a whole
   * second set before the first load: a change the fingerprint cannot see.
   */
  function corruptKeepingStat(file: string): void {
    const size = statSync(file).size;
    writeFileSync(file, Buffer.alloc(size, 7));
    utimesSync(file, 1_700_000_000, 1_700_000_000);
  }

  it('writes one file per split and serves the next load from it', async () => {
    await writeLayout(data());
    utimesSync(image('a'), 1_700_000_000, 1_700_000_000);
    const first = await loadTrainSet(data(), { cacheDir: cacheDir() });
    const firstTest = await loadTestSet(data(), { cacheDir: cacheDir() });
    expect(readdirSync(cacheDir()).sort()).toEqual(
      [cacheFileFor(cacheDir(), data(), 'test'), cacheFileFor(cacheDir(), data(), 'train')].map((f) => f.slice(cacheDir().length + 1)),
    );
    corruptKeepingStat(image('a'));
    const progress: [number, number][] = [];
    const second = await loadTrainSet(data(), { cacheDir: cacheDir(), onProgress: (d, t) => progress.push([d, t]) });
    expect(second).toEqual(first); // decoding a.png now would throw: this came from the cache
    expect(progress).toEqual([[6, 6]]);
    expect(await loadTestSet(data(), { cacheDir: cacheDir() })).toEqual(firstTest);
  });

  it('is shared by every path that reaches the same data directory', async () => {
    await writeLayout(data());
    utimesSync(image('a'), 1_700_000_000, 1_700_000_000);
    const first = await loadTrainSet(data(), { cacheDir: cacheDir() });
    corruptKeepingStat(image('a'));
    const viaRelative = await loadTrainSet(relative(process.cwd(), data()), { cacheDir: cacheDir() });
    expect(viaRelative).toEqual(first);
  });

  it('is invalidated when a source file changes', async () => {
    await writeLayout(data());
    await loadTrainSet(data(), { cacheDir: cacheDir() });
    await writePng(image('a'), 'rgb8', H, W, greyAsRgb(new Array(12).fill(42)));
    utimesSync(image('a'), new Date(), new Date(Date.now() + 5000));
    const set = await loadTrainSet(data(), { cacheDir: cacheDir() });
    expect(Array.from(set.images.subarray(0, H * W))).toEqual(new Array(12).fill(42));
  });

  it('is invalidated when depths.csv changes', async () => {
    await writeLayout(data());
    await loadTrainSet(data(), { cacheDir: cacheDir() });
    writeText(join(data(), 'depths.csv'), 'id,z\na,1\nb,2\nc,3\nextra-row-changes-the-size,4\n');
    expect(Array.from((await loadTrainSet(data(), { cacheDir: cacheDir() })).depths)).toEqual([1, 2, 3]);
  });

  it.each([
    ['a flipped byte', (b: Buffer) => ((b[b.length >> 1] ^= 0xff), b)],
    ['truncation', (b: Buffer) => b.subarray(0, b.length - 9)],
    ['an empty file', () => Buffer.alloc(0)],
    ['a bad magic', (b: Buffer) => (b.write('XXXX', 0, 'latin1'), b)],
  ])('a cache damaged by %s is ignored and rebuilt', async (_name, damage) => {
    await writeLayout(data());
    const first = await loadTrainSet(data(), { cacheDir: cacheDir() });
    const file = cacheFileFor(cacheDir(), data(), 'train');
    const good = readFileSync(file);
    writeFileSync(file, damage(Buffer.from(good)));
    const again = await loadTrainSet(data(), { cacheDir: cacheDir() });
    expect({ ...again }).toEqual({ ...first });
    expect(readFileSync(file).equals(good)).toBe(true); // rewritten whole
  });
});
