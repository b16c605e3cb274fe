import * as tf from '@tensorflow/tfjs';

/** Runs `fn` and fails if it left tensors behind (models and optimizers must be disposed inside). */
export async function expectNoTensorLeak(fn: () => Promise<void> | void): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}

/** Uniform values in [0, 1) from a seed, as a [n, h, w, c] tensor. */
export function randomImages(shape: [number, number, number, number], seed = 1): tf.Tensor4D {
  return tf.randomUniform(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
}

/** Channel 0 of image 0 of an NHWC tensor as [h][w] numbers (no tensor is created). */
export function plane(t: tf.Tensor): number[][] {
  return (t.arraySync() as number[][][][])[0].map((row) => row.map((px) => px[0]));
}

/**
 * Moves every BatchNormalization's weights (γ, β, moving mean and variance) away from their
 * initial values by seeded uniform offsets in [0.1, max), so an export or a fold must carry them
 * over; weight i of a layer uses seed firstSeed + i.
 */
export function moveBatchNormWeights(model: tf.LayersModel, max: number, firstSeed: number): void {
  tf.tidy(() => {
    for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
      layer.setWeights(layer.getWeights().map((w, i) => tf.add(w, tf.randomUniform(w.shape, 0.1, max, 'float32', firstSeed + i))));
    }
  });
}
