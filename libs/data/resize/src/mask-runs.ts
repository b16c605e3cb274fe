/**
 * Full-size masks kept compactly beside a resized training set: each mask as its row-major
 * foreground runs (start, length), pixel p = y·W + x, all images' runs in one array. A 1918×1280
 * car silhouette is a few thousand runs (tens of kB) instead of 2.4 MB of 0/1 bytes.
 */

export interface MaskRuns {
  /** Image i's runs are the pairs runs[2k], runs[2k + 1] for k in offsets[i] … offsets[i + 1] − 1. */
  offsets: Uint32Array;
  runs: Uint32Array;
}

/** Row-major (start, length) pairs of one mask's non-zero pixels, appended to `into`. */
export function appendMaskRuns(mask: ArrayLike<number>, into: number[]): number {
  let count = 0;
  for (let p = 0; p < mask.length; ) {
    if (mask[p] === 0) {
      p++;
      continue;
    }
    const start = p;
    while (p < mask.length && mask[p] !== 0) p++;
    into.push(start, p - start);
    count++;
  }
  return count;
}

/** Collects masks one at a time (in image order) into {@link MaskRuns}. */
export class MaskRunsBuilder {
  private readonly pairs: number[] = [];
  private readonly offsets: number[] = [0];

  add(mask: ArrayLike<number>): void {
    const before = this.pairs.length / 2;
    this.offsets.push(before + appendMaskRuns(mask, this.pairs));
  }

  build(): MaskRuns {
    return { offsets: Uint32Array.from(this.offsets), runs: Uint32Array.from(this.pairs) };
  }
}

/** Image i's mask as 0/1 into `out` (its own pixel count long), which is cleared first; returns its area. */
export function unpackMaskRuns(masks: MaskRuns, i: number, out: Uint8Array): number {
  if (!Number.isInteger(i) || i < 0 || i + 1 >= masks.offsets.length) throw new Error(`unpackMaskRuns: image ${i} is outside the ${masks.offsets.length - 1} masks`);
  out.fill(0);
  let area = 0;
  for (let k = masks.offsets[i]; k < masks.offsets[i + 1]; k++) {
    const start = masks.runs[2 * k];
    const length = masks.runs[2 * k + 1];
    if (start + length > out.length) throw new Error(`unpackMaskRuns: image ${i} has a run past its ${out.length} pixels`);
    out.fill(1, start, start + length);
    area += length;
  }
  return area;
}

/** Bytes the runs take (offsets and pairs, 4 bytes each). */
export function maskRunsBytes(masks: MaskRuns): number {
  return masks.offsets.byteLength + masks.runs.byteLength;
}
