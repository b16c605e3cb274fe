/**
 * "Statistics first, reduction second": one pass over the out-of-fold logits collects, per image and
 * per candidate logit threshold, the predicted area and the intersection with the truth (and, for
 * an object metric, the image's object score). Every reduction (mean score per threshold, any
 * minimum-area rule, per-image scores, coverage bins, empty/non-empty confusion) then reads only
 * these n×T numbers, so a threshold × minArea sweep never touches the pixels again. The metric
 * (see METRICS) is chosen when the statistics are collected and travels with them.
 */
import { compactTruthLabels, f2ImageScore, labelListed, objectTruePositives } from './objects';
import { emptyPredictionScore, MetricName, metricInfo } from './registry';
import { checkLayout } from './tgs-score';

export interface ThresholdStats {
  /** The metric every reduction of these statistics computes. */
  metric: MetricName;
  /** Number of images. */
  n: number;
  /** Pixels per image (101·101 for TGS). */
  pixels: number;
  /** Images of different sizes (see concatThresholdStats): each image's own pixel count, length n; `pixels` is then their mean. */
  imagePixels?: Int32Array;
  /** The candidate thresholds, strictly increasing; a pixel is foreground at threshold t iff logit > t. */
  logitThresholds: Float64Array;
  /** Truth foreground pixels per image, length n. */
  truthArea: Int32Array;
  /** Predicted foreground pixels, row-major n×T: predArea[i·T + j] for image i at logitThresholds[j]. */
  predArea: Int32Array;
  /** |prediction ∩ truth|, n×T like predArea. */
  intersection: Int32Array;
  /** Object statistics, for an object metric (f2-objects) only. */
  objects?: ObjectStats;
}

/** Per-image object statistics of an object metric. */
export interface ObjectStats {
  /** True objects per image, length n. */
  truthCount: Int32Array;
  /** Predicted objects (8-connected components of the mask) per image and threshold, n×T. */
  predCount: Int32Array;
  /** The image's object score at each threshold before any minimum-area rule, n×T. */
  score: Float64Array;
}

