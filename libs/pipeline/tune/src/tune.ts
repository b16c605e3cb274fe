import {
  bestThresholdFromStats,
  coverageBreakdownFromStats,
  CoverageBin,
  EmptyConfusion,
  emptyConfusionFromStats,
  logit,
  meanScoreFromStats,
  perImageScoresFromStats,
  sigmoid,
  thresholdStats,
  ThresholdStats,
} from '@tgs/metrics';

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
}

export interface ThresholdPoint {
  probThreshold: number;
  logitThreshold: number;
  map: number;
}

export interface TuneResult {
  logitThreshold: number;
  probThreshold: number;
  minArea: number;
  /** OOF mAP at the chosen threshold and minimum area. */
  map: number;
  /** OOF mAP at logit 0 (p = 0.5) without a minimum area, for comparison. */
  mapAtZero: number;
  /** Every threshold evaluated (coarse grid and fine search), at the chosen minimum area. */
  curve: ThresholdPoint[];
  /** OOF mAP for each candidate minimum area at the chosen threshold. */
  minAreaCurve: { minArea: number; map: number }[];
  coverageBins: CoverageBin[];
  confusion: EmptyConfusion;
  /** Per-image TGS scores at the chosen point, in OOF order. */
  perImage: Float64Array;
}

/**
 * Tunes the binarisation threshold in logit space on the full OOF predictions: the probability grid
 * linspace(probFrom, probTo, probSteps) mapped through log(p/(1−p)), every candidate minimum area,
 * then a finer grid of `refineSteps` probabilities spanning one coarse step either side of the best.
 * Ties keep the smaller minimum area, then the lower threshold.
 */
export function tuneThreshold(oofLogits: Float32Array, truths: Uint8Array, pixels: number, opts: TuneOptions): TuneResult {
  const coarse = linspace(opts.probFrom, opts.probTo, opts.probSteps);
  const minAreas = [...new Set(opts.minAreas)].sort((a, b) => a - b);
  const coarseStats = thresholdStats(oofLogits, truths, pixels, coarse.map(logit));
  const coarseBest = bestThresholdFromStats(coarseStats, minAreas);
  const pBest = sigmoid(coarseBest.logitThreshold);
  const step = opts.probSteps > 1 ? (opts.probTo - opts.probFrom) / (opts.probSteps - 1) : 0.05;
  const fine = opts.refineSteps > 1 ? linspace(Math.max(1e-4, pBest - step), Math.min(1 - 1e-4, pBest + step), opts.refineSteps) : [];
  const probs = uniqueSorted([...coarse, ...fine, 0.5]);
  const stats = thresholdStats(oofLogits, truths, pixels, probs.map(logit));
  // Best over the coarse grid and the fine search (0.5 is only there for mapAtZero).
  const candidates = uniqueSorted([...coarse, ...fine]);
  const best = bestOver(stats, probs, candidates, minAreas);
  const j = best.index;
  const curveScores = meanScoreFromStats(stats, best.minArea);
  return {
    logitThreshold: stats.logitThresholds[j],
    probThreshold: probs[j],
    minArea: best.minArea,
    map: best.map,
    mapAtZero: meanScoreFromStats(stats, 0)[probs.indexOf(0.5)],
    curve: probs.map((p, k) => ({ probThreshold: p, logitThreshold: stats.logitThresholds[k], map: curveScores[k] })),
    minAreaCurve: minAreas.map((a) => ({ minArea: a, map: meanScoreFromStats(stats, a)[j] })),
    coverageBins: coverageBreakdownFromStats(stats, j, best.minArea),
    confusion: emptyConfusionFromStats(stats, j, best.minArea),
    perImage: perImageScoresFromStats(stats, j, best.minArea),
  };
}

function uniqueSorted(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.filter((v, i) => i === 0 || v - sorted[i - 1] > 1e-12);
}

function bestOver(stats: ThresholdStats, probs: number[], candidates: number[], minAreas: number[]): { index: number; minArea: number; map: number } {
  const allowed = new Set(candidates.map((p) => probs.findIndex((q) => Math.abs(q - p) <= 1e-12)));
  let best = { index: -1, minArea: 0, map: -Infinity };
  for (const a of minAreas) {
    const scores = meanScoreFromStats(stats, a);
    for (let k = 0; k < scores.length; k++) if (allowed.has(k) && scores[k] > best.map) best = { index: k, minArea: a, map: scores[k] };
  }
  return best;
}
