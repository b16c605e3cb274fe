import * as tf from '@tensorflow/tfjs';
import { descendingOrder, permute } from './permute';
import { rowsPerImage } from './shapes';

export interface LovaszOptions {
  /** One Jaccard surrogate per image, averaged (default true, as in TGS); false: one over the whole batch. */
  perImage?: boolean;
  /**
   * Penalty applied to the sorted hinge errors: 'relu' (default, the paper) or 'elu+1',
   * elu(e) + 1 — smooth and strictly positive, so pixels already beyond the margin keep a small
   * gradient (popular among TGS top solutions).
   */
  activation?: 'relu' | 'elu+1';
  /** (L(x, y) + L(−x, 1 − y)) / 2: also optimise the Jaccard of the background (default false). */
  symmetric?: boolean;
}

/**
 * Lovász hinge (Berman, Rannen Triki, Blaschko, "The Lovász-Softmax loss", CVPR 2018), on raw logits:
 * the convex Lovász extension of the Jaccard loss evaluated at the hinge errors.
 *
 * Per group (an image, or the whole batch), with s = 2y − 1:
 *   e_i = 1 − x_i · s_i, sorted in decreasing order (permutation π);
 *   J_k = 1 − (Σy − Σ_{j≤k} y_π(j)) / (Σy + Σ_{j≤k} (1 − y_π(j)))   (Jaccard loss of the top-k set);
 *   w_1 = J_1, w_k = J_k − J_{k−1};
 *   L = Σ_k act(e_π(k)) · w_k, act = relu (or elu + 1); loss = mean over groups.
 *
 * Empty truth (Σy = 0): J_k = 1 for all k, so w = [1, 0, 0, …] and L = act(1 + max x): the whole
 * gradient goes to the single highest-scoring pixel. Full truth: w_k = 1/N, L = mean act(1 − x).
 * The symmetric variant adds the same errors weighted by the background's Jaccard, so on an empty
 * truth it also pushes every pixel with x > −1 down by 1/N (half-weighted).
 *
 * Vectorised: one topk over [G, N] for the order (shared by both halves of the symmetric form),
 * gathers through a custom-gradient permutation (works on every backend), one cumsum along the rows;
 * no per-image JS loop over tensors.
 */
export function lovaszHinge(labels: tf.Tensor, logits: tf.Tensor, opts: LovaszOptions = {}): tf.Scalar {
  const perImage = opts.perImage ?? true;
  const activation = opts.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'elu+1') throw new Error(`lovaszHinge: unknown activation "${String(activation)}" (expected relu | elu+1)`);
  return tf.tidy(() => {
    let { labels: y, logits: x } = rowsPerImage(labels, logits, 'lovaszHinge');
    if (!perImage) {
      y = tf.reshape(y, [1, y.size]);
      x = tf.reshape(x, [1, x.size]);
    }
    return lovaszRows(y, x, activation, opts.symmetric ?? false);
  });
}

/**
 * Mean over rows of the Lovász hinge of each row of [G, N] labels/logits.
 * Symmetric: the flipped problem (−x, 1 − y) has the SAME hinge errors, 1 + x·(1 − 2y) = 1 − x·(2y − 1),
 * hence the same order; only the Jaccard weights differ (computed on 1 − y). So one sort serves both
 * halves: L_sym = Σ act(e_π) · (w(y_π) + w(1 − y_π)) / 2.
 */
function lovaszRows(labels: tf.Tensor2D, logits: tf.Tensor2D, activation: 'relu' | 'elu+1', symmetric: boolean): tf.Scalar {
  const [groups, n] = logits.shape;
  const signs = tf.sub(tf.mul(labels, 2), 1);
  const errors = tf.sub(1, tf.mul(logits, signs));
  const order = descendingOrder(errors as tf.Tensor2D);
  const errorsSorted = tf.reshape(permute(tf.reshape(errors, [groups * n]), order), [groups, n]);
  const labelsSorted = tf.reshape(permute(tf.reshape(labels, [groups * n]), order), [groups, n]);
  const weights = symmetric
    ? tf.mul(tf.add(lovaszGradWeights(labelsSorted as tf.Tensor2D), lovaszGradWeights(tf.sub(1, labelsSorted) as tf.Tensor2D)), 0.5)
    : lovaszGradWeights(labelsSorted as tf.Tensor2D);
  const penalty = activation === 'relu' ? tf.relu(errorsSorted) : tf.add(tf.elu(errorsSorted), 1);
  return tf.mean(tf.sum(tf.mul(penalty, weights), 1));
}

/**
 * Jaccard-loss first differences along sorted labels [G, N] (the "lovasz_grad" of the reference code).
 * Since (Σy − Σ_{j≤k} y) subtracted from (Σy + Σ_{j≤k}(1 − y)) is exactly k, the Jaccard loss of the
 * top-k set simplifies to J_k = k / (Σy + C_k) with C_k = Σ_{j≤k}(1 − y_j): one cumsum, no slicing.
 * Then w_k = J_k − J_{k−1}, J_{k−1} = (k − 1) / (Σy + C_k − (1 − y_k)), where J_0 = 0 (the only
 * 0/0, Σy = 0 at k = 1, is guarded by max(·, 1) since its numerator is 0). J_k's own denominator is
 * never 0: it is ≥ Σy > 0, or = k ≥ 1 when Σy = 0.
 */
export function lovaszGradWeights(labelsSorted: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = labelsSorted.shape[1];
    const gts = tf.sum(labelsSorted, 1, true);
    const negatives = tf.sub(1, labelsSorted);
    const union = tf.add(gts, tf.cumsum(negatives, 1));
    const k = tf.range(1, n + 1, 1, 'float32');
    const jaccard = tf.div(k, union);
    const jaccardBefore = tf.div(tf.sub(k, 1), tf.maximum(tf.sub(union, negatives), 1));
    return tf.sub(jaccard, jaccardBefore) as tf.Tensor2D;
  });
}
