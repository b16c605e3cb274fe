import { readCsv, rowsById } from '@tgs/data';
import { atomicWriteFile, Progress, readNpyChunks, readNpyInfo, UserError } from '@tgs/io';
import { tgsMeanAP } from '@tgs/metrics';
import { decodeRle, encodeRle } from '@tgs/rle';
import type { SubmissionSummary } from './artifacts';
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

/** One row of a file in the submission format, with its 1-based line in the file. */
export interface RleRow {
  id: string;
  rle: string;
  line: number;
}

/**
 * The rows of a file in the submission format (`id,rle_mask`: a submission, or the synthetic
 * competition's hidden test truth), read as CSV (quoting, BOM and blank lines as Kaggle's files
 * have them), in file order. A wrong header, a row with another number of fields, an empty or a
 * repeated id is a UserError naming the file and line.
 */
export function readRleRows(path: string): RleRow[] {
  return [...rowsById(path, readCsv(path, ['id', 'rle_mask'])).entries()].map(([id, row]) => ({ id, rle: row.fields[1].trim(), line: row.line }));
}

/**
 * Checks a submission file against the sample submission's ids: header `id,rle_mask`, every id
 * exactly once and in order, every mask a valid RLE for the image size. Returns the decoded masks'
 * count of non-empty rows.
 */
export function validateSubmission(path: string, sampleIds: readonly string[], height: number, width: number): { rows: number; nonEmpty: number } {
  const rows = readRleRows(path);
  if (rows.length !== sampleIds.length) throw new UserError(`${path}: ${rows.length} rows, the sample submission has ${sampleIds.length}`);
  let nonEmpty = 0;
  rows.forEach(({ id, rle, line }, k) => {
    if (id !== sampleIds[k]) throw new UserError(`${path} line ${line}: id ${id}, expected ${sampleIds[k]} (sample submission order)`);
    try {
      const m = decodeRle(rle, height, width);
      if (m.some((v) => v !== 0)) nonEmpty++;
    } catch (err) {
      throw new UserError(`${path} line ${line} (id ${id}): ${(err as Error).message}`);
    }
  });
  return { rows: rows.length, nonEmpty };
}

/**
 * The TGS mean AP of a submission against known test masks in the same format (the built-in
 * synthetic competition keeps them outside its data folder), over the truth's ids; an id missing
 * from the submission counts as an empty prediction.
 */
export function scoreSubmission(submissionPath: string, truthPath: string, height: number, width: number): number {
  const predicted = new Map(readRleRows(submissionPath).map((r) => [r.id, r]));
  const truth = readRleRows(truthPath);
  const pixels = height * width;
  const truths = new Uint8Array(truth.length * pixels);
  const preds = new Uint8Array(truth.length * pixels);
  const decode = (path: string, row: RleRow) => {
    try {
      return decodeRle(row.rle, height, width);
    } catch (err) {
      throw new UserError(`${path} line ${row.line} (id ${row.id}): ${(err as Error).message}`);
    }
  };
  truth.forEach((row, k) => {
    truths.set(decode(truthPath, row), k * pixels);
    const p = predicted.get(row.id);
    if (p) preds.set(decode(submissionPath, p), k * pixels);
  });
  return tgsMeanAP(preds, truths, pixels).mean;
}
