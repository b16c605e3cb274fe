/**
 * The threshold triplet (SIIM-ACR 1st place): a top threshold decides whether an image has an
 * object at all, a minimum area applies to the pixels above the top threshold, and a bottom
 * threshold draws the mask of the images kept:
 *   kept(i) ⇔ |{p : logit_p > top}| ≥ max(1, minArea),   mask(i) = kept(i) ? {p : logit_p > bottom} : ∅.
 * With top = bottom this is the usual (threshold, min area) rule: a mask of fewer than minArea
 * pixels becomes empty. Everything here reads only the statistics of @segkit/metrics' thresholdStats
 * (the predicted area at every threshold and each image's score there), so the search over
 * (top, min area, bottom) never touches the pixels again.
 */
import { perImageScoresFromStats, ThresholdStats } from '@segkit/metrics';

/** A point of the triplet search: indices into the statistics' thresholds. */
export interface TripletPoint {
  topIndex: number;
  bottomIndex: number;
  minArea: number;
  /** Mean score (stats.metric) over the images at this point. */
  score: number;
}

/** Whether image i is kept at the top threshold `topIndex`: at least max(1, minArea) pixels above it. */
function kept(stats: ThresholdStats, i: number, topIndex: number, minArea: number): boolean {
  return stats.predArea[i * stats.logitThresholds.length + topIndex] >= Math.max(1, minArea);
}

/** Per-image scores of predicting an empty mask: every prediction erased by a min area above the image. */
export function emptyScores(stats: ThresholdStats): Float64Array {
  const largest = stats.imagePixels ? stats.imagePixels.reduce((a, b) => Math.max(a, b), 0) : stats.pixels;
  return perImageScoresFromStats(stats, 0, largest + 1);
}

/** Per-image scores and the empty/non-empty decision at one triplet. */
export function tripletPerImage(stats: ThresholdStats, topIndex: number, bottomIndex: number, minArea: number): { scores: Float64Array; predEmpty: Uint8Array } {
  const atBottom = perImageScoresFromStats(stats, bottomIndex, 0);
  const empty = emptyScores(stats);
  const T = stats.logitThresholds.length;
  const scores = new Float64Array(stats.n);
  const predEmpty = new Uint8Array(stats.n);
  for (let i = 0; i < stats.n; i++) {
    const keep = kept(stats, i, topIndex, minArea);
    scores[i] = keep ? atBottom[i] : empty[i];
    predEmpty[i] = keep && stats.predArea[i * T + bottomIndex] > 0 ? 0 : 1;
  }
  return { scores, predEmpty };
}

/** Mean score of every bottom threshold (index j ↔ stats.logitThresholds[j]) at a fixed top threshold and min area. */
export function tripletMeanScores(stats: ThresholdStats, topIndex: number, minArea: number, atBottom: readonly Float64Array[] = scoresByThreshold(stats), empty = emptyScores(stats)): Float64Array {
  const T = stats.logitThresholds.length;
  const out = new Float64Array(T);
  if (stats.n === 0) return out.fill(NaN);
  let base = 0;
  for (let i = 0; i < stats.n; i++) base += empty[i];
  out.fill(base);
  for (let i = 0; i < stats.n; i++) {
    if (!kept(stats, i, topIndex, minArea)) continue;
    for (let j = 0; j < T; j++) out[j] += atBottom[j][i] - empty[i];
  }
  for (let j = 0; j < T; j++) out[j] /= stats.n;
  return out;
}

/** Per-image scores at every threshold without a min area: row j is threshold j's. */
function scoresByThreshold(stats: ThresholdStats): Float64Array[] {
  return Array.from({ length: stats.logitThresholds.length }, (_, j) => perImageScoresFromStats(stats, j, 0));
}

/**
 * The best (top, min area, bottom) over the given threshold indices and min areas. Ties keep the
 * first in the order top = bottom before any other top, then smaller min area, lower top, lower
 * bottom, so the triplet search never replaces the usual rule's point by an equal one.
 */
export function bestTriplet(stats: ThresholdStats, topIndices: readonly number[], bottomIndices: readonly number[], minAreas: readonly number[]): TripletPoint {
  if (topIndices.length === 0 || bottomIndices.length === 0 || minAreas.length === 0) throw new Error('bestTriplet: expected at least one top, bottom and min area');
  const atBottom = scoresByThreshold(stats);
  const empty = emptyScores(stats);
  let best: TripletPoint | undefined;
  // The usual rule first (top = bottom), so an equal triplet elsewhere does not replace it.
  for (const minArea of minAreas) {
    for (const j of bottomIndices) {
      const s = tripletMeanScores(stats, j, minArea, atBottom, empty)[j];
      if (best === undefined || s > best.score) best = { topIndex: j, bottomIndex: j, minArea, score: s };
    }
  }
  for (const topIndex of topIndices) {
    for (const minArea of minAreas) {
      const scores = tripletMeanScores(stats, topIndex, minArea, atBottom, empty);
      for (const j of bottomIndices) if (scores[j] > (best as TripletPoint).score) best = { topIndex, bottomIndex: j, minArea, score: scores[j] };
    }
  }
  return best as TripletPoint;
}
