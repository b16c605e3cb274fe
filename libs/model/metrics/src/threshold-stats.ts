/**
 * "Statistics first, reduction second": one pass over the out-of-fold logits collects, per image and
 * per candidate logit threshold, the predicted area and the intersection with the truth. Every
 * reduction (mean score per threshold, any minimum-area rule, per-image scores, coverage bins,
 * empty/non-empty confusion) then reads only these n×T integers, so a threshold × minArea sweep
 * never touches the pixels again.
 */
import { checkLayout, tgsImageScore } from './tgs-score';

export interface ThresholdStats {
  /** Number of images. */
  n: number;
  /** Pixels per image (101·101 for TGS). */
  pixels: number;
  /** The candidate thresholds, strictly increasing; a pixel is foreground at threshold t iff logit > t. */
  logitThresholds: Float64Array;
  /** Truth foreground pixels per image, length n. */
  truthArea: Int32Array;
  /** Predicted foreground pixels, row-major n×T: predArea[i·T + j] for image i at logitThresholds[j]. */
  predArea: Int32Array;
  /** |prediction ∩ truth|, n×T like predArea. */
  intersection: Int32Array;
}

/**
 * Per-image predicted area and intersection at every threshold, in O(P + n·T) for evenly spaced
 * thresholds (O(P·log T) at worst): each pixel's logit is ranked among the sorted thresholds
 * (rank r = number of thresholds strictly below the logit, so it is foreground exactly at
 * thresholds 0…r−1; see rankFinder) and counted
 * into a per-image histogram of ranks; a suffix sum over ranks then gives the areas at every threshold.
 * NaN logits are never foreground (NaN > t is false).
 */
export function thresholdStats(
  logits: Float32Array,
  truths: Uint8Array,
  pixels: number,
  logitThresholds: ArrayLike<number>,
): ThresholdStats {
  checkLayout(logits.length, truths.length, pixels, 'logits');
  const thresholds = Float64Array.from(logitThresholds);
  const T = thresholds.length;
  if (T === 0) throw new Error('logitThresholds: expected at least one threshold');
  for (let j = 0; j < T; j++) {
    if (Number.isNaN(thresholds[j])) throw new Error(`logitThresholds[${j}]: NaN`);
    if (j > 0 && !(thresholds[j] > thresholds[j - 1])) {
      throw new Error(`logitThresholds[${j}]: thresholds must be strictly increasing (${thresholds[j - 1]} then ${thresholds[j]})`);
    }
  }
  const n = logits.length / pixels;
  const truthArea = new Int32Array(n);
  const predArea = new Int32Array(n * T);
  const intersection = new Int32Array(n * T);
  const rankOf = rankFinder(thresholds);
  // one histogram per image over (rank, truth): hist[2r + 1] counts truth pixels of rank r
  const hist = new Int32Array(2 * (T + 1));

  for (let i = 0; i < n; i++) {
    hist.fill(0);
    for (let p = i * pixels, end = p + pixels; p < end; p++) {
      const v = logits[p];
      const truth = (truths[p] + 255) >> 8; // 0 → 0, 1…255 → 1, without a branch
      const r = rankOf(v);
      hist[(r << 1) | truth]++;
    }
    let tArea = 0;
    for (let r = 0; r <= T; r++) tArea += hist[(r << 1) | 1];
    truthArea[i] = tArea;
    // area at threshold j = pixels with rank > j = suffix sum of the histogram from r = j + 1
    let predSum = 0;
    let interSum = 0;
    const row = i * T;
    for (let j = T - 1; j >= 0; j--) {
      interSum += hist[((j + 1) << 1) | 1];
      predSum += hist[(j + 1) << 1] + hist[((j + 1) << 1) | 1];
      predArea[row + j] = predSum;
      intersection[row + j] = interSum;
    }
  }
  return { n, pixels, logitThresholds: thresholds, truthArea, predArea, intersection };
}

/**
 * Returns v ↦ number of thresholds strictly below v (NaN ↦ 0), for strictly increasing thresholds.
 * A uniform bucket table over [first, last] gives a starting rank that is exact or one or two steps
 * off (for evenly spaced thresholds), then a short walk fixes it — the walk in both directions makes
 * the answer exact whatever the floating-point rounding of the bucket index. Values outside the
 * range (most background pixels) return at the first comparison.
 */
