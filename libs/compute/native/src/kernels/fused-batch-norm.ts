/** FusedBatchNorm: y = (x - mean) * rsqrt(variance + eps) * scale + offset, every statistic per channel. */
import * as tf from '@tensorflow/tfjs';
import { perChannelOrAbsent } from './broadcast';
import { attrsOf, input, type NativeKernel, offsetOf, optionalInput, SMALL, wasmBackend, withOutput } from './wasm-heap';

export const fusedBatchNorm: NativeKernel = {
  kernelName: 'FusedBatchNorm',
  run(addon, args) {
    const x = input(args, 'x');
    const mean = input(args, 'mean');
    const variance = input(args, 'variance');
    const offset = optionalInput(args, 'offset');
    const scale = optionalInput(args, 'scale');
    const n = tf.util.sizeFromShape(x.shape);
    const c = x.shape[x.shape.length - 1];
    if (x.dtype !== 'float32' || n < SMALL || c === 1 || ![mean, variance, offset, scale].every((t) => perChannelOrAbsent(t, x.shape))) return undefined;
    const be = wasmBackend(args.backend);
    const epsilon = Number(attrsOf<Partial<tf.FusedBatchNormAttrs>>(args).varianceEpsilon ?? 0.001);
    const o = (t: tf.TensorInfo | undefined): number | undefined => (t === undefined ? undefined : offsetOf(be, t));
    return withOutput(be, 'FusedBatchNorm', x.shape, (heap, y) =>
      addon.batchNorm(heap, { x: offsetOf(be, x), mean: offsetOf(be, mean), variance: offsetOf(be, variance), scale: o(scale), offset: o(offset), epsilon, y, n, c }),
    );
  },
};
