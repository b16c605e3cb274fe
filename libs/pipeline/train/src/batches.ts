import * as tf from '@tensorflow/tfjs';
import { Rng } from '@segkit/random';
import { augmentSample, AugmentConfig } from './augment';

/**
 * One augmented training batch: x in [0,1] as [b, H, W, channels] (the images' own channels,
 * interleaved: 1 luminance or 3 RGB) and y in {0,1} as [b, H, W, 1].
 */
export function trainingBatch(
  images: Uint8Array,
  masks: Uint8Array,
  indices: ArrayLike<number>,
  height: number,
  width: number,
  augment: AugmentConfig,
  rng: Rng,
  channels: 1 | 3 = 1,
): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const pixels = height * width;
  const values = pixels * channels;
  const xs = new Float32Array(indices.length * values);
  const ys = new Float32Array(indices.length * pixels);
  const img = new Float32Array(values);
  const msk = new Float32Array(pixels);
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * values;
    for (let p = 0; p < values; p++) img[p] = images[src + p] / 255;
    const srcMask = indices[b] * pixels;
    for (let p = 0; p < pixels; p++) msk[p] = masks[srcMask + p];
    const a = augmentSample(img, msk, height, width, augment, rng, channels);
    xs.set(a.image, b * values);
    ys.set(a.mask, b * pixels);
  }
  return { x: tf.tensor4d(xs, [indices.length, height, width, channels]), y: tf.tensor4d(ys, [indices.length, height, width, 1]) };
}
