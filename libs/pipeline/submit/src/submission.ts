import { readCsv } from '@segkit/data';
import { AtomicFileWriter, Progress, readNpyChunks, readNpyInfo, UserError } from '@segkit/io';
import type { SubmissionFormat } from '@segkit/layouts';
import { type MetricName, scoreMasks } from '@segkit/metrics';
import { resizeLogits } from '@segkit/resize';
import { decodeRleAsInto, isEmptyRle } from '@segkit/rle';
import type { SubmissionSummary } from './artifacts';
import { maskFields, rleArea, submissionHeader, submissionLine } from './format';
import { binarize, gateSaysEmpty } from './postprocess';

export interface SubmissionInput {
  /** Test ids in the sample submission's order; the logits `.npy` (N, H, W) holds one image per id in this order. */
  testIds: string[];
  testLogitsPath: string;
  height: number;
  width: number;
  logitThreshold: number;
  minArea: number;
  /** The tuned threshold triplet's top threshold, when it has one (see binarize). */
  topLogitThreshold?: number;
  /**
   * The empty-mask gate, when tune kept it: each test image's gate logit (testIds order) and the
   * tuned gate threshold; an image whose gate logit is ≤ the threshold gets an empty mask.
   */
  gate?: { logits: ArrayLike<number>; logitThreshold: number };
  outPath: string;
  /** The competition's submission format (the layout descriptor's `submission`). */
  format: SubmissionFormat;
  /**
   * Resized test images (input.mode "resize"): each image's own [height, width] in testIds order.
   * Its logits (height × width above) are brought back to that size (@segkit/resize's
   * resizeLogits) one image at a time before they are thresholded, so its mask has its own size.
   */
  sizes?: ReadonlyArray<readonly [number, number]>;
}

/**
 * The rows of a submission in the competition's format, image by image: its `header`, then each
 * image's rows from its logits (thresholded as tuned, brought back to the image's own size first
 * when it was resized; one row per image, or one per 8-connected object where the metric counts
 * objects, each decoded back and checked against its mask). What {@link writeSubmission} writes
 * for the pipeline and `npm run infer` writes for a folder of images, a chunk at a time.
 */
export class SubmissionLines {
  /** The header line, as the competition spells it. */
  readonly header: string;
  /** Rows so far (without the header). */
  rows = 0;
  /** Images with a non-empty mask so far. */
  nonEmpty = 0;
  /** Images added so far. */
  images = 0;
  private mask: Uint8Array<ArrayBuffer>;
  private scratch: Uint8Array<ArrayBuffer>;

  constructor(
    private readonly format: SubmissionFormat,
    /** The logits' size. */
    private readonly height: number,
    private readonly width: number,
    private readonly post: { logitThreshold: number; minArea: number; topLogitThreshold?: number },
  ) {
    this.header = submissionHeader(format);
    this.mask = new Uint8Array(height * width);
    this.scratch = new Uint8Array(height * width);
  }

  /**
   * One image's rows (CSV lines without their newline) from its logits (H·W); `size`: the image's
   * own [height, width] when its logits were resized; `gatedEmpty`: the empty-mask gate says empty
   * (an empty mask whatever the logits).
   */
  add(id: string, logits: Float32Array, size?: readonly [number, number], gatedEmpty = false): string[] {
    let [h, w] = [this.height, this.width];
    if (size) {
      [h, w] = size;
      logits = resizeLogits(logits, this.height, this.width, h, w);
      if (this.mask.length !== h * w) [this.mask, this.scratch] = [new Uint8Array(h * w), new Uint8Array(h * w)];
    }
    const area = gatedEmpty ? (this.mask.fill(0), 0) : binarize(logits, this.post.logitThreshold, this.post.minArea, this.mask, this.post.topLogitThreshold);
    if (area > 0) this.nonEmpty++;
    this.images++;
    const lines = maskFields(this.mask, h, w, this.format, id, this.scratch).map((rle) => submissionLine(this.format, id, rle));
    this.rows += lines.length;
    return lines;
  }
}

/**
 * Writes the submission in the competition's format (header, columns, RLE flavour and empty
 * marker; one row per image, or one per 8-connected object where the metric counts objects) in
 * the sample submission's order. Every image's rows are decoded back and compared with the mask
 * they came from before the file is renamed into place, so a submission on disk is always
 * complete and valid.
 */
