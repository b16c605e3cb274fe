/**
 * Loading resized (`LoadOptions.resize`): images of any size, also different sizes in one split,
 * resampled to the model's size; each image's own size and its full-size mask (as runs) kept, the
 * cache storing the resized set.
 */
import { join } from 'node:path';
import { LAYOUTS } from '@segkit/layouts';
import { unpackMaskRuns } from '@segkit/resize';
import { tempDir, userError, writePng, writeText } from './fixtures.testing';
import { loadTestSet, loadTrainSet, openTestSet } from './index';
import { readFileSync, writeFileSync } from 'node:fs';

let dir: string;
let cleanup: () => void;
// a: 4×4 with its left half foreground; b: 2×6 with one foreground pixel (row 1, column 5)
const A = { h: 4, w: 4, image: Array.from({ length: 16 }, (_, p) => (p % 4) * 60), mask: Array.from({ length: 16 }, (_, p) => (p % 4 < 2 ? 255 : 0)) };
const B = { h: 2, w: 6, image: new Array(12).fill(200), mask: Array.from({ length: 12 }, (_, p) => (p === 11 ? 255 : 0)) };
beforeEach(async () => {
  ({ dir, cleanup } = tempDir('segkit-resize'));
  for (const [id, s] of [['a', A], ['b', B]] as const) {
    await writePng(join(dir, 'images', `${id}.png`), 'grey8', s.h, s.w, s.image);
    await writePng(join(dir, 'masks', `${id}.png`), 'grey8', s.h, s.w, s.mask);
  }
  await writePng(join(dir, 'test', 'x.png'), 'grey8', 3, 5, new Array(15).fill(9));
});
afterEach(() => cleanup());

describe('loadTrainSet / loadTestSet with resize', () => {
  it('resamples images and masks of different sizes to one size and keeps the full-size masks', async () => {
    const cacheDir = join(dir, 'cache');
    const seen: boolean[] = [];
    const opts = { layout: LAYOUTS.folders, resize: { height: 2, width: 2 }, cacheDir, onCache: (c: { hit: boolean; bytes: number }) => seen.push(c.hit) };
    for (const pass of [0, 1]) {
      const train = await loadTrainSet(dir, opts);
      expect(train.ids).toEqual(['a', 'b']);
      expect([train.height, train.width]).toEqual([2, 2]);
      expect(Array.from(train.sizes!)).toEqual([4, 4, 2, 6]);
      // a by area: columns 0–1 average 30, columns 2–3 average 150; b stays 200
      expect(Array.from(train.images)).toEqual([30, 150, 30, 150, 200, 200, 200, 200]);
      // a's left half; b's lone pixel covers 1/3 of its footprint: below ½
      expect(Array.from(train.masks)).toEqual([1, 0, 1, 0, 0, 0, 0, 0]);
      const full = new Uint8Array(16);
      expect(unpackMaskRuns(train.fullMasks!, 0, full)).toBe(8);
      expect(Array.from(full)).toEqual(A.mask.map((v) => (v ? 1 : 0)));
      const fullB = new Uint8Array(12);
      expect(unpackMaskRuns(train.fullMasks!, 1, fullB)).toBe(1);
      expect(fullB[11]).toBe(1);
      expect(seen[pass]).toBe(pass === 1);
    }
    const test = await loadTestSet(dir, { layout: LAYOUTS.folders, resize: { height: 2, width: 2 }, cacheDir });
    expect(Array.from(test.sizes!)).toEqual([3, 5]);
    expect(Array.from(test.images)).toEqual([9, 9, 9, 9]);
    // without resize the two sizes are an error, as before
    expect(await userError(() => loadTrainSet(dir, { layout: LAYOUTS.folders }))).toMatch(/all images must have the same size/);
  });

  it('names a mask whose size differs from its image', async () => {
    await writePng(join(dir, 'masks', 'b.png'), 'grey8', 3, 3, new Array(9).fill(0));
    expect(await userError(() => loadTrainSet(dir, { layout: LAYOUTS.folders, resize: { height: 2, width: 2 } }))).toBe(
      `${join(dir, 'masks', 'b.png')} is 3x3 (HxW) but its image ${join(dir, 'images', 'b.png')} is 2x6`,
    );
  });

  it('decodes CSV rows at each image\'s own size', async () => {
    ({ dir, cleanup } = (cleanup(), tempDir('segkit-resize-csv')));
    await writePng(join(dir, 'train', 'images', 'a.png'), 'grey8', 4, 4, A.image);
    await writePng(join(dir, 'train', 'images', 'b.png'), 'grey8', 2, 6, B.image);
    // column-major TGS RLE: a's pixels 1–8 are its left two columns; b's pixel 12 is (row 1, column 5)
    writeText(join(dir, 'train.csv'), 'id,rle_mask\na,1 8\nb,12 1\n');
    await writePng(join(dir, 'test', 'images', 'x.png'), 'grey8', 3, 5, new Array(15).fill(9));
    const train = await loadTrainSet(dir, { layout: LAYOUTS.tgs, resize: { height: 2, width: 2 } });
    expect(Array.from(train.masks)).toEqual([1, 0, 1, 0, 0, 0, 0, 0]);
    const fullB = new Uint8Array(12);
    unpackMaskRuns(train.fullMasks!, 1, fullB);
    expect(fullB[11]).toBe(1);
  });
});

