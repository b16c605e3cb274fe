import {
  bestThresholdFromStats,
  coverageBreakdownFromStats,
  CoverageBin,
  EmptyConfusion,
  emptyConfusion,
  emptyConfusionFromStats,
  logit,
  meanScoreFromStats,
  MetricName,
  perImageScoresFromStats,
  scoresByCoverage,
  sigmoid,
  StatsOptions,
  thresholdStats,
  ThresholdStats,
} from '@segkit/metrics';
import { bestTriplet, tripletMeanScores, tripletPerImage } from './triplet';
import { bestGate, gateMeanScores, gatePerImage, GateRow, gateTable } from './gate';

/**
 * The OOF statistics at some logit thresholds: thresholdStats of the logits against the truths, or
 * another way to the same numbers (fullSizeThresholdStats scores resized logits at full size).
 */
export type OofStats = (logits: Float32Array, logitThresholds: number[]) => ThresholdStats;

/** n evenly spaced values from a to b inclusive (numpy.linspace). */
export function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

export interface TuneOptions {
  probFrom: number;
  probTo: number;
  probSteps: number;
  refineSteps: number;
  minAreas: number[];
  /**
   * Candidate top thresholds (probabilities) of the threshold triplet (see triplet.ts); empty: the
   * usual (threshold, min area) rule only, i.e. top = bottom.
   */
  topProbs?: number[];
  /** The empty-mask gate: the OOF images' gate logits, in the order of the OOF logits (see gate.ts). Absent: no gate. */
  gate?: ArrayLike<number>;
  /** The gate's candidate thresholds (probabilities, `tune.gateProbs`), searched when `gate` is given. */
  gateProbs?: number[];
}

/**
 * What the OOF predictions are scored with: the competition's metric (the layout's, or the
 * config's `tune.metric`) and what it needs — the image width and, for an object metric, the true
 * objects when they are given as rows rather than found as the truth masks' components.
 */
export type TuneScoring = StatsOptions & { metric: MetricName };

export interface ThresholdPoint {
  probThreshold: number;
  logitThreshold: number;
  score: number;
}

export interface TuneResult {
  /** The metric every score here is in. */
  metric: MetricName;
  logitThreshold: number;
  probThreshold: number;
  minArea: number;
  /** OOF score at the chosen threshold and minimum area. */
  score: number;
  /** OOF score at logit 0 (p = 0.5) without a minimum area, for comparison. */
  scoreAtZero: number;
  /** Every threshold evaluated (coarse grid and fine search), at the chosen minimum area. */
  curve: ThresholdPoint[];
  /** OOF score for each candidate minimum area at the chosen threshold. */
  minAreaCurve: { minArea: number; score: number }[];
  coverageBins: CoverageBin[];
  confusion: EmptyConfusion;
  /** Per-image scores at the chosen point, in OOF order. */
  perImage: Float64Array;
  /**
   * The triplet's top threshold, present only when it differs from `logitThreshold` (which is then
   * the bottom threshold): an image is kept when at least max(1, minArea) of its pixels are above
   * the top threshold, and its mask is its pixels above the bottom one.
   */
  topLogitThreshold?: number;
  topProbThreshold?: number;
  /**
   * The empty-mask gate's threshold, present only when the gate is kept (it beat the best point
   * without it): an image whose gate logit is ≤ it is predicted empty, the others get the usual
   * (threshold, min area) rule.
   */
  gateLogitThreshold?: number;
  gateProbThreshold?: number;
  /** With OOF gate logits: the best score without the gate, and each gate threshold's score and split of empty / non-empty truths at the best gated point's pixel threshold and min area. */
  scoreWithoutGate?: number;
  gateTable?: GateRow[];
}

/** Probabilities closer than this are one grid point (linspace's rounding leaves ~1e-16 differences). */
const SAME_PROB = 1e-12;

/**
 * Tunes the binarisation threshold in logit space on the full OOF predictions: the probability grid
 * linspace(probFrom, probTo, probSteps) mapped through log(p/(1−p)), every candidate minimum area,
 * then a finer grid of `refineSteps` probabilities spanning one coarse step either side of the best.
 * The untuned default, p = 0.5 (logit 0 exactly) with no minimum area, is always a candidate too, so
 * the tuned score is never below `scoreAtZero`. Ties keep the smaller minimum area, then the lower
 * threshold. Every score is `scoring.metric`'s.
 */
