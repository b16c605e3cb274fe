import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { fillTemplate, stemOfId, idOfStem, type LayoutDescriptor, type MaskCsv } from '@segkit/layouts';
import { decodeRleAsInto, isEmptyRle, RleError } from '@segkit/rle';
import { appendMaskRuns, resizeImageBytes, resizeMask, type MaskRuns } from '@segkit/resize';
import { cacheFileFor, fingerprintFiles, openTestCache, readCache, TestCacheWriter, writeCache, type Split, type TestImages } from './cache';
import { readCsv, type CsvRow } from './csv';
import { resolveLayout } from './detect';
import { listFiles, type ListedFiles } from './files';
import { isDir, isFile } from './layout';
import { decodeImage, decodeMask, type DecodedImage, type DecodedPlane } from './png';
import { greyPlane } from './pixels';
import { forEachBounded } from './pool';
import { oddSizedFile, oddSizeError } from './sizes';
import type { ImageSet, LoadOptions, TrainSet } from './types';

const DEFAULT_CONCURRENCY = 8;

/** Strict decimal number (Number('') is 0 and Number('0x10') is 16, so Number alone is too lax). */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A CSV's header with its columns found (the layout's schema guarantees they are in it). */
function columnIndex(header: readonly string[], column: string): number {
  return header.indexOf(column);
}

/** Rows keyed by id, the file's order kept; empty ids refused, and repeated ids unless `many`. */
function rowsByColumn(file: string, rows: CsvRow[], idIndex: number, many: boolean): Map<string, CsvRow[]> {
  const byId = new Map<string, CsvRow[]>();
  for (const row of rows) {
    const id = row.fields[idIndex].trim();
    if (id === '') throw new UserError(`${file} line ${row.line}: empty id`);
    const prev = byId.get(id);
    if (prev && !many) throw new UserError(`${file} line ${row.line}: duplicate id "${id}" (first seen on line ${prev[0].line})`);
    if (prev) prev.push(row);
    else byId.set(id, [row]);
  }
  return byId;
}

/**
 * A number per id from the layout's depths file (TGS `depths.csv`, `id,z`), which lists train and
 * test ids together, so ids without an image are allowed. Empty map when the layout has no such
 * file or the file is absent.
 */
export function readDepths(dataDir: string, layout?: LayoutDescriptor): Map<string, number> {
  const spec = resolveLayout(dataDir, layout).extras.depths;
  const depths = new Map<string, number>();
  if (!spec) return depths;
  const file = join(dataDir, spec.file);
  if (!isFile(file)) return depths;
  const idIndex = columnIndex(spec.header, spec.idColumn);
  const valueIndex = columnIndex(spec.header, spec.valueColumn);
  for (const [id, [row]] of rowsByColumn(file, readCsv(file, spec.header), idIndex, false)) {
    const z = row.fields[valueIndex].trim();
    if (!DECIMAL.test(z)) throw new UserError(`${file} line ${row.line} (id ${id}): ${spec.valueColumn} "${row.fields[valueIndex]}" is not a number`);
    depths.set(id, Number(z));
  }
  return depths;
}

/** The sample submission's path in a folder of this layout (undefined when the layout has none). */
export function sampleSubmissionPath(dataDir: string, layout?: LayoutDescriptor): string | undefined {
  const spec = resolveLayout(dataDir, layout).sampleSubmission;
  return spec && join(dataDir, spec.file);
}

/**
 * Test ids in sample submission order (the order a submission must follow), spelled as the
 * sample spells them. Validates the header and rejects empty or duplicate ids; does not look at
 * the images.
 */
export function readSampleSubmissionIds(dataDir: string, layout?: LayoutDescriptor): string[] {
  const l = resolveLayout(dataDir, layout);
  const spec = l.sampleSubmission;
  if (!spec) throw new UserError(`the ${l.name} layout has no sample submission: its test ids are the test images' (see readTestIds)`);
  const file = join(dataDir, spec.file);
  if (!isFile(file)) throw new UserError(`${file} is missing`);
  return [...rowsByColumn(file, readCsv(file, spec.header), columnIndex(spec.header, spec.idColumn), false).keys()];
}

