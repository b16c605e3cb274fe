/**
 * The empty-mask gate's threshold, searched jointly with the pixel threshold and the min area
 * (TGS Salt 1st place's image-level head): with gate logits g_i and a gate threshold γ,
 *   mask(i) = g_i > γ ? {p : logit_p > t} (emptied when smaller than minArea) : ∅.
 * Like the triplet search this reads only @segkit/metrics' statistics (each image's score at every
 * pixel threshold and min area, and its score when predicted empty), never the pixels.
 */
import { perImageScoresFromStats, ThresholdStats } from '@segkit/metrics';
import { emptyScores } from './triplet';

/** A point of the joint search: a gate threshold (index into the gate candidates), a pixel threshold (index into the statistics') and a min area. */
export interface GatePoint {
  gateIndex: number;
  thresholdIndex: number;
  minArea: number;
  /** Mean score (stats.metric) over the images. */
  score: number;
}

/** One gate threshold's row of the report's table: its mean score at the chosen pixel point and how it splits empty and non-empty truths. */
export interface GateRow {
  logitThreshold: number;
  probThreshold: number;
  score: number;
  /** Truth empty and gate ≤ threshold (predicted empty), truth empty and kept, and the same for truths with a mask. */
  truthEmptyGateEmpty: number;
  truthEmptyGateKept: number;
  truthNonEmptyGateEmpty: number;
  truthNonEmptyGateKept: number;
}

function checkGate(stats: ThresholdStats, gate: ArrayLike<number>): void {
  if (gate.length !== stats.n) throw new Error(`gate logits: ${gate.length} values for ${stats.n} images`);
}

/**
 * Mean score of every gate threshold at one pixel threshold and min area:
 *   score(γ) = (1/n) Σ_i (g_i > γ ? s_i : e_i),
 * s_i the image's score at (threshold, min area), e_i its score predicted empty.
 */
export function gateMeanScores(stats: ThresholdStats, gate: ArrayLike<number>, gateLogits: readonly number[], thresholdIndex: number, minArea: number, empty = emptyScores(stats)): Float64Array {
  checkGate(stats, gate);
  const kept = perImageScoresFromStats(stats, thresholdIndex, minArea);
  return Float64Array.from(gateLogits, (gamma) => {
    let sum = 0;
    for (let i = 0; i < stats.n; i++) sum += gate[i] > gamma ? kept[i] : empty[i];
    return stats.n === 0 ? NaN : sum / stats.n;
  });
}

/**
 * The best (gate threshold, pixel threshold, min area) over the candidates. Ties keep the earlier
 * min area, then pixel threshold, then the lower gate threshold (the gate that empties fewer images).
 */
export function bestGate(stats: ThresholdStats, gate: ArrayLike<number>, gateLogits: readonly number[], thresholdIndices: readonly number[], minAreas: readonly number[]): GatePoint {
  if (gateLogits.length === 0 || thresholdIndices.length === 0 || minAreas.length === 0) throw new Error('bestGate: expected at least one gate threshold, pixel threshold and min area');
  const empty = emptyScores(stats);
  let best: GatePoint | undefined;
  for (const minArea of minAreas) {
    for (const j of thresholdIndices) {
      const scores = gateMeanScores(stats, gate, gateLogits, j, minArea, empty);
      scores.forEach((s, g) => {
        if (best === undefined || s > best.score) best = { gateIndex: g, thresholdIndex: j, minArea, score: s };
      });
    }
  }
  return best as GatePoint;
}

/** Per-image scores and the empty/non-empty prediction at one gated point. */
export function gatePerImage(stats: ThresholdStats, gate: ArrayLike<number>, gateLogit: number, thresholdIndex: number, minArea: number): { scores: Float64Array; predEmpty: Uint8Array } {
  checkGate(stats, gate);
  const kept = perImageScoresFromStats(stats, thresholdIndex, minArea);
  const empty = emptyScores(stats);
  const T = stats.logitThresholds.length;
  const scores = new Float64Array(stats.n);
  const predEmpty = new Uint8Array(stats.n);
  for (let i = 0; i < stats.n; i++) {
    const open = gate[i] > gateLogit;
    const area = stats.predArea[i * T + thresholdIndex];
    scores[i] = open ? kept[i] : empty[i];
    predEmpty[i] = open && area > 0 && area >= minArea ? 0 : 1;
  }
  return { scores, predEmpty };
}

/** The report's table: for each gate threshold, the mean score at (thresholdIndex, minArea) and the gate's split of empty and non-empty truths. */
export function gateTable(stats: ThresholdStats, gate: ArrayLike<number>, gateProbs: readonly number[], gateLogits: readonly number[], thresholdIndex: number, minArea: number): GateRow[] {
  const scores = gateMeanScores(stats, gate, gateLogits, thresholdIndex, minArea);
  return gateLogits.map((gamma, g) => {
    const row: GateRow = { logitThreshold: gamma, probThreshold: gateProbs[g], score: scores[g], truthEmptyGateEmpty: 0, truthEmptyGateKept: 0, truthNonEmptyGateEmpty: 0, truthNonEmptyGateKept: 0 };
    for (let i = 0; i < stats.n; i++) {
      const open = gate[i] > gamma;
      if (stats.truthArea[i] === 0) row[open ? 'truthEmptyGateKept' : 'truthEmptyGateEmpty']++;
      else row[open ? 'truthNonEmptyGateKept' : 'truthNonEmptyGateEmpty']++;
    }
    return row;
  });
}
