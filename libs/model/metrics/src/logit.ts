/**
 * The one sigmoid / logit pair of the project. Models output raw logits and thresholds are tuned
 * in logit space; ensembles may average probabilities and the report shows both scales, so every
 * conversion between the two goes through these two functions.
 */

/** The clamp of {@link logit}: probabilities are held in [ε, 1 − ε], so |logit(p)| ≤ log((1 − ε)/ε) ≈ 16.1. */
export const LOGIT_EPS = 1e-7;

/** The logistic function, logit's inverse: p = σ(x) = 1 / (1 + e^(−x)). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The log-odds of a probability, σ's inverse: x = logit(p) = log(p / (1 − p)), with p clamped to
 * [ε, 1 − ε] (ε = {@link LOGIT_EPS}) so that 0 and 1 (a mean of saturated probabilities) map to
 * finite logits. NaN has no log-odds and is a RangeError.
 */
export function logit(p: number): number {
  if (Number.isNaN(p)) throw new RangeError('logit: the probability is NaN');
  const q = Math.min(1 - LOGIT_EPS, Math.max(LOGIT_EPS, p));
  return Math.log(q / (1 - q));
}