/**
 * The test ids a submission lists: the sample submission's when the layout has one, else every
 * test image's id in code-unit order.
 */
export function readTestIds(dataDir: string, layout?: LayoutDescriptor): string[] {
  const l = resolveLayout(dataDir, layout);
  if (l.sampleSubmission) return readSampleSubmissionIds(dataDir, l);
  return listFiles(dataDir, l.test.images).stems.map((s) => idOfStem(l.test.images, s));
}

function checkConcurrency(opts: LoadOptions): number {
  const c = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(c) || c < 1) throw new UserError(`concurrency must be a positive integer, got ${c}`);
  return c;
}

function checkChannels(opts: LoadOptions): 1 | 3 | 'auto' {
  const c = opts.channels ?? 1;
  if (c !== 1 && c !== 3 && c !== 'auto') throw new UserError(`channels must be 1, 3 or 'auto', got ${String(c)}`);
  return c;
}

/** Decoded RGB kept as RGB, or, for `'auto'` when every image is grey, its one plane (see greyPlane). */
function settleChannels(data: Uint8Array, channels: 1 | 3 | 'auto'): { data: Uint8Array; channels: 1 | 3 } {
  if (channels !== 'auto') return { data, channels };
  const grey = greyPlane(data);
  return grey ? { data: grey, channels: 1 } : { data, channels: 3 };
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

/** The size every image of a split is brought to, when the model reads resized images. */
type Resize = { height: number; width: number } | undefined;

/**
 * Decodes `files[i]` into slot i of a preallocated N·H·W·C array, the size taken from the first
 * file. Files are decoded with bounded concurrency; a file that fails is reported, and a size
 * mismatch names the file whose size differs from most of the others. With `resize`, every image
 * is resampled to that size instead (@segkit/resize: area when shrinking, bilinear when growing),
 * any size is allowed, and `sizes` holds each image's own size (height, width per image).
 */
async function decodeAll(
  files: string[],
  channels: 1 | 3,
  concurrency: number,
  onDone: () => void,
  resize?: Resize,
): Promise<{ data: Uint8Array; height: number; width: number; sizes?: Uint32Array }> {
  if (resize) {
    const { height, width } = resize;
    const values = height * width * channels;
    const data = new Uint8Array(files.length * values);
    const sizes = new Uint32Array(files.length * 2);
    await forEachBounded(files.length, concurrency, async (i) => {
      const image = await decodeImage(files[i], channels);
      sizes[2 * i] = image.height;
      sizes[2 * i + 1] = image.width;
      resizeImageBytes(image.data, image.height, image.width, channels, height, width, data.subarray(i * values, (i + 1) * values));
      onDone();
    });
    return { data, height, width, sizes };
  }
  const first = await decodeImage(files[0], channels);
  const { height, width } = first;
  const values = height * width * channels;
  const data = new Uint8Array(files.length * values);
  data.set(first.data, 0);
  onDone();
  await forEachBounded(files.length - 1, concurrency, async (k) => {
    const i = k + 1;
    const image = await decodeImage(files[i], channels);
    checkSize(files[i], image, height, width, files[0], files);
    data.set(image.data, i * values);
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
  reading: string,
  opts: LoadOptions,
  totalOf: (set: T) => number,
  load: () => Promise<T>,
): Promise<T> {
  if (!opts.cacheDir) return load();
  const fingerprint = fingerprintFiles(dataDir, split, sources, reading);
  // A resized split has a file of its own per size, so experiments at different sizes do not rebuild each other's.
  const file = cacheFileFor(opts.cacheDir, dataDir, split, opts.resize && `${opts.resize.height}x${opts.resize.width}`);
  const cached = readCache(file, split, fingerprint) as T | undefined;
  if (cached) {
    const total = totalOf(cached);
    opts.onProgress?.(total, total);
    opts.onCache?.({ file, bytes: statSync(file).size, hit: true });
    return cached;
  }
  const set = await load();
  writeCache(file, split, fingerprint, set);
  opts.onCache?.({ file, bytes: statSync(file).size, hit: false });
  return set;
}

/** How a template set reads in a message: `ID.png`, or `ID.png/ID.jpg`. */
function spelled(templates: string[]): string {
  return templates.map((t) => t.replace('{stem}', 'ID')).join('/');
}

/**
 * Fast structural check of a competition folder (no file is decoded). `split` limits the check
 * to what one loader needs; without it both splits are required. Throws a {@link UserError}
 * naming what is missing:
 * - train: the training images folder, and a mask folder or mask CSV (either may serve);
 * - test: the test images folder (a sample submission is optional; it fixes the test id order).
 * Optional extras (TGS `depths.csv`) are never required here.
 */
export function checkLayout(dataDir: string, split?: 'train' | 'test', layout?: LayoutDescriptor): LayoutDescriptor {
  const l = resolveLayout(dataDir, layout);
  if (!isDir(dataDir)) throw new UserError(`data directory ${dataDir} does not exist`);
  if (split !== 'test') {
    const images = join(dataDir, l.train.images.dir);
    if (!isDir(images)) throw new UserError(`${images} is missing (the training images, one ${spelled(l.train.images.files)} each)`);
    const m = l.train.masks;
    const maskDir = m.files && join(dataDir, m.files.dir);
    const csv = m.csv && join(dataDir, m.csv.file);
    if (!(maskDir && isDir(maskDir)) && !(csv && isFile(csv))) {
      if (maskDir && csv) throw new UserError(`${dataDir} has neither ${maskDir} nor ${csv}: one of them must provide the training masks`);
      throw new UserError(`${maskDir ?? csv} is missing (the training masks)`);
    }
  }
  if (split !== 'train') {
    const images = join(dataDir, l.test.images.dir);
    if (!isDir(images)) throw new UserError(`${images} is missing (the test images, one ${spelled(l.test.images.files)} each)`);
  }
  return l;
}

/** The path an id's image would have (for messages about an id without one). */
function expectedImage(dataDir: string, images: LayoutDescriptor['train']['images'], stem: string): string {
  return join(dataDir, images.dir, fillTemplate(images.files[0], stem));
}

/** The mask CSV read and checked against the images: its rows per image id. */
function readMaskCsv(dataDir: string, l: LayoutDescriptor, csv: MaskCsv, imageStems: Set<string>): Map<string, CsvRow[]> {
  const file = join(dataDir, csv.file);
  const idIndex = columnIndex(csv.header, csv.idColumn);
  const rows = rowsByColumn(file, readCsv(file, csv.header), idIndex, csv.rowsPerImage === 'many');
  for (const [id, [row]] of rows) {
    const stem = stemOfId(l.train.images, id);
    if (stem === undefined) {
      throw new UserError(`${file} line ${row.line}: id "${id}" is not spelled like this layout's ids (${l.train.images.id.replace('{stem}', 'ID')})`);
    }
    if (!imageStems.has(stem)) throw new UserError(`${file} line ${row.line}: id "${id}" has no image ${expectedImage(dataDir, l.train.images, stem)}`);
  }
  return rows;
}

/**
 * Loads the training split of any layout: images from the layout's image folder (ids in code-unit
 * order of the file stems, spelled as the layout's `id`), masks from its mask folder and/or CSV
 * (when both exist for an id they must agree pixel for pixel; several rows of one id are united,
 * and kept apart in `objects`), depths from the layout's depths file (NaN without it). An image
 * without a mask is an error, an empty mask, or left out, as the CSV's `missingRow` says. See the
 * package README for every rule. With a current cache only the folders are listed and the files
 * stat'ed: the CSVs were validated when the cache was built, and any change to them changes the
 * fingerprint.
 */
export async function loadTrainSet(dataDir: string, opts: LoadOptions = {}): Promise<TrainSet> {
  const l = checkLayout(dataDir, 'train', opts.layout);
  const concurrency = checkConcurrency(opts);
  const channels = checkChannels(opts);
  const imagesDir = join(dataDir, l.train.images.dir);
  const images = listFiles(dataDir, l.train.images);
  if (images.stems.length === 0) throw new UserError(`${imagesDir} contains no ${spelled(l.train.images.files)} images`);
  const m = l.train.masks;
  const masksDir = m.files && join(dataDir, m.files.dir);
  const maskFiles: ListedFiles = m.files && masksDir && isDir(masksDir) ? listFiles(dataDir, m.files) : { stems: [], fileOf: new Map() };
  const csvFile = m.csv && join(dataDir, m.csv.file);
  const depthsFile = l.extras.depths && join(dataDir, l.extras.depths.file);
  const imageFiles = images.stems.map((s) => images.fileOf.get(s) as string);
  const maskPaths = maskFiles.stems.map((s) => maskFiles.fileOf.get(s) as string);
  const sources = [...imageFiles, ...maskPaths, ...(csvFile ? [csvFile] : []), ...(depthsFile ? [depthsFile] : [])];
  const reading = JSON.stringify({ layout: l, channels, ...(opts.resize ? { resize: opts.resize } : {}) });

  return withCache(dataDir, 'train', sources, reading, opts, (set) => set.ids.length + maskFiles.stems.length, async () => {
    const imageStems = new Set(images.stems);
    for (const stem of maskFiles.stems) {
      if (!imageStems.has(stem)) throw new UserError(`${maskFiles.fileOf.get(stem)} has no image ${expectedImage(dataDir, l.train.images, stem)}`);
    }
    const maskStems = new Set(maskFiles.stems);
    const csvRows = m.csv && csvFile && isFile(csvFile) ? readMaskCsv(dataDir, l, m.csv, imageStems) : new Map<string, CsvRow[]>();
    const keptStems: string[] = [];
    for (const stem of images.stems) {
      const id = idOfStem(l.train.images, stem);
      if (maskStems.has(stem) || csvRows.has(id)) {
        keptStems.push(stem);
        continue;
      }
      const policy = m.csv && csvFile && isFile(csvFile) && !(masksDir && isDir(masksDir)) ? m.csv.missingRow : 'error';
      if (policy === 'empty') keptStems.push(stem);
      else if (policy === 'error') {
        const where = [masksDir && isDir(masksDir) ? join(masksDir, fillTemplate(m.files!.files[0], stem)) : undefined, csvFile && isFile(csvFile) ? `a row in ${csvFile}` : undefined].filter(Boolean);
        throw new UserError(`${images.fileOf.get(stem)} has no mask: ${where.length === 2 ? `neither ${where[0]} nor ${where[1]}` : `no ${where[0]}`}`);
      }
    }
    if (keptStems.length === 0) throw new UserError(`${imagesDir}: no image has a mask`);
    const ids = keptStems.map((s) => idOfStem(l.train.images, s));
    const depthMap = readDepths(dataDir, l);
    const depths = Float32Array.from(ids, (id) => depthMap.get(id) ?? NaN);
    const keptFiles = keptStems.map((s) => images.fileOf.get(s) as string);
    const maskedStems = maskFiles.stems.filter((s) => imageStems.has(s));
    const tick = progressCounter(keptStems.length + maskedStems.length, opts.onProgress);
    const decoded = await decodeAll(keptFiles, channels === 1 ? 1 : 3, concurrency, tick, opts.resize);
    const { height, width, sizes } = decoded;
    const { data: imageData, channels: decodedChannels } = settleChannels(decoded.data, channels);
    const pixels = height * width;
    const masks = new Uint8Array(ids.length * pixels);
    const slotOf = new Map(keptStems.map((s, i) => [s, i]));
    const keepObjects = m.csv?.rowsPerImage === 'many';
    const objects: string[][] | undefined = keepObjects ? ids.map(() => []) : undefined;
    const rleName = m.csv?.rleColumn.trim() ?? '';
    const rleIndex = m.csv ? columnIndex(m.csv.header, m.csv.rleColumn) : -1;
    /** One image's CSV rows united into `target` (at `offset`, an h×w plane), its objects kept. */
    const decodeRows = (id: string, rows: CsvRow[], h: number, w: number, target: Uint8Array, offset: number, slot: number): void => {
      target.fill(0, offset, offset + h * w);
      for (const row of rows) {
        const field = row.fields[rleIndex];
        try {
          decodeRleAsInto(field, h, w, m.csv!.rle, target, offset, 'union');
        } catch (err) {
          if (err instanceof RleError) throw new UserError(`${csvFile} line ${row.line} (id ${id}): malformed ${rleName}: ${err.message}`);
          throw err;
        }
        if (objects && !isEmptyRle(field, m.csv!.rle)) objects[slot].push(field.trim());
      }
    };
    if (sizes) {
      // Resized: each mask at its image's own size (file and/or rows, checked against each other),
      // kept as runs for full-size scoring, and resampled to the model's size for training.
      const runsOf: number[][] = ids.map(() => []);
      await forEachBounded(ids.length, concurrency, async (slot) => {
        const stem = keptStems[slot];
        const id = ids[slot];
        const h = sizes[2 * slot];
        const w = sizes[2 * slot + 1];
        const full = new Uint8Array(h * w);
        const file = maskStems.has(stem) ? (maskFiles.fileOf.get(stem) as string) : undefined;
        if (file) {
          const plane = await decodeMask(file);
          if (plane.height !== h || plane.width !== w) throw new UserError(`${file} is ${plane.height}x${plane.width} (HxW) but its image ${keptFiles[slot]} is ${h}x${w}`);
          full.set(plane.data);
          tick();
        }
        const rows = csvRows.get(id);
        if (rows) {
          const fromRows = file ? new Uint8Array(h * w) : full;
          decodeRows(id, rows, h, w, fromRows, 0, slot);
          if (file) {
            let differ = 0;
            for (let p = 0; p < h * w; p++) if (fromRows[p] !== full[p]) differ++;
            if (differ > 0) throw new UserError(`${csvFile} line ${rows[0].line} and ${file} disagree for id ${id}: ${differ} of ${h * w} pixels differ`);
          }
        }
        appendMaskRuns(full, runsOf[slot]);
        resizeMask(full, h, w, height, width, masks.subarray(slot * pixels, (slot + 1) * pixels));
      });
      const fullMasks: MaskRuns = { offsets: new Uint32Array(ids.length + 1), runs: new Uint32Array(runsOf.reduce((n, r) => n + r.length, 0)) };
      let at = 0;
      runsOf.forEach((r, i) => {
        fullMasks.runs.set(r, at);
        at += r.length;
        fullMasks.offsets[i + 1] = at / 2;
      });
      const set: TrainSet = { ids, height, width, images: imageData, masks, depths, sizes, fullMasks };
      if (decodedChannels === 3) set.channels = 3;
      if (objects) set.objects = objects;
      return set;
    }
    // Masks from image files first, then from the CSV (checked against the file where both exist).
    const fromFile = new Uint8Array(ids.length);
    await forEachBounded(maskedStems.length, concurrency, async (k) => {
      const stem = maskedStems[k];
      const file = maskFiles.fileOf.get(stem) as string;
      const plane = await decodeMask(file);
      checkSize(file, plane, height, width, keptFiles[0], keptFiles);
      const slot = slotOf.get(stem) as number;
      masks.set(plane.data, slot * pixels);
      fromFile[slot] = 1;
      tick();
    });
    const scratch = new Uint8Array(pixels);
    for (const [id, rows] of csvRows) {
      const slot = slotOf.get(stemOfId(l.train.images, id) as string) as number;
      const target = fromFile[slot] ? scratch : masks;
      const offset = fromFile[slot] ? 0 : slot * pixels;
      decodeRows(id, rows, height, width, target, offset, slot);
      if (fromFile[slot]) {
        let differ = 0;
        for (let p = 0, q = slot * pixels; p < pixels; p++, q++) if (scratch[p] !== masks[q]) differ++;
        if (differ > 0) {
          throw new UserError(
            `${csvFile} line ${rows[0].line} and ${maskFiles.fileOf.get(stemOfId(l.train.images, id) as string)} disagree for id ${id}: ${differ} of ${pixels} pixels differ`,
          );
        }
      }
    }
    const set: TrainSet = { ids, height, width, images: imageData, masks, depths };
    if (decodedChannels === 3) set.channels = 3;
    if (objects) set.objects = objects;
    return set;
  });
}

/** What the test split is read from: its layout, listed images, sources and how it is read. */
function testSources(dataDir: string, opts: LoadOptions) {
  const l = checkLayout(dataDir, 'test', opts.layout);
  const channels = checkChannels(opts);
  const listed = listFiles(dataDir, l.test.images);
  const sample = l.sampleSubmission && join(dataDir, l.sampleSubmission.file);
  const depthsFile = l.extras.depths && join(dataDir, l.extras.depths.file);
  // Every listed image is a source: the ids come from the sample submission, itself a source.
  const sources = [...listed.stems.map((s) => listed.fileOf.get(s) as string), ...(sample ? [sample] : []), ...(depthsFile ? [depthsFile] : [])];
  const reading = JSON.stringify({ layout: l, channels, ...(opts.resize ? { resize: opts.resize } : {}) });
  return { l, channels, listed, sample, sources, reading };
}

/** The test ids (sample submission order, else sorted) with their image files and depths; errors name the file and line. */
function testImageFiles(dataDir: string, src: ReturnType<typeof testSources>): { ids: string[]; files: string[]; depths: Float32Array } {
  const { l, listed, sample } = src;
  let ids: string[];
  const files: string[] = [];
  if (sample && l.sampleSubmission && isFile(sample)) {
    const spec = l.sampleSubmission;
    const rows = rowsByColumn(sample, readCsv(sample, spec.header), columnIndex(spec.header, spec.idColumn), false);
    for (const [id, [row]] of rows) {
      const stem = stemOfId(l.test.images, id);
      const file = stem === undefined ? undefined : listed.fileOf.get(stem);
      if (!file) {
        const expected = stem === undefined ? `(ids are spelled ${l.test.images.id.replace('{stem}', 'ID')})` : expectedImage(dataDir, l.test.images, stem);
        throw new UserError(`${sample} line ${row.line}: id "${id}" has no image ${expected}`);
      }
      files.push(file);
    }
    ids = [...rows.keys()];
  } else {
    ids = listed.stems.map((s) => idOfStem(l.test.images, s));
    files.push(...listed.stems.map((s) => listed.fileOf.get(s) as string));
  }
  if (ids.length === 0) throw new UserError(`${join(dataDir, l.test.images.dir)} contains no ${spelled(l.test.images.files)} images`);
  const depthMap = readDepths(dataDir, l);
  return { ids, files, depths: Float32Array.from(ids, (id) => depthMap.get(id) ?? NaN) };
}

/**
 * Loads the test split from the layout's test folder: ids in sample submission order when the
 * layout has one and the file exists (every listed id must have an image; images it does not
 * list are not loaded), otherwise all images in code-unit order. Depths as for training.
 */
export async function loadTestSet(dataDir: string, opts: LoadOptions = {}): Promise<ImageSet> {
  const concurrency = checkConcurrency(opts);
  const src = testSources(dataDir, opts);
  return withCache(dataDir, 'test', src.sources, src.reading, opts, (set) => set.ids.length, async () => {
    const { ids, files, depths } = testImageFiles(dataDir, src);
    const tick = progressCounter(ids.length, opts.onProgress);
    const decoded = await decodeAll(files, src.channels === 1 ? 1 : 3, concurrency, tick, opts.resize);
    const { height, width, sizes } = decoded;
    const { data: images, channels: decodedChannels } = settleChannels(decoded.data, src.channels);
    const set: ImageSet = { ids, height, width, images, depths, ...(sizes ? { sizes } : {}) };
    if (decodedChannels === 3) set.channels = 3;
    return set;
  });
}

/**
 * The test split for streaming: its cache (`opts.cacheDir`, required) opened for reading images a
 * chunk at a time (@segkit/data's TestImages), built first when absent or stale by decoding
 * `chunkImages` images at a time and appending them to the file, so neither building nor reading
 * holds the split in memory — a 100,000-image test set costs one chunk. Same ids, order, checks,
 * resizing and file format as loadTestSet (which reads the same cache whole). Close it after use.
 */
export async function openTestSet(dataDir: string, opts: LoadOptions & { chunkImages?: number } = {}): Promise<TestImages> {
  if (!opts.cacheDir) throw new Error('openTestSet needs a cacheDir');
  const concurrency = checkConcurrency(opts);
  const src = testSources(dataDir, opts);
  const fingerprint = fingerprintFiles(dataDir, 'test', src.sources, src.reading);
  const file = cacheFileFor(opts.cacheDir, dataDir, 'test', opts.resize && `${opts.resize.height}x${opts.resize.width}`);
  const cached = openTestCache(file, fingerprint);
  if (cached) {
    opts.onProgress?.(cached.ids.length, cached.ids.length);
    opts.onCache?.({ file, bytes: cached.bytes, hit: true });
    return cached;
  }
  const { ids, files, depths } = testImageFiles(dataDir, src);
  const tick = progressCounter(ids.length, opts.onProgress);
  const chunk = Math.max(1, opts.chunkImages ?? 256);
  const { channels } = src;
  // Streaming writes as it decodes, so the channels are decided beforehand (the pipeline passes training's).
  if (channels === 'auto') throw new Error("openTestSet: channels must be 1 or 3, not 'auto'");
  // The first image fixes the size unless the images are resized.
  const first = opts.resize ? undefined : await decodeImage(files[0], channels);
  const height = opts.resize?.height ?? (first as DecodedImage).height;
  const width = opts.resize?.width ?? (first as DecodedImage).width;
  const values = height * width * channels;
  const writer = new TestCacheWriter(file, fingerprint, { ids, height, width, channels, resized: opts.resize !== undefined });
  try {
    const sizes = opts.resize ? new Uint32Array(ids.length * 2) : undefined;
    const buffer = new Uint8Array(Math.min(chunk, ids.length) * values);
    for (let start = 0; start < ids.length; start += chunk) {
      const n = Math.min(chunk, ids.length - start);
      await forEachBounded(n, concurrency, async (k) => {
        const i = start + k;
        const image = i === 0 && first ? first : await decodeImage(files[i], channels);
        const slot = buffer.subarray(k * values, (k + 1) * values);
        if (sizes && opts.resize) {
          sizes[2 * i] = image.height;
          sizes[2 * i + 1] = image.width;
          resizeImageBytes(image.data, image.height, image.width, channels, height, width, slot);
        } else {
          checkSize(files[i], image, height, width, files[0], files);
          slot.set(image.data);
        }
        tick();
      });
      writer.append(buffer.subarray(0, n * values));
    }
    writer.commit(depths, sizes);
  } catch (err) {
    writer.abort();
    throw err;
  }
  const opened = openTestCache(file, fingerprint);
  if (!opened) throw new UserError(`${file}: the data cache just written cannot be read back; check the disk`);
  opts.onCache?.({ file, bytes: opened.bytes, hit: false });
  return opened;
}
