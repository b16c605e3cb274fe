import * as tf from '@tensorflow/tfjs';
import { rowsPerImage } from './shapes';

/**
 * Binary cross-entropy on raw logits, averaged over every pixel of the batch, in the overflow-free
 * form used by TensorFlow's sigmoid_cross_entropy_with_logits:
 *   ℓ(x, y) = max(x, 0) − x·y + log(1 + e^(−|x|))
 * which equals −y·log σ(x) − (1 − y)·log(1 − σ(x)) but never evaluates e^x for large x, so
 * logits of ±1000 give finite values and gradients (σ(x) − y).
 */
export function bceWithLogits(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { labels: y, logits: x } = rowsPerImage(labels, logits, 'bceWithLogits');
    const perPixel = tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    return tf.mean(perPixel);
  });
}
