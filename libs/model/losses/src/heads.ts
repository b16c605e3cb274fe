import * as tf from '@tensorflow/tfjs';
import { bceWithLogits } from './bce';
import type { LossFn } from './make-loss';

/** A model's training outputs by role: the main logits [B, H, W, 1], the gate logit [B, 1] and deep-supervision logits [B, H, W, 1]. */
export interface HeadOutputs {
  logits: tf.Tensor;
  gate?: tf.Tensor;
  aux: tf.Tensor[];
}

/** Weights of the extra heads' terms (see {@link headsLoss}). */
export interface HeadsLossOptions {
  /** Weight of the gate's image-level BCE. */
  gateWeight: number;
  /** Weight of the mean of the deep-supervision outputs' segmentation losses. */
  auxWeight: number;
  /** With a gate: the segmentation terms see only the images whose truth has a mask. */
  nonEmptyOnly: boolean;
}

/** A loss on every output of a multi-head model: (labels 0/1 [B, H, W, 1], outputs) → scalar. */
export type HeadsLossFn = (labels: tf.Tensor, outputs: HeadOutputs) => tf.Scalar;

/**
 * The loss of a U-Net with an empty-mask gate and deep supervision, as TGS Salt's 1st place
 * (stage 2 of their recipe):
 *
 *   L = seg(y_S, x_S) + auxWeight · (1/K) Σ_k seg(y_S, aux_k,S) + gateWeight · BCE(gate, [Σ y_i > 0])
 *
 * where `seg` is the stage's segmentation loss, S the images of the batch whose truth is non-empty
 * when the model has a gate and `nonEmptyOnly` is set (the gate decides emptiness; the pixel head
 * learns shapes), else every image, and the BCE is over the B images' gate logits (target 1 = has a
 * mask). A segmentation term over an empty S is 0. Without a gate and aux outputs this is `seg`
 * itself. S is taken by slicing runs of images (slice and concat have gradients on every backend;
 * gather's needs UnsortedSegmentSum, absent on wasm).
 */
export function headsLoss(seg: LossFn, opts: HeadsLossOptions): HeadsLossFn {
  return (labels, outputs) =>
    tf.tidy(() => {
      const { logits, gate, aux } = outputs;
      if (gate === undefined && aux.length === 0) return seg(labels, logits);
      const batch = labels.shape[0];
      const perImage = labels.size / batch;
      const flags = tf.tidy(() => tf.greater(tf.max(tf.reshape(labels, [batch, perImage]), 1), 0).dataSync());
      const hasMask = Array.from(flags, (f) => (f ? 1 : 0));
      const keep = gate !== undefined && opts.nonEmptyOnly ? hasMask.flatMap((f, i) => (f ? [i] : [])) : undefined;
      const pick = (t: tf.Tensor): tf.Tensor | undefined => (keep === undefined ? t : selectImages(t, keep));
      const y = pick(labels);
      let total: tf.Scalar = y === undefined ? tf.scalar(0) : seg(y, pick(logits) as tf.Tensor);
      if (aux.length > 0 && opts.auxWeight > 0 && y !== undefined) {
        const terms = aux.map((a) => seg(y, pick(a) as tf.Tensor));
        total = tf.add(total, tf.mul(tf.div(tf.addN(terms), terms.length), opts.auxWeight));
      }
      if (gate !== undefined && opts.gateWeight > 0) {
        const target = tf.tensor2d(hasMask, [batch, 1]);
        total = tf.add(total, tf.mul(bceWithLogits(target, gate), opts.gateWeight));
      }
      return total;
    });
}

/** The images `indices` (ascending) of a batch, as slices of consecutive runs concatenated; undefined when there are none. */
function selectImages(t: tf.Tensor, indices: readonly number[]): tf.Tensor | undefined {
  if (indices.length === 0) return undefined;
  if (indices.length === t.shape[0]) return t;
  const runs: tf.Tensor[] = [];
  for (let k = 0; k < indices.length; ) {
    let end = k + 1;
    while (end < indices.length && indices[end] === indices[end - 1] + 1) end++;
    runs.push(tf.slice(t, indices[k], end - k));
    k = end;
  }
  return runs.length === 1 ? runs[0] : tf.concat(runs, 0);
}
