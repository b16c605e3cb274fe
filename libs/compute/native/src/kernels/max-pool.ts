/** MaxPool with tfjs's semantics (NHWC; padded cells never win), in C++ loops. */
import type * as tf from '@tensorflow/tfjs';
import { poolGeometry } from './geometry';
import { attrsOf, input, isEmpty, type NativeKernel, offsetOf, wasmBackend, withOutput } from './wasm-heap';

export const maxPool: NativeKernel = {
  kernelName: 'MaxPool',
  run(addon, args) {
    const x = input(args, 'x');
    const a = attrsOf<tf.MaxPoolAttrs>(args);
    if (x.dtype !== 'float32' || isEmpty(x.shape)) return undefined;
    const { info, geometry } = poolGeometry(x.shape, a.filterSize, a.strides, a.pad, a.dimRoundingMode);
    const be = wasmBackend(args.backend);
    return withOutput(be, 'pool', [info.batchSize, info.outHeight, info.outWidth, info.inChannels], (heap, y) => addon.maxPool(heap, { geometry, x: offsetOf(be, x), y }));
  },
};
