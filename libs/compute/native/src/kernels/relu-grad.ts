/**
 * The gradient of Relu in one pass: dx = dy * step(x), step(x) = 1 for x > 0, NaN for NaN, else 0
 * (tfjs composes it as Step then Multiply: two passes and an intermediate; the bits are the same,
 * dy * 0 keeping dy's sign). @segkit/backend's Relu gradient calls {@link reluGrad}.
 */
import * as tf from '@tensorflow/tfjs';
import { input, type NativeKernel, offsetOf, SMALL, wasmBackend, withOutput } from './wasm-heap';

/** Name of the fused Relu gradient kernel. */
export const RELU_GRAD = 'TgsReluGrad';

export const reluGradKernel: NativeKernel = {
  kernelName: RELU_GRAD,
  run(addon, args) {
    const dy = input(args, 'dy');
    const x = input(args, 'x');
    const be = wasmBackend(args.backend);
    const n = tf.util.sizeFromShape(x.shape);
    return withOutput(be, RELU_GRAD, x.shape, (heap, dx) => addon.reluGrad(heap, { dy: offsetOf(be, dy), x: offsetOf(be, x), dx, n }));
  },
};

/** dy * step(x) in one native kernel, or undefined where it does not apply (then compose it). */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor | undefined {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(RELU_GRAD, 'wasm') === undefined) return undefined;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, x.shape) || x.size < SMALL) return undefined;
  return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
}
