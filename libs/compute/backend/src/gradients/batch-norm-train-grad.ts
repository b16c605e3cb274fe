import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN, batchNormTrainGrad } from '@segkit/native';

/**
 * The gradient config of one of the two kernels: with `relu` the kernel's y output (the rectified
 * one) is kept and handed to the gradient kernel, which takes dy through the Relu first.
 */
function gradConfigOf(kernelName: string, relu: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [relu, true, true],
    gradFunc: (dy, saved, attrs) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      // saved: x, scale (absent when the layer has none), then the kept outputs in order.
      const withScale = saved.length === (relu ? 5 : 4);
      const [x, scale] = withScale ? saved : [saved[0], undefined];
      const kept = saved.slice(withScale ? 2 : 1);
      const z = relu ? kept[0] : undefined;
      const [mean, variance] = kept.slice(relu ? 1 : 0);
      const [dx, dscale, doffset] = batchNormTrainGrad(dys[0], x, mean, variance, scale, varianceEpsilon, z);
      return { x: () => dx, scale: () => dscale, offset: () => doffset };
    },
  };
}

/**
 * Gradient of batch norm in training (the native TgsBatchNormTrain kernel: y, mean, variance of
 * x, scale, offset), y = (x − μ)·s·γ + β with μ, σ² the batch's own statistics, s = (σ² + ε)^−½:
 *   ∂β = Σ dy,  ∂γ = Σ dy·x̂,  ∂x = γ·s·(dy − Σdy/N − x̂·Σ(dy·x̂)/N),  x̂ = (x − μ)·s
 * in one native kernel. The statistics outputs only feed the moving averages, so their own
 * gradients are not used.
 */
export const batchNormTrainGradConfig = gradConfigOf(BATCH_NORM_TRAIN, false);

/**
 * Gradient of batch norm then Relu in training (TgsBatchNormReluTrain, z = max(y, 0) with y as
 * above): dy is taken through the Relu, dy·step(z), then as above, in the same one native kernel;
 * z is kept for it instead of the pre-Relu y.
 */
export const batchNormReluTrainGradConfig = gradConfigOf(BATCH_NORM_RELU_TRAIN, true);