describe('openTestSet', () => {
  it.each([
    ['at their own size', undefined],
    ['resized', { height: 2, width: 2 }],
  ])('streams the test images %s from a cache built chunk by chunk, the same file loadTestSet reads', async (_, resize) => {
    for (const [k, id] of ['x', 'y', 'z'].entries()) await writePng(join(dir, 'test', `${id}.png`), 'grey8', 3, 5, Array.from({ length: 15 }, (_, p) => (k * 50 + p * 3) % 256));
    const cacheDir = join(dir, 'cache');
    const opts = { layout: LAYOUTS.folders, cacheDir, ...(resize ? { resize } : {}) };
    const whole = await loadTestSet(dir, { layout: LAYOUTS.folders, ...(resize ? { resize } : {}) });
    const hits: boolean[] = [];
    for (const pass of [0, 1]) {
      const test = await openTestSet(dir, { ...opts, chunkImages: 2, onCache: (c) => hits.push(c.hit) });
      try {
        expect(test.ids).toEqual(whole.ids);
        expect([test.height, test.width]).toEqual([whole.height, whole.width]);
        expect(test.sizes && Array.from(test.sizes)).toEqual(whole.sizes && Array.from(whole.sizes));
        const values = whole.height * whole.width;
        expect(Array.from(test.read(1, 2))).toEqual(Array.from(whole.images.subarray(values, 3 * values)));
        expect(Array.from(test.read(0, 1))).toEqual(Array.from(whole.images.subarray(0, values)));
        expect(() => test.read(2, 2)).toThrow('outside its 3');
      } finally {
        test.close();
      }
      expect(hits[pass]).toBe(pass === 1);
    }
    // loadTestSet reads the streamed file as its own cache
    const cachedHits: boolean[] = [];
    const read = await loadTestSet(dir, { ...opts, onCache: (c) => cachedHits.push(c.hit) });
    expect(cachedHits).toEqual([true]);
    expect(Array.from(read.images)).toEqual(Array.from(whole.images));
  });

  it('rebuilds a damaged cache', async () => {
    const cacheDir = join(dir, 'cache');
    const first = await openTestSet(dir, { layout: LAYOUTS.folders, cacheDir });
    first.close();
    const bytes = readFileSync(first.file);
    bytes[bytes.length - 20] ^= 0xff;
    writeFileSync(first.file, bytes);
    const hits: boolean[] = [];
    const again = await openTestSet(dir, { layout: LAYOUTS.folders, cacheDir, onCache: (c) => hits.push(c.hit) });
    again.close();
    expect(hits).toEqual([false]);
  });
});
