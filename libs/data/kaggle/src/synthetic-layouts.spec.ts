import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUTS } from '@segkit/layouts';
import { decodeRleAs, encodeRleAs } from '@segkit/rle';
import { generateLayoutSynthetic } from '@segkit/synthetic';
import { tempDir } from './fixtures.testing';
import { detectLayout, loadTestSet, loadTrainSet, readTestIds } from './index';

const SIZE = 16;
const N_TRAIN = 26;
const N_TEST = 5;

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('synthetic-layouts'));
});
afterEach(() => cleanup());

/** The first lines of a CSV, split by comma (the synthetic files have no quoted fields). */
function csv(path: string): string[][] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => l.split(','));
}

describe.each(['tgs', 'airbus', 'carvana', 'siim', 'folders'])('the synthetic %s competition', (name) => {
  it('is recognised, loads, and its CSVs are in the competition\'s spelling', async () => {
    const data = join(dir, 'data');
    const truth = join(dir, 'truth.csv');
    await generateLayoutSynthetic({ layout: name, outDir: data, truthPath: truth, nTrain: N_TRAIN, nTest: N_TEST, size: SIZE, seed: 5 });
    const layout = LAYOUTS[name];
    expect(detectLayout(data).name).toBe(name);
    const train = await loadTrainSet(data);
    const test = await loadTestSet(data);
    expect([train.height, train.width, test.height, test.width]).toEqual([SIZE, SIZE, SIZE, SIZE]);
    expect(test.ids).toEqual(readTestIds(data));
    expect(test.ids).toHaveLength(N_TEST);
    // SIIM leaves every 25th training image without a row: the loader leaves it out.
    expect(train.ids).toHaveLength(name === 'siim' ? N_TRAIN - 1 : N_TRAIN);
    if (layout.train.images.id !== '{stem}') for (const id of [...train.ids, ...test.ids]) expect(id).toMatch(/\.jpg$/);
    const maskCsv = layout.train.masks.csv;
    if (maskCsv) {
      const rows = csv(join(data, maskCsv.file));
      expect(rows[0]).toEqual(maskCsv.header);
      // Each training mask is the union of its rows, decoded independently here in the file's flavour.
      const pixels = SIZE * SIZE;
      for (const [k, id] of train.ids.entries()) {
        const union = new Uint8Array(pixels);
        for (const r of rows.slice(1).filter((r) => r[0] === id)) {
          const m = decodeRleAs(r[1], SIZE, SIZE, maskCsv.rle);
          for (let p = 0; p < pixels; p++) union[p] |= m[p];
        }
        expect([id, Buffer.from(train.masks.subarray(k * pixels, (k + 1) * pixels)).equals(Buffer.from(union))]).toEqual([id, true]);
      }
      if (maskCsv.rle.empty === '-1') expect(rows.slice(1).some((r) => r[1] === ' -1')).toBe(true);
      if (maskCsv.rowsPerImage === 'many') {
        expect(train.objects).toHaveLength(train.ids.length);
        const nonEmptyRows = rows.slice(1).filter((r) => r[1].trim() !== '' && r[1].trim() !== '-1').length;
        expect(train.objects!.flat()).toHaveLength(nonEmptyRows);
      }
    }
    // The hidden truth is in the competition's submission format, one row per image or per object.
    const truthRows = csv(truth);
    expect(truthRows[0]).toEqual(layout.submission.header);
    const truthIds = new Set(truthRows.slice(1).map((r) => r[0]));
    expect(truthIds).toEqual(new Set(test.ids));
    if (layout.submission.rowsPerImage === 'one') expect(truthRows).toHaveLength(N_TEST + 1);
    for (const r of truthRows.slice(1)) expect(encodeRleAs(decodeRleAs(r[1], SIZE, SIZE, layout.submission.rle), SIZE, SIZE, layout.submission.rle)).toBe(r[1]);
  });
});

it('Carvana cars never straddle train and test, and each has its views', async () => {
  const data = join(dir, 'data');
  await generateLayoutSynthetic({ layout: 'carvana', outDir: data, truthPath: join(dir, 't.csv'), nTrain: 8, nTest: 4, size: SIZE, seed: 9 });
  const train = await loadTrainSet(data);
  const test = await loadTestSet(data);
  const car = (id: string) => id.replace(/_\d+\.jpg$/, '');
  expect(new Set(train.ids.map(car)).size).toBe(2);
  expect(train.ids.filter((id) => id.startsWith(car(train.ids[0])))).toHaveLength(4);
  for (const id of test.ids) expect(train.ids.map(car)).not.toContain(car(id));
});

it('refuses an unknown layout', async () => {
  await expect(generateLayoutSynthetic({ layout: 'kvasir', outDir: join(dir, 'd'), truthPath: join(dir, 't.csv'), nTrain: 2, nTest: 1, size: SIZE, seed: 1 })).rejects.toThrow(
    'synthetic: layout must be one of tgs, airbus, carvana, siim, folders, got "kvasir"',
  );
});
