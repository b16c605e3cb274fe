/**
 * Checks that a trained ensemble learned something, from its OOF predictions: a model whose
 * training diverged without ever producing a NaN (a huge learning rate gives a loss of 1e11 and
 * finite weights) predicts the same mask whatever the image, and its tuned score can fall below
 * what an empty submission scores.
 */
export interface HealthWarning {
  kind: 'collapsed' | 'below-baseline' | 'at-baseline';
  /** The fold concerned, for per-fold checks. */
  fold?: number;
  /** True when the warning makes the submission worthless (the run fails unless allowed). */
  fatal: boolean;
  message: string;
}

export interface HealthInput {
  /** OOF logits, N·H·W, in train-id order. */
  oofLogits: Float32Array;
  pixels: number;
  /** Each image's fold (its OOF prediction comes from the model that did not train on it). */
  foldOf: ArrayLike<number | undefined>;
  k: number;
  tunedScore: number;
  allEmptyBaseline: number;
  /** The metric's short name for the messages (`mAP`, `Dice`, `F2`). */
  metricLabel: string;
}

/**
 * The first image of `images` (indices) whose mask at logit 0 differs from the first image's, or
 * -1 when every image gets the same binary mask: predictions collapsed to a constant.
 */
export function firstDifferentMask(logits: Float32Array, pixels: number, images: number[]): number {
  if (images.length < 2) return -1;
  const ref = images[0] * pixels;
  for (let k = 1; k < images.length; k++) {
    const off = images[k] * pixels;
    for (let p = 0; p < pixels; p++) if (logits[off + p] > 0 !== logits[ref + p] > 0) return images[k];
  }
  return -1;
}

function positiveCount(logits: Float32Array, offset: number, pixels: number): number {
  let n = 0;
  for (let p = 0; p < pixels; p++) if (logits[offset + p] > 0) n++;
  return n;
}

/**
 * Warnings about the run: a fold whose validation masks at p = 0.5 are one and the same mask for
 * every image (fatal when every fold collapsed: the ensemble then ignores its input), and a tuned
 * OOF score below the all-empty baseline (fatal: the submission scores worse than an empty one) or
 * equal to it (the submission is no better than an empty one).
 */
export function assessHealth(input: HealthInput): HealthWarning[] {
  const { oofLogits, pixels, foldOf, k, tunedScore, allEmptyBaseline, metricLabel } = input;
  const warnings: HealthWarning[] = [];
  let collapsed = 0;
  for (let fold = 0; fold < k; fold++) {
    const images: number[] = [];
    for (let i = 0; i < foldOf.length; i++) if (foldOf[i] === fold) images.push(i);
    if (images.length < 2 || firstDifferentMask(oofLogits, pixels, images) !== -1) continue;
    collapsed++;
    const area = positiveCount(oofLogits, images[0] * pixels, pixels);
    const what = area === 0 ? 'empty' : area === pixels ? 'full' : `the same ${area}-pixel mask`;
    warnings.push({
      kind: 'collapsed',
      fold,
      fatal: false,
      message:
        `fold ${fold}: the validation predictions collapsed to a constant (all ${images.length} masks at p = 0.5 are ${what}): ` +
        'the model ignores its input; training diverged (lower the learning rate) or is far too short',
    });
  }
  if (collapsed === k && k > 0) for (const w of warnings) w.fatal = true;
  const gap = tunedScore - allEmptyBaseline;
  if (gap < -1e-9) {
    warnings.push({
      kind: 'below-baseline',
      fatal: true,
      message: `the tuned OOF ${metricLabel} ${tunedScore.toFixed(4)} is below the all-empty baseline ${allEmptyBaseline.toFixed(4)}: this submission scores worse than predicting no masks at all`,
    });
  } else if (Math.abs(gap) <= 1e-9) {
    warnings.push({
      kind: 'at-baseline',
      fatal: false,
      message: `the tuned OOF ${metricLabel} ${tunedScore.toFixed(4)} equals the all-empty baseline: the submission is no better than predicting no masks at all`,
    });
  }
  return warnings;
}
