import { bestThresholdFromStats, type StatsOptions, thresholdStats } from '@segkit/metrics';

/**
 * Weighted mean of the members' logits, element by element: out = Σ_m w_m·x_m / Σ_m w_m. Logit
 * space, like the fold ensemble (a member's logits are already its folds' mean).
 */
export function blendLogits(parts: Float32Array[], weights: readonly number[], out = new Float32Array(parts[0]?.length ?? 0)): Float32Array {
  if (parts.length === 0 || parts.length !== weights.length) throw new Error(`blendLogits: ${parts.length} members, ${weights.length} weights`);
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) throw new Error(`blendLogits: weights must be non-negative and not all zero, got ${JSON.stringify(weights)}`);
  for (const p of parts) if (p.length !== out.length) throw new Error(`blendLogits: member arrays differ in length (${p.length} vs ${out.length})`);
  const total = weights.reduce((a, b) => a + b, 0);
  const w = weights.map((x) => x / total);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let m = 0; m < parts.length; m++) s += w[m] * parts[m][i];
    out[i] = s;
  }
  return out;
}

/** Every weight vector of `members` non-negative multiples of 1/steps summing to 1 (the simplex grid), in lexicographic order. */
export function simplexGrid(members: number, steps: number): number[][] {
  if (!Number.isInteger(members) || members < 1 || !Number.isInteger(steps) || steps < 1) throw new Error(`simplexGrid: bad arguments ${members}, ${steps}`);
  const out: number[][] = [];
  const rec = (prefix: number[], left: number) => {
    if (prefix.length === members - 1) {
      out.push([...prefix, left].map((k) => k / steps));
      return;
    }
    for (let k = 0; k <= left; k++) rec([...prefix, k], left - k);
  };
  rec([], steps);
  return out;
}

/** Number of points of {@link simplexGrid}: C(steps + members − 1, members − 1). */
export function simplexGridSize(members: number, steps: number): number {
  let c = 1;
  for (let i = 1; i < members; i++) c = (c * (steps + i)) / i;
  return Math.round(c);
}

export interface WeightSearchOptions {
  /** Logit thresholds each candidate blend is scored at (its best one counts). */
  logitThresholds: number[];
  minAreas: number[];
  /** The metric scored (default the TGS mAP) and what it needs, as thresholdStats takes them. */
  scoring?: StatsOptions;
  /** Grid resolution: weights in multiples of 1/steps (fewer steps when the grid would exceed maxCandidates). */
  steps?: number;
  maxCandidates?: number;
  onCandidate?: (done: number, total: number) => void;
}

/**
 * Blend weights tuned on the OOF logits: every point of the simplex grid is scored by its OOF
 * score (opts.scoring's metric) at the best of the given thresholds and minimum areas (one thresholdStats pass per point);
 * ties keep the earlier point, so equal members get equal weights only when that is best.
 */
export function tuneBlendWeights(
  oofs: Float32Array[],
  truths: Uint8Array,
  pixels: number,
  opts: WeightSearchOptions,
): { weights: number[]; score: number; candidates: number } {
  let steps = opts.steps ?? 10;
  const max = opts.maxCandidates ?? 300;
  while (steps > 1 && simplexGridSize(oofs.length, steps) > max) steps--;
  const grid = simplexGrid(oofs.length, steps);
  const buf = new Float32Array(oofs[0].length);
  let best = { weights: grid[0], score: -Infinity };
  grid.forEach((w, k) => {
    const stats = thresholdStats(blendLogits(oofs, w, buf), truths, pixels, opts.logitThresholds, opts.scoring);
    const score = bestThresholdFromStats(stats, opts.minAreas).score;
    if (score > best.score) best = { weights: w, score };
    opts.onCandidate?.(k + 1, grid.length);
  });
  return { ...best, candidates: grid.length };
}