/** What thresholdStats scores and how (all optional for the TGS metric). */
export interface StatsOptions {
  /** The metric; default `tgs-map`. */
  metric?: MetricName;
  /** Image width, needed by object metrics to find 8-connected neighbours. */
  width?: number;
  /**
   * Object metrics: the true objects as one label per pixel (0 = background, any other integer =
   * that object, e.g. its row in the CSV), n·pixels like the truths and non-zero exactly where they
   * are. Without it the true objects are the 8-connected components of each truth mask.
   */
  truthObjects?: ArrayLike<number>;
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
  options: StatsOptions = {},
): ThresholdStats {
  checkLayout(logits.length, truths.length, pixels, 'logits');
  const metric = options.metric ?? 'tgs-map';
  const objectMetric = metricInfo(metric).areaScore === undefined;
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
  const objects = objectMetric ? new ObjectCollector(n, pixels, T, options, truths) : undefined;

  for (let i = 0; i < n; i++) {
    hist.fill(0);
    for (let p = i * pixels, end = p + pixels; p < end; p++) {
      const v = logits[p];
      const truth = (truths[p] + 255) >> 8; // 0 → 0, 1…255 → 1, without a branch
      const r = rankOf(v);
      hist[(r << 1) | truth]++;
      if (objects !== undefined && r > 0) objects.candidate(p - i * pixels, r);
    }
    objects?.image(i);
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
  return { metric, n, pixels, logitThresholds: thresholds, truthArea, predArea, intersection, ...(objects && { objects: objects.stats }) };
}

/**
 * The statistics of several image sets (or single images) at the same thresholds and metric, as
 * one set in the given order: the per-image arrays concatenated. Images of different sizes (a set
 * scored at each image's own size) keep their pixel counts in `imagePixels`.
 */
export function concatThresholdStats(parts: readonly ThresholdStats[]): ThresholdStats {
  if (parts.length === 0) throw new Error('concatThresholdStats: no statistics');
  const { metric, logitThresholds } = parts[0];
  const T = logitThresholds.length;
  for (const [k, p] of parts.entries()) {
    if (p.metric !== metric) throw new Error(`concatThresholdStats: part ${k} is ${p.metric}, part 0 ${metric}`);
    if (p.logitThresholds.length !== T || p.logitThresholds.some((t, j) => t !== logitThresholds[j])) throw new Error(`concatThresholdStats: part ${k} has other thresholds`);
    if ((p.objects === undefined) !== (parts[0].objects === undefined)) throw new Error(`concatThresholdStats: part ${k} ${p.objects ? 'has' : 'lacks'} object statistics`);
  }
  const n = parts.reduce((sum, p) => sum + p.n, 0);
  const cat = <A extends Int32Array | Float64Array>(make: (len: number) => A, pick: (p: ThresholdStats) => A, per: number): A => {
    const out = make(n * per);
    let at = 0;
    for (const p of parts) {
      out.set(pick(p), at);
      at += p.n * per;
    }
    return out;
  };
  const imagePixels = new Int32Array(n);
  let at = 0;
  for (const p of parts) for (let i = 0; i < p.n; i++) imagePixels[at++] = p.imagePixels ? p.imagePixels[i] : p.pixels;
  const uniform = imagePixels.every((v) => v === imagePixels[0]);
  const objects = parts[0].objects
    ? {
        truthCount: cat((l) => new Int32Array(l), (p) => (p.objects as ObjectStats).truthCount, 1),
        predCount: cat((l) => new Int32Array(l), (p) => (p.objects as ObjectStats).predCount, T),
        score: cat((l) => new Float64Array(l), (p) => (p.objects as ObjectStats).score, T),
      }
    : undefined;
  return {
    metric,
    n,
    pixels: uniform ? imagePixels[0] : imagePixels.reduce((a, b) => a + b, 0) / n,
    ...(uniform ? {} : { imagePixels }),
    logitThresholds: Float64Array.from(logitThresholds),
    truthArea: cat((l) => new Int32Array(l), (p) => p.truthArea, 1),
    predArea: cat((l) => new Int32Array(l), (p) => p.predArea, T),
    intersection: cat((l) => new Int32Array(l), (p) => p.intersection, T),
    ...(objects && { objects }),
  };
}

/**
 * Collects the object statistics image by image: the pixels foreground at the lowest threshold
 * (with their rank) are gathered during the rank pass; then, for thresholds from low to high,
 * the list shrinks to the pixels still foreground, its 8-connected components are labelled and
 * matched against the true objects. O(foreground pixels · T) per image, background never revisited.
 */
class ObjectCollector {
  readonly stats: ObjectStats;
  private readonly width: number;
  private readonly rank: Int32Array;
  private readonly listed: Int32Array;
  private count = 0;
  private readonly kept: Int32Array;
  private readonly parent: Int32Array;
  private readonly labels: Int32Array;
  private readonly truthLabels: Int32Array;
  private readonly tp = new Int32Array(10);

  constructor(
    n: number,
    private readonly pixels: number,
    private readonly T: number,
    private readonly options: StatsOptions,
    private readonly truths: Uint8Array,
  ) {
    const width = options.width;
    if (width === undefined || !Number.isInteger(width) || width <= 0 || pixels % width !== 0) {
      throw new Error(`width: the ${options.metric} metric needs the image width (a divisor of ${pixels} pixels), got ${width}`);
    }
    if (options.truthObjects !== undefined && options.truthObjects.length !== truths.length) {
      throw new Error(`truthObjects: length ${options.truthObjects.length} differs from truths length ${truths.length}`);
    }
    this.width = width;
    this.stats = { truthCount: new Int32Array(n), predCount: new Int32Array(n * T), score: new Float64Array(n * T) };
    this.rank = new Int32Array(pixels);
    this.listed = new Int32Array(pixels);
    this.kept = new Int32Array(pixels);
    this.parent = new Int32Array(pixels);
    this.labels = new Int32Array(pixels);
    this.truthLabels = new Int32Array(pixels);
  }

  /** Pixel p (within the image) is foreground at thresholds 0…r−1; calls come in raster order. */
  candidate(p: number, r: number): void {
    this.rank[p] = r;
    this.listed[this.count++] = p;
  }

  /** Scores image i at every threshold from the candidates gathered for it. */
  image(i: number): void {
    const { pixels, T, width, rank, listed, parent, labels, tp } = this;
    const offset = i * pixels;
    const truth = this.truthObjectsOf(i, offset);
    this.stats.truthCount[i] = truth.nTruth;
    const row = i * T;
    const work = this.kept;
    work.set(listed.subarray(0, this.count));
    let kept = this.count;
    for (let j = 0; j < T; j++) {
      // keep the pixels still foreground at threshold j (rank > j), in raster order
      let still = 0;
      for (let k = 0; k < kept; k++) if (rank[work[k]] > j) work[still++] = work[k];
      kept = still;
      const isForeground = (p: number): boolean => rank[p] > j;
      const nPred = kept === 0 ? 0 : labelListed(work, kept, width, isForeground, parent, labels);
      const predAreas = new Int32Array(nPred + 1);
      for (let k = 0; k < kept; k++) predAreas[labels[work[k]]]++;
      objectTruePositives(work, kept, labels, predAreas, this.truthLabels, 0, truth.areas, truth.nTruth, tp);
      this.stats.predCount[row + j] = nPred;
      this.stats.score[row + j] = f2ImageScore(tp, nPred, truth.nTruth);
    }
    // every gathered pixel back to background for the next image
    for (let k = 0; k < this.count; k++) rank[listed[k]] = 0;
    this.count = 0;
  }

  /** Image i's true objects, compacted into truthLabels: the given labels, or the truth mask's components. */
  private truthObjectsOf(i: number, offset: number): { nTruth: number; areas: Int32Array } {
    const { pixels, truths, truthLabels } = this;
    const given = this.options.truthObjects;
    if (given !== undefined) {
      for (let p = 0; p < pixels; p++) {
        if ((given[offset + p] !== 0) !== (truths[offset + p] !== 0)) {
          throw new Error(`truthObjects: image ${i} pixel ${p} is ${given[offset + p] !== 0 ? 'an object' : 'background'} but the truth mask says otherwise`);
        }
      }
      return compactTruthLabels(given, offset, pixels, truthLabels);
    }
    const fg: number[] = [];
    truthLabels.fill(0);
    for (let p = 0; p < pixels; p++) if (truths[offset + p] !== 0) fg.push(p);
    const nTruth = labelListed(fg, fg.length, this.width, (p) => truths[offset + p] !== 0, this.parent, truthLabels);
    const areas = new Int32Array(nTruth + 1);
    for (const p of fg) areas[truthLabels[p]]++;
    return { nTruth, areas };
  }
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
 * Score of image i at threshold j (stats.metric) after the minimum-area rule: a prediction with
 * fewer than `minArea` pixels is erased (counts as empty), the usual post-processing against
 * speckles.
 */
function scoreAt(stats: ThresholdStats, i: number, j: number, minArea: number): number {
  const k = i * stats.logitThresholds.length + j;
  const pred = stats.predArea[k];
  const areaScore = metricInfo(stats.metric).areaScore;
  if (areaScore === undefined) {
    const objects = stats.objects;
    if (objects === undefined) throw new Error(`thresholdStats: the ${stats.metric} statistics lack their object statistics`);
    return pred < minArea ? emptyPredictionScore(objects.truthCount[i] === 0) : objects.score[k];
  }
  return pred < minArea ? areaScore(0, 0, stats.truthArea[i]) : areaScore(stats.intersection[k], pred, stats.truthArea[i]);
}

/** Mean score (stats.metric) over the images at every threshold (index j ↔ stats.logitThresholds[j]). */
export function meanScoreFromStats(stats: ThresholdStats, minArea = 0): Float64Array {
  checkMinArea(minArea);
  const T = stats.logitThresholds.length;
  const out = new Float64Array(T);
  if (stats.n === 0) return out.fill(NaN);
  for (let i = 0; i < stats.n; i++) for (let j = 0; j < T; j++) out[j] += scoreAt(stats, i, j, minArea);
  for (let j = 0; j < T; j++) out[j] /= stats.n;
  return out;
}

/** Per-image scores (stats.metric) at one threshold (index into stats.logitThresholds). */
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
  /** The mean score (stats.metric) there. */
  score: number;
}

/**
 * Mean score over the images of predicting every mask empty: the share of images whose truth is
 * empty (see emptyPredictionScore), the floor a trained model must beat.
 */
export function allEmptyScoreFromStats(stats: ThresholdStats): number {
  let sum = 0;
  for (let i = 0; i < stats.n; i++) {
    const truthEmpty = stats.objects ? stats.objects.truthCount[i] === 0 : stats.truthArea[i] === 0;
    sum += emptyPredictionScore(truthEmpty);
  }
  return stats.n === 0 ? NaN : sum / stats.n;
}

/**
 * The (threshold, minArea) pair with the highest mean score; ties go to the first in grid order
 * (lowest minArea, then lowest threshold), so the result is deterministic.
 */
export function bestThresholdFromStats(stats: ThresholdStats, minAreas: readonly number[] = [0]): BestThreshold {
  if (minAreas.length === 0) throw new Error('minAreas: expected at least one value');
  let best: BestThreshold | undefined;
  for (const minArea of minAreas) {
    const scores = meanScoreFromStats(stats, minArea);
    for (let j = 0; j < scores.length; j++) {
      if (best === undefined || scores[j] > best.score) {
        best = { thresholdIndex: j, logitThreshold: stats.logitThresholds[j], minArea, score: scores[j] };
      }
    }
  }
  return best as BestThreshold;
}
