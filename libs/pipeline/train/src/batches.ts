import * as tf from '@tensorflow/tfjs';
import { Rng } from '@segkit/random';
import { cropOrigin, cropTile } from '@segkit/resize';
import { augmentSample, AugmentConfig } from './augment';

/**
 * A random training crop: each sample is the height×width window of its full-size image whose
 * origin is `cropOrigin(…, bias, u1, u2, u3)` (centred on a random foreground pixel with probability
 * `bias`, else uniform), u1…u3 the batch's Rng's next three draws before that sample's augmentation.
 */
export interface TrainingCrop {
  height: number;
  width: number;
  bias: number;
}

/**
 * One augmented training batch: x in [0,1] as [b, H, W, channels] (the images' own channels,
 * interleaved: 1 luminance or 3 RGB) and y in {0,1} as [b, H, W, 1]. The images are height×width;
 * with `crop` every sample is first cut to the crop's size (then H×W is the crop's), its origin
 * drawn from `rng`, so a seed fixes every crop as it fixes every augmentation.
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
  crop?: TrainingCrop,
): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const pixels = height * width;
  const values = pixels * channels;
  const outH = crop ? crop.height : height;
  const outW = crop ? crop.width : width;
  const outPixels = outH * outW;
  const outValues = outPixels * channels;
  const xs = new Float32Array(indices.length * outValues);
  const ys = new Float32Array(indices.length * outPixels);
  const img = new Float32Array(outValues);
  const msk = new Float32Array(outPixels);
  const imgBytes = new Uint8Array(outValues);
  const mskBytes = new Uint8Array(outPixels);
  for (let b = 0; b < indices.length; b++) {
    let image = images.subarray(indices[b] * values, (indices[b] + 1) * values);
    let mask = masks.subarray(indices[b] * pixels, (indices[b] + 1) * pixels);
    if (crop) {
      const [y0, x0] = cropOrigin(height, width, crop.height, crop.width, mask, crop.bias, rng.next(), rng.next(), rng.next());
      image = cropTile(image, width, channels, y0, x0, crop.height, crop.width, imgBytes);
      mask = cropTile(mask, width, 1, y0, x0, crop.height, crop.width, mskBytes);
    }
    for (let p = 0; p < outValues; p++) img[p] = image[p] / 255;
    for (let p = 0; p < outPixels; p++) msk[p] = mask[p];
    const a = augmentSample(img, msk, outH, outW, augment, rng, channels);
    xs.set(a.image, b * outValues);
    ys.set(a.mask, b * outPixels);
  }
  return { x: tf.tensor4d(xs, [indices.length, outH, outW, channels]), y: tf.tensor4d(ys, [indices.length, outH, outW, 1]) };
}