export function rankFinder(thresholds: Float64Array): (v: number) => number {
  const T = thresholds.length;
  const lowest = thresholds[0];
  const highest = thresholds[T - 1];
  const { start, buckets, scale } = rankTable(thresholds);
  return (v: number): number => {
    if (!(v > lowest)) return 0; // background at every threshold (also NaN)
    if (v > highest) return T;
    const position = (v - lowest) * scale; // NaN only for an infinite threshold range: walk from the top
    let r = start[position < buckets ? position | 0 : buckets];
    while (r > 0 && thresholds[r - 1] >= v) r--;
    while (r < T && thresholds[r] < v) r++;
    return r;
  };
}

/** Bucket table of rankFinder: start[b] = number of thresholds below bucket b's lower edge. */
function rankTable(thresholds: Float64Array): { start: Int32Array; buckets: number; scale: number } {
  const T = thresholds.length;
  const lowest = thresholds[0];
  const buckets = Math.min(1 << 16, 4 * T);
  const scale = T > 1 ? buckets / (thresholds[T - 1] - lowest) : 0;
  const start = new Int32Array(buckets + 1);
  for (let b = 0, j = 0; b <= buckets; b++) {
    const edge = lowest + b / scale;
    while (j < T && thresholds[j] < edge) j++;
    start[b] = j;
  }
  return { start, buckets, scale };
}

function checkThresholdIndex(stats: ThresholdStats, thresholdIndex: number): void {
  const T = stats.logitThresholds.length;
  if (!Number.isInteger(thresholdIndex) || thresholdIndex < 0 || thresholdIndex >= T) {
    throw new Error(`thresholdIndex: expected an integer in [0, ${T - 1}], got ${thresholdIndex}`);
  }
}

function checkMinArea(minArea: number): void {
  if (!(minArea >= 0) || !Number.isFinite(minArea)) throw new Error(`minArea: expected a finite number >= 0, got ${minArea}`);
}

/**
 * TGS score of image i at threshold j after the minimum-area rule: a prediction with fewer than
 * `minArea` pixels is erased (counts as empty), the usual post-processing against speckles.
 */
function scoreAt(stats: ThresholdStats, i: number, j: number, minArea: number): number {
  const k = i * stats.logitThresholds.length + j;
  const pred = stats.predArea[k];
  return pred < minArea ? tgsImageScore(0, 0, stats.truthArea[i]) : tgsImageScore(stats.intersection[k], pred, stats.truthArea[i]);
}

/** Mean TGS score over the images at every threshold (index j ↔ stats.logitThresholds[j]). */
export function meanAPFromStats(stats: ThresholdStats, minArea = 0): Float64Array {
  checkMinArea(minArea);
  const T = stats.logitThresholds.length;
  const out = new Float64Array(T);
  if (stats.n === 0) return out.fill(NaN);
  for (let i = 0; i < stats.n; i++) for (let j = 0; j < T; j++) out[j] += scoreAt(stats, i, j, minArea);
  for (let j = 0; j < T; j++) out[j] /= stats.n;
  return out;
}

/** Per-image TGS scores at one threshold (index into stats.logitThresholds). */
export function perImageScoresFromStats(stats: ThresholdStats, thresholdIndex: number, minArea = 0): Float64Array {
  checkThresholdIndex(stats, thresholdIndex);
  checkMinArea(minArea);
  const out = new Float64Array(stats.n);
  for (let i = 0; i < stats.n; i++) out[i] = scoreAt(stats, i, thresholdIndex, minArea);
  return out;
}

/** Where the best mean score lies on a threshold × minArea grid. */
export interface BestThreshold {
  thresholdIndex: number;
  logitThreshold: number;
  minArea: number;
  meanAP: number;
}

/**
 * The (threshold, minArea) pair with the highest mean score; ties go to the first in grid order
 * (lowest minArea, then lowest threshold), so the result is deterministic.
 */
export function bestThresholdFromStats(stats: ThresholdStats, minAreas: readonly number[] = [0]): BestThreshold {
  if (minAreas.length === 0) throw new Error('minAreas: expected at least one value');
  let best: BestThreshold | undefined;
  for (const minArea of minAreas) {
    const scores = meanAPFromStats(stats, minArea);
    for (let j = 0; j < scores.length; j++) {
      if (best === undefined || scores[j] > best.meanAP) {
        best = { thresholdIndex: j, logitThreshold: stats.logitThresholds[j], minArea, meanAP: scores[j] };
      }
    }
  }
  return best as BestThreshold;
}
