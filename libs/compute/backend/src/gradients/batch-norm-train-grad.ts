import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN, batchNormTrainGrad } from '@segkit/native';

/**
 * The gradient config of one of the two kernels. Both always have a scale and an offset
 * (batchNormTrain fills absent ones), so the saved tensors are x, scale, [offset,] mean, variance;
 * with `relu` the offset is saved so that the gradient kernel can recompute the Relu's step from x.
 */
function gradConfigOf(kernelName: string, relu: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: relu ? ['x', 'scale', 'offset'] : ['x', 'scale'],
    outputsToSave: [false, true, true],
    gradFunc: (dy, saved, attrs) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, scale, offset, mean, variance] = relu ? saved : [saved[0], saved[1], undefined, saved[2], saved[3]];
      const [dx, dscale, doffset] = batchNormTrainGrad(dys[0], x, mean, variance, scale, offset, varianceEpsilon, relu);
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
 * above): dy is taken through the Relu, dy·step(z), then as above, in the same one native kernel,
 * which recomputes step(z) = step(y) from x and the saved offset rather than reading z.
 */
export const batchNormReluTrainGradConfig = gradConfigOf(BATCH_NORM_RELU_TRAIN, true);