export function writeSubmission(input: SubmissionInput): SubmissionSummary {
  const { testIds, height, width, logitThreshold, minArea, format } = input;
  const pixels = height * width;
  const { shape } = readNpyInfo(input.testLogitsPath);
  if (shape.length !== 3 || shape[0] !== testIds.length || shape[1] !== height || shape[2] !== width) {
    throw new Error(`${input.testLogitsPath}: logits of shape (${shape.join(', ')}) for ${testIds.length} test ids of ${height}×${width}`);
  }
  const { sizes } = input;
  if (sizes && sizes.length !== testIds.length) throw new Error(`writeSubmission: ${sizes.length} image sizes for ${testIds.length} test ids`);
  const { gate } = input;
  if (gate && gate.logits.length !== testIds.length) throw new Error(`writeSubmission: ${gate.logits.length} gate logits for ${testIds.length} test ids`);
  // Rows go to the file a chunk at a time: a 100,000-image submission is never held whole.
  const out = new AtomicFileWriter(input.outPath);
  const rows = new SubmissionLines(format, height, width, { logitThreshold, minArea, topLogitThreshold: input.topLogitThreshold });
  out.write(rows.header + '\n');
  const progress = new Progress('submission', testIds.length);
  try {
    readNpyChunks(input.testLogitsPath, 3, 256, (chunk, first) => {
      const lines: string[] = [];
      for (let k = 0; k * pixels < chunk.length; k++) {
        const gated = gateSaysEmpty(gate?.logits[first + k], gate?.logitThreshold);
        lines.push(...rows.add(testIds[first + k], chunk.subarray(k * pixels, (k + 1) * pixels), sizes?.[first + k], gated));
      }
      out.write(lines.map((l) => l + '\n').join(''));
      progress.tick(chunk.length / pixels);
    });
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  return { path: input.outPath, rows: rows.rows, images: testIds.length, nonEmpty: rows.nonEmpty };
}

/** One row of a file in the submission format, with its 1-based line in the file. */
export interface RleRow {
  id: string;
  rle: string;
  line: number;
}

/**
 * The rows of a file in a submission format (a submission, or a synthetic competition's hidden
 * test truth), read as CSV (quoting, BOM and blank lines as Kaggle's files have them), in file
 * order. A wrong header, a row with another number of fields or an empty id is a UserError naming
 * the file and line, and so is a repeated id unless the format has several rows per image.
 */
export function readRleRows(path: string, format: SubmissionFormat): RleRow[] {
  const idAt = format.header.indexOf(format.idColumn);
  const rleAt = format.header.indexOf(format.rleColumn);
  const firstLine = new Map<string, number>();
  return readCsv(path, format.header).map((row) => {
    const id = row.fields[idAt].trim();
    if (id === '') throw new UserError(`${path} line ${row.line}: empty id`);
    const first = firstLine.get(id);
    if (first !== undefined && format.rowsPerImage !== 'many') throw new UserError(`${path} line ${row.line}: duplicate id "${id}" (first seen on line ${first})`);
    if (first === undefined) firstLine.set(id, row.line);
    return { id, rle: row.fields[rleAt].trim(), line: row.line };
  });
}

/** Rows of one image: consecutive rows with its id. */
interface ImageRows {
  id: string;
  rows: RleRow[];
}

/** Consecutive rows grouped by id; an id that comes back after another is a UserError. */
function groupRows(path: string, rows: RleRow[]): ImageRows[] {
  const groups: ImageRows[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last.id === row.id) {
      last.rows.push(row);
      continue;
    }
    if (seen.has(row.id)) throw new UserError(`${path} line ${row.line}: id ${row.id} again after other ids (the rows of one image must be consecutive)`);
    seen.add(row.id);
    groups.push({ id: row.id, rows: [row] });
  }
  return groups;
}

/**
 * Decodes one image's rows into `out` (their union), checking each RLE, that an empty row stands
 * alone and that no two rows overlap. Returns the image's foreground area.
 */
function decodeImageRows(path: string, image: ImageRows, height: number, width: number, format: SubmissionFormat, out: Uint8Array, offset = 0): number {
  out.fill(0, offset, offset + height * width);
  let rowsArea = 0;
  for (const { id, rle, line } of image.rows) {
    if (image.rows.length > 1 && isEmptyRle(rle, format.rle)) {
      throw new UserError(`${path} line ${line} (id ${id}): an empty row beside other rows of the same image`);
    }
    try {
      decodeRleAsInto(rle, height, width, format.rle, out, offset, 'union');
    } catch (err) {
      throw new UserError(`${path} line ${line} (id ${id}): ${(err as Error).message}`);
    }
    rowsArea += rleArea(rle, format);
  }
  let area = 0;
  for (let p = offset, end = offset + height * width; p < end; p++) area += out[p];
  if (area !== rowsArea) {
    throw new UserError(`${path} line ${image.rows[0].line} (id ${image.id}): the image's ${image.rows.length} rows overlap (${rowsArea} pixels in rows, ${area} covered)`);
  }
  return area;
}

