import { join } from 'node:path';
import { UserError } from '@tgs/io';
import { decodeRleInto, RleError } from '@tgs/rle';
import { cacheFileFor, fingerprintFiles, readCache, writeCache, type Split } from './cache';
import { readCsv, rowsById, type CsvRow } from './csv';
import { checkLayout, isDir, isFile, kaggleLayout, listPngIds } from './layout';
import { decodeLuminance, decodeMask, type DecodedPlane } from './png';
import { forEachBounded } from './pool';
import { oddSizedFile, oddSizeError } from './sizes';
import type { ImageSet, LoadOptions, TrainSet } from './types';

const DEFAULT_CONCURRENCY = 8;

/** Strict decimal number (Number('') is 0 and Number('0x10') is 16, so Number alone is too lax). */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Depth z per id from `depths.csv` (`id,z`), which lists train and test ids together, so ids
 * without an image are allowed. Empty map when the file is absent.
 */
export function readDepths(dataDir: string): Map<string, number> {
  const file = kaggleLayout(dataDir).depthsCsv;
  const depths = new Map<string, number>();
  if (!isFile(file)) return depths;
  for (const [id, row] of rowsById(file, readCsv(file, ['id', 'z']))) {
    const z = row.fields[1].trim();
    if (!DECIMAL.test(z)) throw new UserError(`${file} line ${row.line} (id ${id}): z "${row.fields[1]}" is not a number`);
    depths.set(id, Number(z));
  }
  return depths;
}

/**
 * Test ids in `sample_submission.csv` order (the order a submission must follow). Validates the
 * header and rejects empty or duplicate ids; does not look at the images.
 */
export function readSampleSubmissionIds(dataDir: string): string[] {
  const file = kaggleLayout(dataDir).sampleSubmission;
  if (!isFile(file)) throw new UserError(`${file} is missing`);
  return [...rowsById(file, readCsv(file, ['id', 'rle_mask'])).keys()];
}

function depthsFor(ids: string[], depths: Map<string, number>): Float32Array {
  return Float32Array.from(ids, (id) => depths.get(id) ?? NaN);
}

function checkConcurrency(opts: LoadOptions): number {
  const c = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(c) || c < 1) throw new UserError(`concurrency must be a positive integer, got ${c}`);
  return c;
}

/**
 * Throws when a decoded plane is not H×W. The message names the odd file: when the file compared
 * against is itself the odd one (say, the first image), the PNG headers of the whole set decide
 * which size is the common one.
 */
function checkSize(file: string, plane: DecodedPlane, height: number, width: number, firstFile: string, allFiles: string[]): void {
  if (plane.height !== height || plane.width !== width) {
    const odd = oddSizedFile(allFiles);
    if (odd) throw oddSizeError(odd);
    throw new UserError(
      `${file} is ${plane.height}x${plane.width} (HxW) but ${firstFile} is ${height}x${width}: all images must have the same size`,
    );
  }
}

/**
 * Decodes `files[i]` into slot i of a preallocated N·H·W array, the size taken from the first
 * file. Files are decoded with bounded concurrency; a file that fails is reported, and a size
 * mismatch names the file whose size differs from most of the others.
 */
async function decodeAll(
  files: string[],
  decode: (file: string) => Promise<DecodedPlane>,
  concurrency: number,
  onDone: () => void,
): Promise<{ data: Uint8Array; height: number; width: number }> {
  const first = await decode(files[0]);
  const { height, width } = first;
  const pixels = height * width;
  const data = new Uint8Array(files.length * pixels);
  data.set(first.data, 0);
  onDone();
  await forEachBounded(files.length - 1, concurrency, async (k) => {
    const i = k + 1;
    const plane = await decode(files[i]);
    checkSize(files[i], plane, height, width, files[0], files);
    data.set(plane.data, i * pixels);
    onDone();
  });
  return { data, height, width };
}

function progressCounter(total: number, onProgress?: (done: number, total: number) => void): () => void {
  let done = 0;
  return () => {
    done++;
    onProgress?.(done, total);
  };
}

/** Cache lookup and store around a split loader; without `cacheDir` it only loads. */
async function withCache<T extends ImageSet>(
  dataDir: string,
  split: Split,
  sources: string[],
  opts: LoadOptions,
  totalOf: (set: T) => number,
  load: () => Promise<T>,
): Promise<T> {
  if (!opts.cacheDir) return load();
  const fingerprint = fingerprintFiles(dataDir, split, sources);
  const file = cacheFileFor(opts.cacheDir, dataDir, split);
  const cached = readCache(file, split, fingerprint) as T | undefined;
  if (cached) {
    const total = totalOf(cached);
    opts.onProgress?.(total, total);
    return cached;
  }
  const set = await load();
  writeCache(file, split, fingerprint, set);
  return set;
}

/**
 * Loads the training split: images from `train/images/ID.png` (ids in code-unit order of the file
 * names), masks from `train/masks/ID.png` and/or `train.csv` (when both exist for an id they must
 * agree), depths from `depths.csv` (NaN without it). See the package README for every rule.
 * With a current cache only the directories are listed and the files stat'ed: the CSVs were
 * validated when the cache was built, and any change to them changes the fingerprint.
 */
