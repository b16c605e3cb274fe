import * as tf from '@tensorflow/tfjs';

/**
 * Grayscale 8-bit images (row-major, n·h·w bytes) → model input [n, h, w, 1] float32 in [0, 1]
 * (x / 255). The float buffer is filled directly so no intermediate tensors are created.
 */
export function toModelInput(images: Uint8Array, n: number, h: number, w: number): tf.Tensor4D {
  for (const [field, v] of [['n', n], ['h', h], ['w', w]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`toModelInput: ${field} must be a positive integer, got ${v}`);
  }
  const size = n * h * w;
  if (images.length !== size) {
    throw new Error(`toModelInput: expected ${n}·${h}·${w} = ${size} pixels, got ${images.length}`);
  }
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = images[i] / 255;
  return tf.tensor4d(values, [n, h, w, 1], 'float32');
}
