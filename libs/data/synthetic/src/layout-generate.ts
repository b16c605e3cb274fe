/**
 * Synthetic competitions in each built-in layout, written as that competition's real files from
 * its descriptor (@segkit/layouts): the file names and folders (SIIM's `<study>/<series>/<uid>.dcm`),
 * the formats (PNG, JPEG, GIF masks, DICOM), the CSV headers (SIIM's leading space), the RLE
 * flavours (Carvana row-major, SIIM relative with `-1`), several rows per image (one per Airbus
 * ship or SIIM region), SIIM images without a row, and the sample submission. The test truth goes
 * to `truthPath` (outside the folder) in the competition's submission format. TGS itself is
 * {@link generateSynthetic}, unchanged.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { atomicWriteDir, atomicWriteFile, UserError, writeBuildFile } from '@segkit/io';
import { fillTemplate, idOfStem, LAYOUT_NAMES, layoutByName, type LayoutDescriptor } from '@segkit/layouts';
import { encodeRleAs } from '@segkit/rle';
import { encodeDicom } from './dicom';
import { generateSynthetic, maskCoverage, summarise, validateSyntheticOptions, type SyntheticOptions, type SyntheticSummary } from './generate';
import { sampleIds, sampleSeed } from './ids';
import { forEachRendered, renderWorkerCount, type RenderJob } from './render-pool';
import { renderLayoutSample, type LayoutSample } from './shapes';

export interface LayoutSyntheticOptions extends SyntheticOptions {
  /** A built-in layout's name (default `tgs`). */
  layout?: string;
}

/** Views per synthetic Carvana car (the real competition has 16). */
const VIEWS_PER_CAR = 4;
/** Every this-many-th SIIM-like training image has no CSV row (the loader leaves it out). */
const SKIP_EVERY = 25;

/** A sample's file stem and, for nested layouts, its sub-folders (study, series). */
interface Naming {
  stem: string;
  folders: string[];
}

/** How each built-in competition names its images, from the sample's index and its random id. */
function naming(layout: string, ids: string[], i: number, nTrain: number): Naming {
  if (layout === 'carvana') {
    // Cars never straddle train and test: views are counted within each split.
    const base = i < nTrain ? 0 : nTrain;
    const k = i - base;
    const car = ids[base + k - (k % VIEWS_PER_CAR)].padEnd(12, '0');
    return { stem: `${car}_${String((k % VIEWS_PER_CAR) + 1).padStart(2, '0')}`, folders: [] };
  }
  if (layout === 'siim') {
    const uid = `1.2.276.0.7230010.3.1.4.${parseInt(ids[i].slice(0, 8), 16)}.${i + 1}`;
    return { stem: uid, folders: [`${uid}.1`, `${uid}.2`] };
  }
  return { stem: ids[i], folders: [] };
}

/** RGB from grey, tinted so colour carries something (R = v, G = 0.85 v + 20, B = 255 − 0.7 v). */
function tinted(image: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(image.length * 3);
  for (let i = 0; i < image.length; i++) {
    const v = image[i];
    rgb[3 * i] = v;
    rgb[3 * i + 1] = Math.round(0.85 * v + 20);
    rgb[3 * i + 2] = Math.round(255 - 0.7 * v);
  }
  return rgb;
}

