import { Rng } from '@segkit/random';

/**
 * Training-time augmentation on one H×W sample in float32 (image in [0,1] with 1 or 3 channels
 * interleaved, index (y·W + x)·C + c; mask 0/1, one plane), row-major. Pure functions of their
 * inputs and an Rng, so a seed fixes every augmented batch.
 */

/** Mirrors each row: out[y, x, c] = in[y, W−1−x, c] for each of the `channels` interleaved channels. */
export function hflip(src: Float32Array, height: number, width: number, out = new Float32Array(src.length), channels = 1): Float32Array {
  if (channels === 1) {
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) out[row + x] = src[row + width - 1 - x];
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const to = (row + x) * channels;
      const from = (row + width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = src[from + c];
    }
  }
  return out;
}

/**
 * Brightness and contrast around the image mean m: x' = (x − m)·c + m + b, clipped to [0, 1].
 * `c` = contrast factor, `b` = additive brightness shift. For a colour image m is the mean over
 * all its values, every channel together, and every channel gets the same c and b (the colours'
 * balance is kept, as a camera's exposure would change them).
 */
export function brightnessContrast(img: Float32Array, contrast: number, brightness: number): Float32Array {
  let mean = 0;
  for (let i = 0; i < img.length; i++) mean += img[i];
  mean /= img.length;
  for (let i = 0; i < img.length; i++) {
    const v = (img[i] - mean) * contrast + mean + brightness;
    img[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return img;
}

/** Reflects an index into [0, n): …, 2, 1, 0, 1, 2, …, n−2, n−1, n−2, … (no edge repeat, as numpy 'reflect'). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/**
 * Scale by `s` about the centre and shift by (dx, dy) pixels, reflecting at the borders.
 * Inverse mapping: src = (dst − c − d)/s + c. Image bilinear (each of its `channels` interleaved
 * channels alike), mask nearest, so masks stay binary.
 */
export function shiftScale(
  img: Float32Array,
  mask: Float32Array,
  height: number,
  width: number,
  s: number,
  dx: number,
  dy: number,
  channels = 1,
): { image: Float32Array; mask: Float32Array } {
  const outImg = new Float32Array(img.length);
  const outMask = new Float32Array(mask.length);
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  for (let y = 0; y < height; y++) {
    const sy = (y - cy - dy) / s + cy;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const ya = reflectIndex(y0, height);
    const yb = reflectIndex(y0 + 1, height);
    const yn = reflectIndex(Math.round(sy), height);
    for (let x = 0; x < width; x++) {
      const sx = (x - cx - dx) / s + cx;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      const xa = reflectIndex(x0, width);
      const xb = reflectIndex(x0 + 1, width);
      const aa = (ya * width + xa) * channels;
      const ab = (ya * width + xb) * channels;
      const ba = (yb * width + xa) * channels;
      const bb = (yb * width + xb) * channels;
      for (let c = 0; c < channels; c++) {
        const top = img[aa + c] * (1 - fx) + img[ab + c] * fx;
        const bottom = img[ba + c] * (1 - fx) + img[bb + c] * fx;
        outImg[(y * width + x) * channels + c] = top * (1 - fy) + bottom * fy;
      }
      outMask[y * width + x] = mask[yn * width + reflectIndex(Math.round(sx), width)];
    }
  }
  return { image: outImg, mask: outMask };
}

export interface AugmentConfig {
  hflip: boolean;
  brightness: number;
  contrast: number;
  shiftScale: number;
}

/**
 * Applies the configured augmentations to one sample of `channels` interleaved channels, drawing
 * from `rng` (the same draws whatever the channels). Returns new arrays.
 */
export function augmentSample(
  image: Float32Array,
  mask: Float32Array,
  height: number,
  width: number,
  cfg: AugmentConfig,
  rng: Rng,
  channels = 1,
): { image: Float32Array; mask: Float32Array } {
  let img = image;
  let msk = mask;
  if (cfg.hflip && rng.chance(0.5)) {
    img = hflip(img, height, width, undefined, channels);
    msk = hflip(msk, height, width);
  }
  if (cfg.shiftScale > 0 && rng.chance(0.5)) {
    const s = 1 + rng.uniform(-cfg.shiftScale, cfg.shiftScale);
    const dx = rng.uniform(-cfg.shiftScale, cfg.shiftScale) * width;
    const dy = rng.uniform(-cfg.shiftScale, cfg.shiftScale) * height;
    ({ image: img, mask: msk } = shiftScale(img, msk, height, width, s, dx, dy, channels));
  }
  if (cfg.brightness > 0 || cfg.contrast > 0) {
    if (img === image) img = Float32Array.from(image);
    brightnessContrast(img, 1 + rng.uniform(-cfg.contrast, cfg.contrast), rng.uniform(-cfg.brightness, cfg.brightness));
  }
  return { image: img, mask: msk };
}
