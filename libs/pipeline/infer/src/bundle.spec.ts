import { BUNDLE_RECORD } from '@segkit/run';
import { LAYOUTS } from '@segkit/layouts';
import { BUNDLE_JSON, SUBMISSION_FALLBACK } from './bundle-schema';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@segkit/config';
import { readBundle, writeBundle, type WriteBundleInput } from './bundle';
import { inferImages } from './infer';

/** Two folds with fake model folders (the bundle copies files; it does not build models). */
function fixture(root: string): WriteBundleInput {
  const folds = [0, 1].map((fold) => {
    const modelsDir = join(root, `fold-${fold}`, 'models');
    mkdirSync(join(modelsDir, 'best'), { recursive: true });
    writeFileSync(join(modelsDir, 'best', 'model.json'), JSON.stringify({ fold }));
    writeFileSync(join(modelsDir, 'best', 'weights.bin'), Buffer.from([fold, 1, 2, 3]));
    return { fold, modelsDir, models: ['best'] };
  });
  return {
    outDir: join(root, 'bundle'),
    name: 'exp',
    config: parseConfig({ name: 'exp' }),
    spec: { format: 'tgs-inference-1', height: 5, width: 4, inputScale: 255, padding: { mode: 'reflect', top: 1, bottom: 2, left: 2, right: 2 }, output: 'logits' },
    tta: ['identity', 'hflip'],
    batchSize: 3,
    ensembleMode: 'logit-mean',
    folds,
    logitThreshold: -0.25,
    probThreshold: 0.4378,
    minArea: 10,
  };
}

describe('bundle', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bundle-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes models, settings, config and a manifest of sha-256 sums that reading verifies', async () => {
    const input = fixture(root);
    await writeBundle(input);
    const manifest = JSON.parse(readFileSync(join(input.outDir, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual([
      'bundle.json',
      'config.json',
      'folds/fold-0/best/model.json',
      'folds/fold-0/best/weights.bin',
      'folds/fold-1/best/model.json',
      'folds/fold-1/best/weights.bin',
    ]);
    // sha-256 of the 4 bytes [1, 1, 2, 3], computed here, not by the bundle code
    const expected = createHash('sha256').update(Buffer.from([1, 1, 2, 3])).digest('hex');
    expect(manifest.files[5]).toEqual({ path: 'folds/fold-1/best/weights.bin', bytes: 4, sha256: expected });
    const b = readBundle(input.outDir);
    expect(b.info).toMatchObject({ height: 5, width: 4, padding: input.spec.padding, tta: ['identity', 'hflip'], batchSize: 3, logitThreshold: -0.25, minArea: 10 });
    expect(b.info.folds).toEqual([
      { fold: 0, models: ['best'] },
      { fold: 1, models: ['best'] },
    ]);
    expect(b.config.name).toBe('exp');
    expect(b.modelDir(1, 'best')).toBe(join(input.outDir, 'folds', 'fold-1', 'best'));
  });

  it.each([
    ['a changed file', (d: string) => writeFileSync(join(d, 'folds/fold-0/best/weights.bin'), Buffer.from([9, 1, 2, 3])), 'folds/fold-0/best/weights.bin: checksum mismatch'],
    ['a missing file', (d: string) => rmSync(join(d, 'config.json')), 'config.json: missing'],
    ['an extra file', (d: string) => writeFileSync(join(d, 'folds/extra.bin'), 'x'), 'folds/extra.bin: not listed in'],
    ['no manifest', (d: string) => rmSync(join(d, 'manifest.json')), 'manifest.json: missing'],
    ['a damaged manifest', (d: string) => writeFileSync(join(d, 'manifest.json'), JSON.stringify({ format: 'tgs-bundle-manifest-1', files: [{ path: 'config.json', bytes: 'many' }] })), 'manifest.json: files.0.bytes: '],
    ['a truncated manifest', (d: string) => writeFileSync(join(d, 'manifest.json'), '{"format": "tgs-'), 'manifest.json: not valid JSON'],
  ])('%s is an error naming the file', async (_what, damage, message) => {
    const input = fixture(root);
    await writeBundle(input);
    damage(input.outDir);
    expect(() => readBundle(input.outDir)).toThrow(join(input.outDir, message));
  });

  it("records the competition's submission format and id spelling; a bundle without them falls back to TGS's", async () => {
    const input = { ...fixture(root), submission: { format: LAYOUTS.airbus.submission, id: LAYOUTS.airbus.test.images.id } };
    await writeBundle(input);
    expect(readBundle(input.outDir).info.submission).toEqual({
      format: { header: ['ImageId', 'EncodedPixels'], idColumn: 'ImageId', rleColumn: 'EncodedPixels', rle: { order: 'column-major', starts: 'absolute', empty: '' }, rowsPerImage: 'many' },
      id: '{stem}.jpg',
    });
    // The fallback is what a TGS run records.
    expect(SUBMISSION_FALLBACK).toEqual({ format: LAYOUTS.tgs.submission, id: LAYOUTS.tgs.test.images.id });
    rmSync(input.outDir, { recursive: true });
    await writeBundle(fixture(root));
    expect(readBundle(join(root, 'bundle')).info.submission).toBeUndefined();
  });

  it('a fold without its exported model writes nothing', async () => {
    const input = fixture(root);
    rmSync(join(input.folds[1].modelsDir, 'best', 'model.json'));
    await expect(writeBundle(input)).rejects.toThrow('run the predict step for fold 1');
    expect(() => readBundle(input.outDir)).toThrow('bundle folder not found');
  });

  it('infer never replaces a mask folder holding other files', async () => {
    const input = fixture(root);
    await writeBundle(input);
    const out = join(root, 'masks');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await expect(inferImages({ bundleDir: input.outDir, imagesDir: root, out })).rejects.toThrow(`${out}: holds files other than .png masks (keep.txt)`);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('infer refuses a bundle whose models read crops (input.mode "crop") with one line naming its config', async () => {
    const input = { ...fixture(root), config: parseConfig({ name: 'exp', input: { mode: 'crop', size: 64 } }) };
    await writeBundle(input);
    await expect(inferImages({ bundleDir: input.outDir, imagesDir: root, out: join(root, 'out.csv') })).rejects.toThrow(
      `${join(input.outDir, 'config.json')}: input.mode "crop" has no bundle: infer does not predict by tiles yet`,
    );
  });
});

describe('bundle.json', () => {
  it("is the run layout's bundle record", () => {
    expect(BUNDLE_JSON).toBe(BUNDLE_RECORD);
  });
});
