import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { atomicWriteFile, Progress, readNpyChunks, readNpyInfo, UserError } from '@tgs/io';
import { decodeRle, encodeRle } from '@tgs/rle';
import { binarize } from './postprocess';

export interface SubmissionInput {
  /** Test ids in the sample submission's order; the logits `.npy` (N, H, W) holds one image per id in this order. */
  testIds: string[];
  testLogitsPath: string;
  height: number;
  width: number;
  logitThreshold: number;
  minArea: number;
  outPath: string;
}

export interface SubmissionSummary {
  path: string;
  rows: number;
  nonEmpty: number;
}

/**
 * One image's submission mask (into `mask`) and its Kaggle RLE: logits above `logitThreshold`,
 * emptied when fewer than `minArea` pixels; the RLE is decoded back and compared with the mask.
 */
export function maskRow(
  logits: Float32Array,
  id: string,
  height: number,
  width: number,
  logitThreshold: number,
  minArea: number,
  mask: Uint8Array,
): { rle: string; area: number } {
  const area = binarize(logits, logitThreshold, minArea, mask);
  const rle = encodeRle(mask, height, width);
  const back = decodeRle(rle, height, width);
  for (let p = 0; p < height * width; p++) {
    if (back[p] !== mask[p]) throw new Error(`submission row for ${id}: RLE does not decode back to its mask`);
  }
  return { rle, area };
}

/**
 * Writes `id,rle_mask` in the sample submission's order (Kaggle TGS RLE: column-major, 1-indexed,
 * empty mask = empty field). Every row is decoded back and compared with the mask it came from
 * before the file is renamed into place, so a submission on disk is always complete and valid.
 */
export function writeSubmission(input: SubmissionInput): SubmissionSummary {
  const { testIds, height, width, logitThreshold, minArea } = input;
  const pixels = height * width;
  const { shape } = readNpyInfo(input.testLogitsPath);
  if (shape.length !== 3 || shape[0] !== testIds.length || shape[1] !== height || shape[2] !== width) {
    throw new Error(`${input.testLogitsPath}: logits of shape (${shape.join(', ')}) for ${testIds.length} test ids of ${height}×${width}`);
  }
  const lines = ['id,rle_mask'];
  const mask = new Uint8Array(pixels);
  let nonEmpty = 0;
  const progress = new Progress('submission', testIds.length);
  readNpyChunks(input.testLogitsPath, 3, 256, (chunk, first) => {
    for (let k = 0; k * pixels < chunk.length; k++) {
      const i = first + k;
      const { rle, area } = maskRow(chunk.subarray(k * pixels, (k + 1) * pixels), testIds[i], height, width, logitThreshold, minArea, mask);
      if (area > 0) nonEmpty++;
      lines.push(`${testIds[i]},${rle}`);
    }
    progress.tick(chunk.length / pixels);
  });
  atomicWriteFile(input.outPath, lines.join('\n') + '\n');
  return { path: input.outPath, rows: testIds.length, nonEmpty };
}

/**
 * Checks a submission file against the sample submission's ids: header `id,rle_mask`, every id
 * exactly once and in order, every mask a valid RLE for the image size. Returns the decoded masks'
 * count of non-empty rows.
 */
export function validateSubmission(path: string, sampleIds: string[], height: number, width: number): { rows: number; nonEmpty: number } {
  let records: string[][];
  try {
    records = parse(readFileSync(path, 'utf8'), { relax_column_count: false }) as string[][];
  } catch (err) {
    throw new UserError(`${path}: not a valid CSV (${(err as Error).message})`);
  }
  if (records.length === 0 || records[0].join(',') !== 'id,rle_mask') throw new UserError(`${path}: header must be "id,rle_mask"`);
  const rows = records.slice(1);
  if (rows.length !== sampleIds.length) throw new UserError(`${path}: ${rows.length} rows, the sample submission has ${sampleIds.length}`);
  let nonEmpty = 0;
  rows.forEach(([id, rle], k) => {
    if (id !== sampleIds[k]) throw new UserError(`${path}: row ${k + 2}: id ${id}, expected ${sampleIds[k]} (sample submission order)`);
    try {
      const m = decodeRle(rle ?? '', height, width);
      if (m.some((v) => v !== 0)) nonEmpty++;
    } catch (err) {
      throw new UserError(`${path}: row ${k + 2} (id ${id}): ${(err as Error).message}`);
    }
  });
  return { rows: rows.length, nonEmpty };
}
