import * as tf from '@tensorflow/tfjs';
import { rowsPerImage } from './shapes';

export interface SoftDiceOptions {
  /**
   * Additive smoothing ε in numerator and denominator (default 1). With ε = 1 an image with an empty
   * truth costs Σp / (Σp + 1): small for a few stray pixels of probability, → 1 for a confident false
   * mask, and exactly 0 for an empty prediction, instead of the 0/0 that ε → 0 would give.
   */
  smooth?: number;
}

/**
 * Soft Dice loss on raw logits (Milletari et al. 2016, "V-Net"), per image then averaged:
 *   p = σ(x);  loss_b = 1 − (2·Σ p·y + ε) / (Σ p + Σ y + ε);  loss = mean_b loss_b
 * Per image, so that small masks weigh as much as large ones, like the per-image TGS metric.
 */
export function softDice(labels: tf.Tensor, logits: tf.Tensor, opts: SoftDiceOptions = {}): tf.Scalar {
  const smooth = opts.smooth ?? 1;
  if (!(smooth >= 0) || !Number.isFinite(smooth)) throw new Error(`softDice: smooth must be a finite number >= 0, got ${smooth}`);
  return tf.tidy(() => {
    const { labels: y, logits: x } = rowsPerImage(labels, logits, 'softDice');
    const p = tf.sigmoid(x);
    const intersection = tf.sum(tf.mul(p, y), 1);
    const denominator = tf.add(tf.sum(p, 1), tf.sum(y, 1));
    const dice = tf.div(tf.add(tf.mul(intersection, 2), smooth), tf.add(denominator, smooth));
    return tf.mean(tf.sub(1, dice));
  });
}
