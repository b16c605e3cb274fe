import * as tf from '@tensorflow/tfjs';
import { Rng } from '@segkit/random';
import { augmentSample, AugmentConfig } from './augment';

/** One augmented training batch: x in [0,1] and y in {0,1}, both [b, H, W, 1]. */
export function trainingBatch(
  images: Uint8Array,
  masks: Uint8Array,
  indices: ArrayLike<number>,
  height: number,
  width: number,
  augment: AugmentConfig,
  rng: Rng,
): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const pixels = height * width;
  const xs = new Float32Array(indices.length * pixels);
  const ys = new Float32Array(indices.length * pixels);
  const img = new Float32Array(pixels);
  const msk = new Float32Array(pixels);
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * pixels;
    for (let p = 0; p < pixels; p++) {
      img[p] = images[src + p] / 255;
      msk[p] = masks[src + p];
    }
    const a = augmentSample(img, msk, height, width, augment, rng);
    xs.set(a.image, b * pixels);
    ys.set(a.mask, b * pixels);
  }
  return { x: tf.tensor4d(xs, [indices.length, height, width, 1]), y: tf.tensor4d(ys, [indices.length, height, width, 1]) };
}