export function tuneThreshold(
  oofLogits: Float32Array,
  truths: Uint8Array,
  pixels: number,
  opts: TuneOptions,
  scoring: TuneScoring,
  statsOf: OofStats = (l, t) => thresholdStats(l, truths, pixels, t, scoring),
): TuneResult {
  const coarse = linspace(opts.probFrom, opts.probTo, opts.probSteps);
  const minAreas = [...new Set([0, ...opts.minAreas])].sort((a, b) => a - b);
  const coarseStats = statsOf(oofLogits, thresholdGrid(coarse).map(logit));
  const coarseBest = bestThresholdFromStats(coarseStats, minAreas);
  const pBest = sigmoid(coarseBest.logitThreshold);
  const step = opts.probSteps > 1 ? (opts.probTo - opts.probFrom) / (opts.probSteps - 1) : 0.05;
  const fine = opts.refineSteps > 1 ? linspace(Math.max(1e-4, pBest - step), Math.min(1 - 1e-4, pBest + step), opts.refineSteps) : [];
  const probs = thresholdGrid([...coarse, ...fine]);
  const stats = statsOf(oofLogits, probs.map(logit));
  const atHalf = probs.indexOf(0.5);
  const best = bestOver(stats, minAreas);
  const j = best.index;
  const curveScores = meanScoreFromStats(stats, best.minArea);
  const pair: TuneResult = {
    metric: scoring.metric,
    logitThreshold: stats.logitThresholds[j],
    probThreshold: probs[j],
    minArea: best.minArea,
    score: best.score,
    scoreAtZero: meanScoreFromStats(stats, 0)[atHalf],
    curve: probs.map((p, k) => ({ probThreshold: p, logitThreshold: stats.logitThresholds[k], score: curveScores[k] })),
    minAreaCurve: minAreas.map((a) => ({ minArea: a, score: meanScoreFromStats(stats, a)[j] })),
    coverageBins: coverageBreakdownFromStats(stats, j, best.minArea),
    confusion: emptyConfusionFromStats(stats, j, best.minArea),
    perImage: perImageScoresFromStats(stats, j, best.minArea),
  };
  const result = !opts.topProbs || opts.topProbs.length === 0 ? pair : tuneTriplet(oofLogits, probs, opts.topProbs, minAreas, pair, statsOf);
  return opts.gate ? tuneGate(stats, probs, minAreas, opts.gate, opts.gateProbs ?? [], result) : result;
}

/**
 * The empty-mask gate's search (see gate.ts): every gate threshold × the pair search's pixel
 * thresholds × min areas. The gate is kept only when its best point scores strictly higher than
 * `result` (the pair's or the triplet's); the curves then sweep the pixel threshold and the min
 * area with the gate applied. The gate table is there either way.
 */
function tuneGate(stats: ThresholdStats, probs: number[], minAreas: number[], gate: ArrayLike<number>, candidates: readonly number[], result: TuneResult): TuneResult {
  const gateProbs = [...new Set(candidates)].sort((a, b) => a - b);
  const gateLogits = gateProbs.map(logit);
  if (gateLogits.length === 0) return result;
  const best = bestGate(stats, gate, gateLogits, probs.map((_, k) => k), minAreas);
  const { thresholdIndex: j, minArea } = best;
  const table = gateTable(stats, gate, gateProbs, gateLogits, j, minArea);
  if (!(best.score > result.score)) return { ...result, scoreWithoutGate: result.score, gateTable: table };
  const gamma = gateLogits[best.gateIndex];
  const { scores, predEmpty } = gatePerImage(stats, gate, gamma, j, minArea);
  const confusion = emptyConfusion(stats.truthArea, (i) => predEmpty[i] === 1);
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { topLogitThreshold, topProbThreshold, ...rest } = result;
  return {
    ...rest,
    logitThreshold: stats.logitThresholds[j],
    probThreshold: probs[j],
    minArea,
    score: best.score,
    curve: probs.map((p, k) => ({ probThreshold: p, logitThreshold: stats.logitThresholds[k], score: gateMeanScores(stats, gate, [gamma], k, minArea)[0] })),
    minAreaCurve: minAreas.map((a) => ({ minArea: a, score: gateMeanScores(stats, gate, [gamma], j, a)[0] })),
    coverageBins: scoresByCoverage(scores, stats.truthArea, stats.imagePixels ?? stats.pixels),
    confusion,
    perImage: scores,
    gateLogitThreshold: gamma,
    gateProbThreshold: gateProbs[best.gateIndex],
    scoreWithoutGate: result.score,
    gateTable: table,
  };
}

