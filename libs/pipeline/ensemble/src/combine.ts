/**
 * Combining fold logits. Everything stays in logit space downstream, so the probability mean is
 * mapped back through the logit function.
 */
export type EnsembleMode = 'logit-mean' | 'prob-mean';

/** σ(x) = 1 / (1 + e^(−x)). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** logit(p) = log(p / (1 − p)), clamped to p ∈ [1e-7, 1 − 1e-7] so the result stays finite. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
}

/**
 * Element-wise combination of equally long fold arrays into `out`:
 * logit-mean: out = (1/F) Σ_f x_f; prob-mean: out = logit((1/F) Σ_f σ(x_f)).
 */
export function combineLogits(parts: Float32Array[], mode: EnsembleMode, out = new Float32Array(parts[0].length)): Float32Array {
  const n = out.length;
  for (const p of parts) if (p.length !== n) throw new Error(`fold arrays differ in length: ${p.length} vs ${n}`);
  const f = parts.length;
  if (mode === 'logit-mean') {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < f; k++) s += parts[k][i];
      out[i] = s / f;
    }
  } else {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < f; k++) s += sigmoid(parts[k][i]);
      out[i] = logit(s / f);
    }
  }
  return out;
}
