/**
 * Run-length encoding of binary masks as used by Kaggle segmentation competitions.
 *
 * Kaggle TGS Salt convention (the default, `'column-major'`): pixels are numbered 1..H*W from top
 * to bottom, then left to right (pixel number p = x*H + y + 1 for column x, row y), and a mask is
 * written as space-separated pairs `start length`, sorted by start and non-overlapping. An empty
 * mask is the empty string. `'row-major'` numbers pixels left to right, then top to bottom
 * (p = y*W + x + 1), the order used by several other Kaggle competitions.
 *
 * In memory a mask is always a row-major `Uint8Array` (index y*W + x); any non-zero value is
 * foreground, and decoded masks hold 0/1.
 *
 * Accepted input beyond the canonical form (the encoder never emits these):
 * - leading/trailing whitespace (CSV cells often carry a trailing space or `\r`), and any run of
 *   spaces/tabs between tokens, since Kaggle's own scorer splits on whitespace;
 * - adjacent runs (`1 2 3 2`): they are unambiguous, so they decode to the merged run.
 * Everything else that is not a valid mask throws an {@link RleError} naming the rule and the
 * 0-based token index.
 */

export type PixelOrder = 'column-major' | 'row-major';

/** A malformed run-length string; the message names the broken rule and the token index. */
export class RleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RleError';
  }
}

function checkShape(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new RangeError(`mask shape must be positive integers, got ${height}x${width}`);
  }
}

function checkOrder(order: PixelOrder): void {
  if (order !== 'column-major' && order !== 'row-major') {
    throw new RangeError(`pixel order must be 'column-major' or 'row-major', got '${String(order)}'`);
  }
}

/**
 * Encodes a row-major H×W mask (any non-zero value is foreground) as a Kaggle run-length string.
 * Runs are found in one pass along the chosen pixel order, so the output is canonical: sorted,
 * non-overlapping, adjacent runs merged, single spaces, no trailing space, `''` when empty.
 */
export function encodeRle(mask: Uint8Array, height: number, width: number, order: PixelOrder = 'column-major'): string {
  checkShape(height, width);
  checkOrder(order);
  const total = height * width;
  if (mask.length !== total) {
    throw new RangeError(`mask has ${mask.length} pixels, expected ${height}x${width} = ${total}`);
  }
  return order === 'row-major' ? encodeRowMajor(mask, total) : encodeColumnMajor(mask, height, width);
}

function encodeRowMajor(mask: Uint8Array, total: number): string {
  let out = '';
  let p = 0;
  while (p < total) {
    // Skip background, then measure the foreground run.
    while (p < total && mask[p] === 0) p++;
    if (p >= total) break;
    const start = p;
    while (p < total && mask[p] !== 0) p++;
    out += out.length === 0 ? `${start + 1} ${p - start}` : ` ${start + 1} ${p - start}`;
  }
  return out;
}

function encodeColumnMajor(mask: Uint8Array, height: number, width: number): string {
  let out = '';
  let runStart = -1; // 0-based pixel number where the current run began, -1 when outside a run
  for (let x = 0; x < width; x++) {
    const colBase = x * height; // pixel number of (x, 0)
    for (let y = 0, i = x; y < height; y++, i += width) {
      if (mask[i] !== 0) {
        if (runStart < 0) runStart = colBase + y;
      } else if (runStart >= 0) {
        const len = colBase + y - runStart;
        out += out.length === 0 ? `${runStart + 1} ${len}` : ` ${runStart + 1} ${len}`;
        runStart = -1;
      }
    }
  }
  if (runStart >= 0) {
    const len = height * width - runStart;
    out += out.length === 0 ? `${runStart + 1} ${len}` : ` ${runStart + 1} ${len}`;
  }
  return out;
}

/** Decodes a Kaggle run-length string into a new row-major 0/1 mask of H×W. */
export function decodeRle(rle: string, height: number, width: number, order: PixelOrder = 'column-major'): Uint8Array {
  checkShape(height, width);
  const out = new Uint8Array(height * width);
  decodeRleInto(rle, height, width, out, 0, order);
  return out;
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === LF;
}

/**
 * Decodes into `out[offset .. offset + H*W)` (row-major 0/1), for loaders that fill one
 * preallocated array for a whole split. Pixels outside the runs are set to 0. The string is
 * scanned once by character code (no split, no regex), validating every Kaggle rule on the way.
 */
export function decodeRleInto(
  rle: string,
  height: number,
  width: number,
  out: Uint8Array,
  offset = 0,
  order: PixelOrder = 'column-major',
): void {
  decodeRuns(rle, height, width, out, offset, order, 'absolute', true);
}

/** Where a run's start is counted from: see {@link RleStarts} in `flavour.ts`. */
export type RleStarts = 'absolute' | 'relative';

