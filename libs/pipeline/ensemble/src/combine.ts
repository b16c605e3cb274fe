/**
 * Combining fold logits. Everything stays in logit space downstream, so the probability mean is
 * mapped back through the logit function (the clamped pair of @segkit/metrics).
 */
import { logit, sigmoid } from '@segkit/metrics';

export type EnsembleMode = 'logit-mean' | 'prob-mean';

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