/** An image file in the format its extension names. */
async function encodeImage(file: string, sample: LayoutSample, size: number, uid: string): Promise<Buffer> {
  if (/\.dcm$/i.test(file)) return encodeDicom({ height: size, width: size, pixels: sample.image, sopInstanceUid: uid, studyUid: `${uid}.1`, seriesUid: `${uid}.2` });
  if (/\.jpe?g$/i.test(file)) {
    return sharp(tinted(sample.image), { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
  }
  const grey = sharp(sample.image, { raw: { width: size, height: size, channels: 1 } });
  if (/\.tiff?$/i.test(file)) return grey.tiff({ compression: 'lzw' }).toBuffer();
  return grey.png().toBuffer();
}

/** A 0/255 mask file: GIF or PNG by extension. */
async function encodeMask(file: string, mask: Uint8Array, size: number): Promise<Buffer> {
  const grey = Uint8Array.from(mask, (v) => (v ? 255 : 0));
  const img = sharp(grey, { raw: { width: size, height: size, channels: 1 } });
  return /\.gif$/i.test(file) ? img.gif().toBuffer() : img.png().toBuffer();
}

const csvText = (header: readonly string[], rows: string[]) => [header.join(','), ...rows].join('\n') + '\n';

/** A field as the competition writes it: SIIM's RLE column (` EncodedPixels`) carries the header's leading space. */
const spaced = (column: string, value: string) => (column.startsWith(' ') ? ` ${value}` : value);

/** One CSV row with the id and the RLE in their columns (other columns empty). */
function row(header: readonly string[], idColumn: string, rleColumn: string, id: string, rle: string): string {
  return header.map((c) => (c === idColumn ? id : c === rleColumn ? spaced(c, rle) : '')).join(',');
}

/** Generates a synthetic competition in a built-in layout; see the module comment. */
export async function generateLayoutSynthetic(opts: LayoutSyntheticOptions): Promise<SyntheticSummary> {
  const name = opts.layout ?? 'tgs';
  if (!LAYOUT_NAMES.includes(name)) throw new UserError(`synthetic: layout must be one of ${LAYOUT_NAMES.join(', ')}, got "${name}"`);
  if (name === 'tgs') return generateSynthetic(opts);
  const l: LayoutDescriptor = layoutByName(name);
  const { size, outDir, truthPath } = validateSyntheticOptions(opts);
  const { nTrain, nTest, seed } = opts;
  const total = nTrain + nTest;
  const ids = sampleIds(seed, total);
  const samples: { id: string; objects: Uint8Array[]; mask: Uint8Array }[] = new Array(total);
  const coverage: number[] = new Array(total);
  let done = 0;
  await atomicWriteDir(outDir, async (tmp) => {
    const job = (i: number): RenderJob => ({ seed: sampleSeed(seed, i), size, layout: name });
    const here = (j: RenderJob) => renderLayoutSample(name, j.seed, j.size);
    await forEachRendered(total, renderWorkerCount(total), job, here, async (i, sample) => {
      const isTrain = i < nTrain;
      const set = isTrain ? l.train.images : l.test.images;
      const { stem, folders } = naming(name, ids, i, nTrain);
      const file = join(tmp, set.dir, ...(set.recursive ? folders : []), fillTemplate(set.files[0], stem));
      mkdirSync(dirname(file), { recursive: true });
      const maskFiles = l.train.masks.files;
      const maskFile = isTrain && maskFiles ? join(tmp, maskFiles.dir, fillTemplate(maskFiles.files[0], stem)) : undefined;
      if (maskFile) mkdirSync(dirname(maskFile), { recursive: true });
      const [image, mask] = await Promise.all([encodeImage(file, sample, size, stem), maskFile ? encodeMask(maskFile, sample.mask, size) : null]);
      await Promise.all([writeBuildFile(file, image), maskFile && mask ? writeBuildFile(maskFile, mask) : null]);
      coverage[i] = maskCoverage(sample.mask);
      samples[i] = { id: idOfStem(set, stem), objects: sample.objects, mask: sample.mask };
      done++;
      opts.onProgress?.(done, total);
    });
    const csv = l.train.masks.csv;
    if (csv) {
      const rows: string[] = [];
      for (let i = 0; i < nTrain; i++) {
        const { id, objects, mask } = samples[i];
        if (csv.missingRow === 'skip' && i % SKIP_EVERY === SKIP_EVERY - 1) continue;
        const parts = csv.rowsPerImage === 'many' ? objects.map((o) => encodeRleAs(o, size, size, csv.rle)) : [encodeRleAs(mask, size, size, csv.rle)];
        if (parts.length === 0) parts.push(csv.rle.empty);
        for (const rle of parts) rows.push(row(csv.header, csv.idColumn, csv.rleColumn, id, rle));
      }
      await writeBuildFile(join(tmp, csv.file), csvText(csv.header, rows));
    }
    const testRows = samples.slice(nTrain);
    const sub = l.submission;
    if (l.sampleSubmission) {
      const s = l.sampleSubmission;
      await writeBuildFile(join(tmp, s.file), csvText(s.header, testRows.map((t) => row(s.header, s.idColumn, s.rleColumn, t.id, sub.rle.empty))));
    }
    const truth: string[] = [];
    for (const t of testRows) {
      const parts = sub.rowsPerImage === 'many' ? t.objects.map((o) => encodeRleAs(o, size, size, sub.rle)) : [encodeRleAs(t.mask, size, size, sub.rle)];
      if (parts.length === 0) parts.push(sub.rle.empty);
      for (const rle of parts) truth.push(row(sub.header, sub.idColumn, sub.rleColumn, t.id, rle));
    }
    // Written last inside the build, so a failure before this point leaves the old truth alone.
    atomicWriteFile(truthPath, csvText(sub.header, truth));
  });
  return summarise(nTrain, nTest, coverage);
}