/**
 * The threshold triplet's search (see triplet.ts): bottom thresholds over the pair search's
 * candidates, top thresholds over those and `topProbs`, every min area. The pair's point stands
 * unless a triplet with top ≠ bottom scores strictly higher; the curves then sweep the bottom
 * threshold and the min area around the chosen triplet.
 */
function tuneTriplet(oofLogits: Float32Array, candidates: number[], topProbs: number[], minAreas: number[], pair: TuneResult, statsOf: OofStats): TuneResult {
  const probs = thresholdGrid([...candidates, ...topProbs]);
  const stats = statsOf(oofLogits, probs.map(logit));
  const index = (p: number) => probs.findIndex((q) => Math.abs(q - p) <= SAME_PROB);
  const t = bestTriplet(stats, probs.map((_, k) => k), candidates.map(index), minAreas);
  if (t.topIndex === t.bottomIndex || !(t.score > pair.score)) return pair;
  const { scores, predEmpty } = tripletPerImage(stats, t.topIndex, t.bottomIndex, t.minArea);
  const curveScores = tripletMeanScores(stats, t.topIndex, t.minArea);
  const confusion = emptyConfusion(stats.truthArea, (i) => predEmpty[i] === 1);
  return {
    ...pair,
    logitThreshold: stats.logitThresholds[t.bottomIndex],
    probThreshold: probs[t.bottomIndex],
    minArea: t.minArea,
    score: t.score,
    curve: probs.map((p, k) => ({ probThreshold: p, logitThreshold: stats.logitThresholds[k], score: curveScores[k] })),
    minAreaCurve: minAreas.map((a) => ({ minArea: a, score: tripletMeanScores(stats, t.topIndex, a)[t.bottomIndex] })),
    coverageBins: scoresByCoverage(scores, stats.truthArea, stats.imagePixels ?? stats.pixels),
    confusion,
    perImage: scores,
    topLogitThreshold: stats.logitThresholds[t.topIndex],
    topProbThreshold: probs[t.topIndex],
  };
}

/**
 * The sorted probabilities to evaluate: `values` plus p = 0.5, without near-duplicates (closer than
 * SAME_PROB). A value that near 0.5 becomes 0.5 itself, so the grid always holds p = 0.5 exactly
 * (logit 0, the untuned default) whatever rounding put beside it — e.g. a fine grid ending at
 * 0.4867 + 0.01333 = 0.49999999999999994.
 */
export function thresholdGrid(values: readonly number[]): number[] {
  const sorted = [...values.map((v) => (Math.abs(v - 0.5) <= SAME_PROB ? 0.5 : v)), 0.5].sort((a, b) => a - b);
  // Every value other than 0.5 is now more than SAME_PROB away from it, so 0.5 always survives.
  return sorted.filter((v, i) => i === 0 || v - sorted[i - 1] > SAME_PROB);
}

/** The best (threshold, minArea) over the whole grid; ties keep the smaller minimum area, then the lower threshold. */
function bestOver(stats: ThresholdStats, minAreas: number[]): { index: number; minArea: number; score: number } {
  let best = { index: -1, minArea: 0, score: -Infinity };
  for (const a of minAreas) {
    const scores = meanScoreFromStats(stats, a);
    for (let k = 0; k < scores.length; k++) if (scores[k] > best.score) best = { index: k, minArea: a, score: scores[k] };
  }
  return best;
}
