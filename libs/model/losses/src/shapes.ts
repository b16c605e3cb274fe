import * as tf from '@tensorflow/tfjs';

/**
 * Checks that labels and logits match, casts labels to float32 and flattens both to [B, H·W]
 * (one row per image). Accepts [B,H,W,1], [B,H,W] or any rank ≥ 2 with the batch first.
 */
export function rowsPerImage(labels: tf.Tensor, logits: tf.Tensor, lossName: string): { labels: tf.Tensor2D; logits: tf.Tensor2D } {
  if (logits.rank < 2) throw new Error(`${lossName}: logits must have a batch axis, got shape [${logits.shape}]`);
  if (!tf.util.arraysEqual(labels.shape, logits.shape)) {
    throw new Error(`${lossName}: labels shape [${labels.shape}] differs from logits shape [${logits.shape}]`);
  }
  const batch = logits.shape[0];
  const perImage = batch === 0 ? 0 : logits.size / batch;
  if (batch === 0 || perImage === 0) throw new Error(`${lossName}: empty batch, shape [${logits.shape}]`);
  const y = labels.dtype === 'float32' ? labels : tf.cast(labels, 'float32');
  return { labels: tf.reshape(y, [batch, perImage]), logits: tf.reshape(logits, [batch, perImage]) };
}
