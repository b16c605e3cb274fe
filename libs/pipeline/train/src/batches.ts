import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tgs/random';
import { augmentSample, AugmentConfig } from './augment';

/** Images as the models see them: luminance / 255, shape [n, H, W, 1]. */
export function imagesToTensor(images: Uint8Array, indices: ArrayLike<number>, height: number, width: number): tf.Tensor4D {
  const pixels = height * width;
  const out = new Float32Array(indices.length * pixels);
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * pixels;
    for (let p = 0; p < pixels; p++) out[b * pixels + p] = images[src + p] / 255;
  }
  return tf.tensor4d(out, [indices.length, height, width, 1]);
}

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

/** A test-time augmentation as a pair: `deaugment(model(augment(x)))` is aligned with `model(x)`. */
export interface TtaPair {
  name: string;
  augment: (x: tf.Tensor4D) => tf.Tensor4D;
  deaugment: (logits: tf.Tensor4D) => tf.Tensor4D;
}

/** Anything mapping images [n, H, W, 1] in [0, 1] to logits of the same shape: a LayersModel, or an exported model with its padding. */
export interface LogitsModel {
  predict(x: tf.Tensor4D): tf.Tensor | tf.Tensor[];
}

/**
 * Raw logits of `model` for the images at `indices`, in batches, in inference mode. With `ttas`,
 * the logits are the mean over the pairs of deaugment(model(augment(x))) (the identity pair
 * included only if listed). With several models (a fold's snapshots), the mean of each model's
 * TTA-mean logits. Results go to `onBatch` (streaming) or into one returned array.
 */
export function forwardLogits(
  model: LogitsModel | LogitsModel[],
  images: Uint8Array,
  indices: ArrayLike<number>,
  height: number,
  width: number,
  opts: { batchSize: number; ttas?: TtaPair[]; onBatch?: (logits: Float32Array, start: number) => void },
): Float32Array | undefined {
  const pixels = height * width;
  const all = opts.onBatch ? undefined : new Float32Array(indices.length * pixels);
  for (let start = 0; start < indices.length; start += opts.batchSize) {
    const idx = Array.prototype.slice.call(indices, start, Math.min(indices.length, start + opts.batchSize)) as number[];
    const logits = tf.tidy(() => {
      const x = imagesToTensor(images, idx, height, width);
      const one = (m: LogitsModel): tf.Tensor4D => {
        if (!opts.ttas || opts.ttas.length === 0) return m.predict(x) as tf.Tensor4D;
        const outs = opts.ttas.map((t) => t.deaugment(m.predict(t.augment(x)) as tf.Tensor4D));
        return tf.div(tf.addN(outs), outs.length) as tf.Tensor4D;
      };
      if (!Array.isArray(model)) return one(model);
      if (model.length === 1) return one(model[0]);
      return tf.div(tf.addN(model.map(one)), model.length) as tf.Tensor4D;
    });
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    if (opts.onBatch) opts.onBatch(values, start);
    else all?.set(values, start * pixels);
  }
  return all;
}