/**
 * Checks a submission file against the sample submission's ids: the format's header, every id in
 * the sample's order (exactly one row each, or, where the format has one row per object, one or
 * more consecutive rows that never overlap and an empty row only alone), every RLE valid in the
 * format's flavour for the image size. Returns the rows, the images and the non-empty images.
 */
export function validateSubmission(
  path: string,
  sampleIds: readonly string[],
  height: number,
  width: number,
  format: SubmissionFormat,
  sizes?: ReadonlyArray<readonly [number, number]>,
): { rows: number; images: number; nonEmpty: number } {
  const rows = readRleRows(path, format);
  const images = groupRows(path, rows);
  if (format.rowsPerImage !== 'many' && rows.length !== sampleIds.length) {
    throw new UserError(`${path}: ${rows.length} rows, the sample submission has ${sampleIds.length}`);
  }
  let scratch = new Uint8Array(height * width);
  let nonEmpty = 0;
  images.forEach((image, k) => {
    if (k >= sampleIds.length) throw new UserError(`${path} line ${image.rows[0].line}: id ${image.id} is not in the sample submission (it has ${sampleIds.length} images)`);
    if (image.id !== sampleIds[k]) throw new UserError(`${path} line ${image.rows[0].line}: id ${image.id}, expected ${sampleIds[k]} (sample submission order)`);
    const [h, w] = sizes ? sizes[k] : [height, width];
    if (scratch.length !== h * w) scratch = new Uint8Array(h * w);
    if (decodeImageRows(path, image, h, w, format, scratch) > 0) nonEmpty++;
  });
  if (images.length !== sampleIds.length) {
    throw new UserError(`${path}: ${images.length} images, the sample submission has ${sampleIds.length} (first missing: ${sampleIds[images.length]})`);
  }
  return { rows: rows.length, images: images.length, nonEmpty };
}

/**
 * The competition's score (`metric`) of a submission against known test masks in the same format
 * (a synthetic competition keeps them outside its data folder), over the truth's ids; an id
 * missing from the submission counts as an empty prediction. Scored by @segkit/metrics' scoreMasks,
 * the per-image code of the OOF statistics; where the format has one row per object, each side's
 * rows are its objects. With `sizeOf` (images of their own sizes) each image is decoded at its
 * size and scored alone, the mean taken over the images.
 */
export function scoreSubmission(
  submissionPath: string,
  truthPath: string,
  height: number,
  width: number,
  metric: MetricName,
  format: SubmissionFormat,
  sizeOf?: (id: string) => readonly [number, number],
): number {
  const predicted = new Map(groupRows(submissionPath, readRleRows(submissionPath, format)).map((g) => [g.id, g]));
  const truth = groupRows(truthPath, readRleRows(truthPath, format));
  if (sizeOf) {
    let sum = 0;
    for (const image of truth) {
      const [h, w] = sizeOf(image.id);
      sum += scoreImages(submissionPath, truthPath, [image], predicted, h, w, metric, format);
    }
    return sum / truth.length;
  }
  return scoreImages(submissionPath, truthPath, truth, predicted, height, width, metric, format);
}

/** The mean score of the truth images (all `height`×`width`) against their predicted rows. */
function scoreImages(
  submissionPath: string,
  truthPath: string,
  truth: ImageRows[],
  predicted: Map<string, ImageRows>,
  height: number,
  width: number,
  metric: MetricName,
  format: SubmissionFormat,
): number {
  const pixels = height * width;
  const truths = new Uint8Array(truth.length * pixels);
  const preds = new Uint8Array(truth.length * pixels);
  const rowsAsObjects = format.rowsPerImage === 'many';
  const truthObjects = rowsAsObjects ? new Int32Array(truth.length * pixels) : undefined;
  const predObjects = rowsAsObjects ? new Int32Array(truth.length * pixels) : undefined;
  const scratch = new Uint8Array(pixels);
  /** Each row's pixels labelled with its 1-based row number within the image. */
  const labelRows = (path: string, image: ImageRows, labels: Int32Array, offset: number) => {
    image.rows.forEach((row, r) => {
      decodeImageRows(path, { id: image.id, rows: [row] }, height, width, format, scratch);
      for (let p = 0; p < pixels; p++) if (scratch[p]) labels[offset + p] = r + 1;
    });
  };
  truth.forEach((image, k) => {
    decodeImageRows(truthPath, image, height, width, format, truths, k * pixels);
    if (truthObjects) labelRows(truthPath, image, truthObjects, k * pixels);
    const p = predicted.get(image.id);
    if (p === undefined) return;
    decodeImageRows(submissionPath, p, height, width, format, preds, k * pixels);
    if (predObjects) labelRows(submissionPath, p, predObjects, k * pixels);
  });
  return scoreMasks(metric, preds, truths, height, width, { truthObjects, predObjects }).mean;
}
