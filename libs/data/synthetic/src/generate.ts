/**
 * Writes a TGS-like dataset in the competition's exact layout:
 *
 *   outDir/train/images/<id>.png   RGB 8-bit, three equal channels
 *   outDir/train/masks/<id>.png    16-bit grayscale, 0 / 65535
 *   outDir/train.csv               id,rle_mask (Kaggle column-major RLE, empty mask = empty field)
 *   outDir/depths.csv              id,z for train AND test ids, shuffled
 *   outDir/test/images/<id>.png
 *   outDir/sample_submission.csv   id,rle_mask with "1 1" for every test id, as Kaggle's
 *   truthPath                      id,rle_mask of the test masks, OUTSIDE outDir, for self-scoring
 *
 * The dataset is built in a temporary sibling of outDir and renamed into place, so an
 * interrupted run never leaves a half-written dataset behind.
 */
import { mkdirSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import sharp from 'sharp';
import { atomicWriteDir, atomicWriteFile, UserError, writeBuildFile } from '@segkit/io';
import { sampleIds, sampleSeed } from './ids';
import { mixSeed, Rng } from '@segkit/random';
import { renderSample } from './render';
import { forEachRendered, renderWorkerCount, type RenderJob } from './render-pool';
import { encodeRleKaggle } from './rle';

export interface SyntheticOptions {
  /** Dataset folder (replaced if it exists). */
  outDir: string;
  /** CSV of the test masks; must lie outside outDir so the data folder holds no answers. */
  truthPath: string;
  nTrain: number;
  nTest: number;
  /** Image side in pixels; the competition's is 101. */
  size?: number;
  seed: number;
  /** Called after each sample is written, with (samples written, nTrain + nTest). */
  onProgress?: (done: number, total: number) => void;
}

export interface SyntheticSummary {
  nTrain: number;
  nTest: number;
  /** Fraction of empty masks over all generated samples (train and test). */
  emptyFraction: number;
  /** Mean mask coverage (salt pixels / image pixels) over all generated samples, empties included. */
  meanCoverage: number;
}

export const DEFAULT_SIZE = 101;

function checkCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new UserError(`synthetic: ${field} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Validates options; every message names the offending field. */
export function validateSyntheticOptions(opts: SyntheticOptions): { size: number; outDir: string; truthPath: string } {
  checkCount(opts.nTrain, 'nTrain');
  checkCount(opts.nTest, 'nTest');
  if (opts.nTrain + opts.nTest === 0) throw new UserError('synthetic: nTrain + nTest must be at least 1');
  if (!Number.isSafeInteger(opts.seed)) throw new UserError(`synthetic: seed must be an integer, got ${String(opts.seed)}`);
  const size = opts.size ?? DEFAULT_SIZE;
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new UserError(`synthetic: size must be an integer in 8..1024, got ${String(size)}`);
  if (!opts.outDir) throw new UserError('synthetic: outDir is required');
  if (!opts.truthPath) throw new UserError('synthetic: truthPath is required');
  const outDir = resolve(opts.outDir);
  const truthPath = resolve(opts.truthPath);
  if (isInside(truthPath, outDir)) {
    throw new UserError(`synthetic: truthPath (${opts.truthPath}) must be outside outDir (${opts.outDir}) so the data folder holds no test answers`);
  }
  if (isInside(outDir, truthPath)) throw new UserError(`synthetic: outDir (${opts.outDir}) must not be inside truthPath (${opts.truthPath})`);
  return { size, outDir, truthPath };
}

/** Luminance → RGB PNG with three equal channels (the competition's images are stored this way). */
function encodeImagePng(image: Uint8Array, size: number): Promise<Buffer> {
  const rgb = new Uint8Array(image.length * 3);
  for (let i = 0; i < image.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = image[i];
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

/** 0/1 mask → 16-bit grayscale PNG with values 0 / 65535 (the competition's mask format). */
function encodeMaskPng(mask: Uint8Array, size: number): Promise<Buffer> {
  const wide = new Uint16Array(mask.length);
  for (let i = 0; i < mask.length; i++) wide[i] = mask[i] ? 65535 : 0;
  return sharp(wide, { raw: { width: size, height: size, channels: 1 } }).toColourspace('grey16').png().toBuffer();
}

/** The share of a 0/1 mask's pixels that are 1. */
export function maskCoverage(mask: Uint8Array): number {
  let on = 0;
  for (let k = 0; k < mask.length; k++) on += mask[k];
  return on / mask.length;
}

/**
 * The summary of a generated set from each sample's coverage, summed in sample order (samples
 * finish out of order), so its digits are the same every run.
 */
export function summarise(nTrain: number, nTest: number, coverage: readonly number[]): SyntheticSummary {
  let empty = 0;
  let coverageSum = 0;
  for (const c of coverage) {
    if (c === 0) empty++;
    coverageSum += c;
  }
  const total = nTrain + nTest;
  return { nTrain, nTest, emptyFraction: empty / total, meanCoverage: coverageSum / total };
}

/** Fisher–Yates shuffle with a seeded stream; returns a new array. */
function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Generates `nTrain` labelled and `nTest` unlabelled TGS-like samples (see `renderSample`) into
 * `outDir` in the Kaggle layout, plus the test truth at `truthPath`. Deterministic in `seed`
 * (same options → byte-identical files). Bad options throw a `UserError` naming the field.
 */
export async function generateSynthetic(opts: SyntheticOptions): Promise<SyntheticSummary> {
  const { size, outDir, truthPath } = validateSyntheticOptions(opts);
  const { nTrain, nTest, seed } = opts;
  const total = nTrain + nTest;
  const ids = sampleIds(seed, total);
  const rle: string[] = new Array(total);
  const depth: number[] = new Array(total);
  const coverage: number[] = new Array(total);
  let done = 0;

  await atomicWriteDir(outDir, async (tmp) => {
    for (const dir of ['train/images', 'train/masks', 'test/images']) mkdirSync(join(tmp, dir), { recursive: true });
    const job = (i: number): RenderJob => ({ seed: sampleSeed(seed, i), size });
    const here = (j: RenderJob) => renderSample(j.seed, j.size);
    await forEachRendered(total, renderWorkerCount(total), job, here, async (i, sample) => {
      coverage[i] = maskCoverage(sample.mask);
      rle[i] = encodeRleKaggle(sample.mask, size, size);
      depth[i] = sample.depth;
      const isTrain = i < nTrain;
      const [imagePng, maskPng] = await Promise.all([encodeImagePng(sample.image, size), isTrain ? encodeMaskPng(sample.mask, size) : null]);
      await Promise.all([
        writeBuildFile(join(tmp, isTrain ? 'train' : 'test', 'images', `${ids[i]}.png`), imagePng),
        maskPng ? writeBuildFile(join(tmp, 'train', 'masks', `${ids[i]}.png`), maskPng) : null,
      ]);
      done++;
      opts.onProgress?.(done, total);
    });

    const csv = (header: string, rows: string[]) => [header, ...rows].join('\n') + '\n';
    const train = ids.slice(0, nTrain).map((id, i) => `${id},${rle[i]}`);
    const testIdx = Array.from({ length: nTest }, (_, k) => nTrain + k);
    await writeBuildFile(join(tmp, 'train.csv'), csv('id,rle_mask', train));
    const depthRows = shuffled(ids.map((id, i) => `${id},${depth[i]}`), new Rng(mixSeed(seed, 0xde9)));
    await writeBuildFile(join(tmp, 'depths.csv'), csv('id,z', depthRows));
    await writeBuildFile(join(tmp, 'sample_submission.csv'), csv('id,rle_mask', testIdx.map((i) => `${ids[i]},1 1`)));
    // Written last inside the build, so a failure before this point leaves the old truth alone.
    atomicWriteFile(truthPath, csv('id,rle_mask', testIdx.map((i) => `${ids[i]},${rle[i]}`)));
  });

  return summarise(nTrain, nTest, coverage);
}
