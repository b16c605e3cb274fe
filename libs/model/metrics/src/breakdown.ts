/**
 * Breakdowns for the out-of-fold report: where the score is lost, by how much salt the truth holds
 * (coverage class) and by the empty/non-empty decision that dominates the TGS metric (an empty image
 * scores 0 or 1, nothing in between).
 */
import type { ThresholdStats } from './threshold-stats';
import { perImageScoresFromStats } from './threshold-stats';

/** Number of coverage classes: 0 = empty, then (0,10%], (10%,20%], …, (90%,100%]. */
export const COVERAGE_CLASSES = 11;

/**
 * Coverage class of a truth mask: 0 if empty, else ⌈10 · truthArea / pixels⌉ ∈ 1…10, i.e. class c
 * holds coverages in ((c−1)·10%, c·10%]. Integer arithmetic so exact multiples of 10% fall in the
 * lower class.
 */
export function coverageClass(truthArea: number, pixels: number): number {
  if (truthArea <= 0) return 0;
  return Math.min(10, Math.ceil((10 * truthArea) / pixels));
}

/** Human label of a coverage class: "empty", "(0%, 10%]", …, "(90%, 100%]". */
export function coverageClassLabel(coverage: number): string {
  return coverage === 0 ? 'empty' : `(${(coverage - 1) * 10}%, ${coverage * 10}%]`;
}

export interface CoverageBin {
  coverageClass: number;
  label: string;
  /** Images whose truth falls in this class. */
  count: number;
  /** Mean score of those images; NaN when count is 0. */
  meanScore: number;
}

/**
 * Mean of per-image scores grouped by the coverage class of each image's truth (always 11 bins);
 * `pixels` is every image's pixel count, or each image's own (images of different sizes).
 */
export function scoresByCoverage(perImage: ArrayLike<number>, truthArea: ArrayLike<number>, pixels: number | ArrayLike<number>): CoverageBin[] {
  if (perImage.length !== truthArea.length) {
    throw new Error(`perImage: length ${perImage.length} differs from truthArea length ${truthArea.length}`);
  }
  const sums = new Float64Array(COVERAGE_CLASSES);
  const counts = new Int32Array(COVERAGE_CLASSES);
  for (let i = 0; i < perImage.length; i++) {
    const c = coverageClass(truthArea[i], typeof pixels === 'number' ? pixels : pixels[i]);
    sums[c] += perImage[i];
    counts[c]++;
  }
  return Array.from({ length: COVERAGE_CLASSES }, (_, c) => ({
    coverageClass: c,
    label: coverageClassLabel(c),
    count: counts[c],
    meanScore: counts[c] === 0 ? NaN : sums[c] / counts[c],
  }));
}

/** Coverage breakdown at one threshold of a ThresholdStats (minArea applied as in meanScoreFromStats). */
export function coverageBreakdownFromStats(stats: ThresholdStats, thresholdIndex: number, minArea = 0): CoverageBin[] {
  return scoresByCoverage(perImageScoresFromStats(stats, thresholdIndex, minArea), stats.truthArea, stats.imagePixels ?? stats.pixels);
}

/** Counts of the empty/non-empty decision; "positive" = the image contains salt. */
export interface EmptyConfusion {
  /** Truth empty, prediction empty: scores 1. */
  truthEmptyPredEmpty: number;
  /** Truth empty, prediction not empty: a false positive, scores 0. */
  truthEmptyPredNonEmpty: number;
  /** Truth not empty, prediction empty: a missed mask, scores 0. */
  truthNonEmptyPredEmpty: number;
  /** Both non-empty: scored by IoU. */
  truthNonEmptyPredNonEmpty: number;
}

/** Empty/non-empty confusion at one threshold; predictions smaller than minArea count as empty. */
export function emptyConfusionFromStats(stats: ThresholdStats, thresholdIndex: number, minArea = 0): EmptyConfusion {
  const T = stats.logitThresholds.length;
  if (!Number.isInteger(thresholdIndex) || thresholdIndex < 0 || thresholdIndex >= T) {
    throw new Error(`thresholdIndex: expected an integer in [0, ${T - 1}], got ${thresholdIndex}`);
  }
  return emptyConfusion(stats.truthArea, (i) => {
    const pred = stats.predArea[i * T + thresholdIndex];
    return pred === 0 || pred < minArea;
  });
}

/** Empty/non-empty confusion of any decision rule: `predEmpty(i)` says whether image i is predicted empty. */
export function emptyConfusion(truthArea: ArrayLike<number>, predEmpty: (i: number) => boolean): EmptyConfusion {
  const out: EmptyConfusion = { truthEmptyPredEmpty: 0, truthEmptyPredNonEmpty: 0, truthNonEmptyPredEmpty: 0, truthNonEmptyPredNonEmpty: 0 };
  for (let i = 0; i < truthArea.length; i++) {
    const empty = predEmpty(i);
    if (truthArea[i] === 0) out[empty ? 'truthEmptyPredEmpty' : 'truthEmptyPredNonEmpty']++;
    else out[empty ? 'truthNonEmptyPredEmpty' : 'truthNonEmptyPredNonEmpty']++;
  }
  return out;
}