export async function loadTrainSet(dataDir: string, opts: LoadOptions = {}): Promise<TrainSet> {
  checkLayout(dataDir, 'train');
  const concurrency = checkConcurrency(opts);
  const l = kaggleLayout(dataDir);
  const ids = listPngIds(l.trainImages);
  if (ids.length === 0) throw new UserError(`${l.trainImages} contains no .png images`);
  const maskIds = isDir(l.trainMasks) ? listPngIds(l.trainMasks) : [];
  const imageFiles = ids.map((id) => join(l.trainImages, `${id}.png`));
  const maskFiles = maskIds.map((id) => join(l.trainMasks, `${id}.png`));
  const sources = [...imageFiles, ...maskFiles, l.trainCsv, l.depthsCsv];
  const total = ids.length + maskIds.length;

  return withCache(dataDir, 'train', sources, opts, () => total, async () => {
    const imageSet = new Set(ids);
    const maskSet = new Set(maskIds);
    for (const id of maskIds) {
      if (!imageSet.has(id)) throw new UserError(`${join(l.trainMasks, `${id}.png`)} has no image ${join(l.trainImages, `${id}.png`)}`);
    }
    let csvRows = new Map<string, CsvRow>();
    if (isFile(l.trainCsv)) {
      csvRows = rowsById(l.trainCsv, readCsv(l.trainCsv, ['id', 'rle_mask']));
      for (const [id, row] of csvRows) {
        if (!imageSet.has(id)) {
          throw new UserError(`${l.trainCsv} line ${row.line}: id "${id}" has no image ${join(l.trainImages, `${id}.png`)}`);
        }
      }
    }
    for (const id of ids) {
      if (!maskSet.has(id) && !csvRows.has(id)) {
        throw new UserError(
          `${join(l.trainImages, `${id}.png`)} has no mask: neither ${join(l.trainMasks, `${id}.png`)} nor a row in ${l.trainCsv}`,
        );
      }
    }
    const depths = depthsFor(ids, readDepths(dataDir));

    const tick = progressCounter(total, opts.onProgress);
    const { data: images, height, width } = await decodeAll(imageFiles, decodeLuminance, concurrency, tick);
    const pixels = height * width;
    const masks = new Uint8Array(ids.length * pixels);
    const slotOf = new Map(ids.map((id, i) => [id, i]));
    // Masks from PNG first, then from train.csv (checked against the PNG where both exist).
    const fromPng = new Uint8Array(ids.length);
    await forEachBounded(maskIds.length, concurrency, async (k) => {
      const plane = await decodeMask(maskFiles[k]);
      checkSize(maskFiles[k], plane, height, width, imageFiles[0], imageFiles);
      const slot = slotOf.get(maskIds[k]) as number;
      masks.set(plane.data, slot * pixels);
      fromPng[slot] = 1;
      tick();
    });
    const scratch = new Uint8Array(pixels);
    for (const [id, row] of csvRows) {
      const slot = slotOf.get(id) as number;
      const target = fromPng[slot] ? scratch : masks;
      const offset = fromPng[slot] ? 0 : slot * pixels;
      try {
        decodeRleInto(row.fields[1], height, width, target, offset);
      } catch (err) {
        if (err instanceof RleError) {
          throw new UserError(`${l.trainCsv} line ${row.line} (id ${id}): malformed rle_mask: ${err.message}`);
        }
        throw err;
      }
      if (fromPng[slot]) {
        let differ = 0;
        for (let p = 0, q = slot * pixels; p < pixels; p++, q++) if (scratch[p] !== masks[q]) differ++;
        if (differ > 0) {
          throw new UserError(
            `${l.trainCsv} line ${row.line} and ${join(l.trainMasks, `${id}.png`)} disagree for id ${id}: ${differ} of ${pixels} pixels differ`,
          );
        }
      }
    }
    return { ids, height, width, images, masks, depths };
  });
}

/**
 * Loads the test split from `test/images/ID.png`: ids in `sample_submission.csv` order when that
 * file exists (every listed id must have an image; images it does not list are not loaded),
 * otherwise all images in code-unit order. Depths from `depths.csv` (NaN without it).
 */
export async function loadTestSet(dataDir: string, opts: LoadOptions = {}): Promise<ImageSet> {
  checkLayout(dataDir, 'test');
  const concurrency = checkConcurrency(opts);
  const l = kaggleLayout(dataDir);
  const listed = listPngIds(l.testImages);
  // Every listed image is a source: the ids come from sample_submission.csv, itself a source.
  const sources = [...listed.map((id) => join(l.testImages, `${id}.png`)), l.sampleSubmission, l.depthsCsv];
  return withCache(dataDir, 'test', sources, opts, (set) => set.ids.length, async () => {
    let ids: string[];
    if (isFile(l.sampleSubmission)) {
      const rows = rowsById(l.sampleSubmission, readCsv(l.sampleSubmission, ['id', 'rle_mask']));
      const present = new Set(listed);
      for (const [id, row] of rows) {
        if (!present.has(id)) {
          throw new UserError(`${l.sampleSubmission} line ${row.line}: id "${id}" has no image ${join(l.testImages, `${id}.png`)}`);
        }
      }
      ids = [...rows.keys()];
    } else {
      ids = listed;
    }
    if (ids.length === 0) throw new UserError(`${l.testImages} contains no .png images`);
    const depths = depthsFor(ids, readDepths(dataDir));
    const files = ids.map((id) => join(l.testImages, `${id}.png`));
    const tick = progressCounter(ids.length, opts.onProgress);
    const { data: images, height, width } = await decodeAll(files, decodeLuminance, concurrency, tick);
    return { ids, height, width, images, depths };
  });
}
