/** MaxPoolGrad: the gradient goes to the first maximum of each window (strict `>`), as tfjs's cpu backend. */
import type * as tf from '@tensorflow/tfjs';
import { poolGeometry } from './geometry';
import { attrsOf, input, isEmpty, type NativeKernel, offsetOf, wasmBackend, withOutput } from './wasm-heap';

export const maxPoolGrad: NativeKernel = {
  kernelName: 'MaxPoolGrad',
  run(addon, args) {
    const dy = input(args, 'dy');
    const x = input(args, 'input');
    const a = attrsOf<tf.MaxPoolGradAttrs>(args);
    if (dy.dtype !== 'float32' || x.dtype !== 'float32' || isEmpty(x.shape)) return undefined;
    const { geometry } = poolGeometry(x.shape, a.filterSize, a.strides, a.pad, a.dimRoundingMode);
    const be = wasmBackend(args.backend);
    return withOutput(be, 'pool_grad', x.shape, (heap, dx) => addon.maxPoolGrad(heap, { geometry, x: offsetOf(be, x), dy: offsetOf(be, dy), dx }));
  },
};