/**
 * The one decoding loop behind every flavour. `starts: 'absolute'` reads 1-based pixel numbers;
 * `'relative'` reads each start as the number of pixels skipped since the end of the previous run
 * (from pixel 0 for the first run), so its 1-based start is `prevEnd + value + 1` where `prevEnd`
 * is the 1-based last pixel of the previous run (0 before the first). With `clear` false the runs
 * are painted over what `out` already holds (the union of several rows of one image).
 */
export function decodeRuns(
  rle: string,
  height: number,
  width: number,
  out: Uint8Array,
  offset: number,
  order: PixelOrder,
  starts: RleStarts,
  clear: boolean,
): void {
  checkShape(height, width);
  checkOrder(order);
  if (starts !== 'absolute' && starts !== 'relative') {
    throw new RangeError(`run starts must be 'absolute' or 'relative', got '${String(starts)}'`);
  }
  const relative = starts === 'relative';
  const total = height * width;
  if (!Number.isInteger(offset) || offset < 0 || offset + total > out.length) {
    throw new RangeError(`output of length ${out.length} cannot hold a ${height}x${width} mask at offset ${offset}`);
  }
  if (clear) out.fill(0, offset, offset + total);
  const n = rle.length;
  let pos = 0;
  let token = 0; // index of the token being read
  let start = 0; // 1-based start of the pending pair
  let prevEnd = 0; // 1-based last pixel of the previous run (0 before the first run)
  let lastStart = 0; // 1-based start of the previous run, to tell an unsorted run from an overlap
  while (true) {
    while (pos < n && isBlank(rle.charCodeAt(pos))) pos++;
    if (pos >= n) break;
    const tokenStart = pos;
    let negative = false;
    if (rle.charCodeAt(pos) === MINUS) {
      negative = true;
      pos++;
    }
    let value = 0;
    let digits = 0;
    let c = 0;
    while (pos < n && !isBlank((c = rle.charCodeAt(pos)))) {
      if (c < ZERO || c > NINE) {
        let end = pos;
        while (end < n && !isBlank(rle.charCodeAt(end))) end++;
        throw new RleError(
          `token ${token} '${rle.slice(tokenStart, end)}' is not an integer (run-length tokens are decimal digits)`,
        );
      }
      value = value * 10 + (c - ZERO);
      digits++;
      pos++;
    }
    if (digits === 0) {
      throw new RleError(`token ${token} '${rle.slice(tokenStart, pos)}' is not an integer (run-length tokens are decimal digits)`);
    }
    if (negative) value = -value;
    if (token % 2 === 0) {
      if (relative) {
        if (value < 0) throw new RleError(`token ${token}: relative start ${value} is negative (it counts the pixels skipped since the previous run)`);
        const absolute = prevEnd + value + 1;
        if (absolute > total) {
          throw new RleError(
            `token ${token}: relative start ${value} lands on pixel ${absolute}, past the image (${height}x${width} has ${total} pixels)`,
          );
        }
        start = absolute;
        token++;
        continue;
      }
      if (value < 1) throw new RleError(`token ${token}: start ${value} is below 1 (pixels are numbered from 1)`);
      if (value > total) {
        throw new RleError(`token ${token}: start ${value} is past the image (${height}x${width} has ${total} pixels)`);
      }
      if (value <= prevEnd) {
        if (value < lastStart) {
          throw new RleError(`token ${token}: start ${value} is before the previous run's start ${lastStart} (runs must be sorted)`);
        }
        throw new RleError(`token ${token}: run starting at ${value} overlaps the previous run ending at ${prevEnd}`);
      }
      start = value;
    } else {
      if (value <= 0) throw new RleError(`token ${token}: length ${value} is not positive`);
      const end = start + value - 1;
      if (end > total) {
        throw new RleError(
          `token ${token}: run ${start} ${value} ends at pixel ${end}, past the image (${height}x${width} has ${total} pixels)`,
        );
      }
      paintRun(out, offset, start - 1, value, height, width, order);
      lastStart = start;
      prevEnd = end;
    }
    token++;
  }
  if (token % 2 !== 0) {
    throw new RleError(`odd number of tokens (${token}): the last start ${start} has no length`);
  }
}

/** Sets `len` pixels from 0-based pixel number `p0` (in `order`) to 1 in the row-major output. */
function paintRun(
  out: Uint8Array,
  offset: number,
  p0: number,
  len: number,
  height: number,
  width: number,
  order: PixelOrder,
): void {
  if (order === 'row-major') {
    out.fill(1, offset + p0, offset + p0 + len);
    return;
  }
  // Column-major pixel p lies at column floor(p/H), row p mod H; walk down columns with stride W.
  let x = Math.floor(p0 / height);
  let y = p0 - x * height;
  let left = len;
  while (left > 0) {
    const take = Math.min(left, height - y);
    for (let k = 0, i = offset + y * width + x; k < take; k++, i += width) out[i] = 1;
    left -= take;
    x++;
    y = 0;
  }
}
