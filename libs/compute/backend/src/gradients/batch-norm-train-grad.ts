import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN, batchNormTrainGrad } from '@segkit/native';

/**
 * Gradient of batch norm in training (the native TgsBatchNormTrain kernel: y, mean, variance of
 * x, scale, offset), y = (x − μ)·s·γ + β with μ, σ² the batch's own statistics, s = (σ² + ε)^−½:
 *   ∂β = Σ dy,  ∂γ = Σ dy·x̂,  ∂x = γ·s·(dy − Σdy/N − x̂·Σ(dy·x̂)/N),  x̂ = (x − μ)·s
 * in one native kernel. The statistics outputs only feed the moving averages, so their own
 * gradients are not used.
 */
export const batchNormTrainGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const dys = Array.isArray(dy) ? dy : [dy];
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, scale, mean, variance] = saved.length === 4 ? saved : [saved[0], undefined, saved[1], saved[2]];
    const [dx, dscale, doffset] = batchNormTrainGrad(dys[0], x, mean, variance, scale, varianceEpsilon);
    return { x: () => dx, scale: () => dscale, offset: () => doffset };
  },
};

/**
 * Gradient of batch norm then Relu in training (TgsBatchNormReluTrain, z = max(y, 0) with y as
 * above): dy is taken through the Relu, dy·step(z), then as above, in the same one native kernel;
 * z is kept for it instead of the pre-Relu y.
 */
export const batchNormReluTrainGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_RELU_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true, true, true],
  gradFunc: (dy, saved, attrs) => {
    const dys = Array.isArray(dy) ? dy : [dy];
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, scale, z, mean, variance] = saved.length === 5 ? saved : [saved[0], undefined, saved[1], saved[2], saved[3]];
    const [dx, dscale, doffset] = batchNormTrainGrad(dys[0], x, mean, variance, scale, varianceEpsilon, z);
    return { x: () => dx, scale: () => dscale, offset: () => doffset };
  },
};
