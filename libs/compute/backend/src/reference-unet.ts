/**
 * The reference U-Net used to measure and test the compute backends (the same network as
 * tools/bench/torch_unet_step.py): `levels` down levels of two 3x3 conv+ReLU with `base * 2^i`
 * filters, 2x2 max-pool down, a bottleneck of two 3x3 conv+ReLU with `base * 2^levels` filters,
 * 2x2 stride-2 transposed-conv up, skip concatenation, two 3x3 conv+ReLU, and a 1x1 logit head.
 * It is deliberately plain (no batch norm) so that its step time reflects the convolution kernels.
 */
import * as tf from '@tensorflow/tfjs';

export interface ReferenceUnetOptions {
  /** Input height = width. Must be divisible by 2^levels. */
  size: number;
  /** Filters of the first level (16 in the benchmark). */
  base: number;
  /** Number of down levels (4 in the benchmark). */
  levels: number;
  /** Seed for the Glorot-uniform kernel initialiser, so two backends start from the same weights. */
  seed?: number;
}

export function buildReferenceUnet(opts: ReferenceUnetOptions): tf.LayersModel {
  const { size, base, levels } = opts;
  if (size % 2 ** levels !== 0) throw new Error(`reference U-Net: size ${size} not divisible by 2^${levels}`);
  let seed = opts.seed ?? 1;
  const conv = (filters: number, x: tf.SymbolicTensor): tf.SymbolicTensor =>
    tf.layers
      .conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) })
      .apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [size, size, 1] });
  const skips: tf.SymbolicTensor[] = [];
  let x = input;
  for (let i = 0; i < levels; i++) {
    x = conv(base * 2 ** i, conv(base * 2 ** i, x));
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = conv(base * 2 ** levels, conv(base * 2 ** levels, x));
  for (let i = levels - 1; i >= 0; i--) {
    const filters = base * 2 ** i;
    x = tf.layers
      .conv2dTranspose({ filters, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ axis: -1 }).apply([x, skips[i]]) as tf.SymbolicTensor;
    x = conv(filters, conv(filters, x));
  }
  const logits = tf.layers
    .conv2d({ filters: 1, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'reference_unet' });
}

/**
 * One optimisation step: mean binary cross-entropy on logits (tf.losses.sigmoidCrossEntropy,
 * max(z,0) - z*y + log(1 + e^-|z|)), gradients by backprop, Adam update. Returns the loss value
 * before the update.
 */
export function referenceTrainStep(model: tf.LayersModel, optimizer: tf.Optimizer, images: tf.Tensor4D, masks: tf.Tensor4D): number {
  const loss = optimizer.minimize(
    () => tf.losses.sigmoidCrossEntropy(masks, model.apply(images, { training: true }) as tf.Tensor4D) as tf.Scalar,
    true,
    model.trainableWeights.map((w) => w.read() as tf.Variable),
  );
  if (loss === null) throw new Error('referenceTrainStep: optimizer.minimize returned no loss');
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}
