/**
 * Conv2DBackpropInput (also tf.conv2dTranspose's forward pass) on oneDNN's convolution backward
 * data: dx = d/dx sum(conv(x, w) * dy).
 */
import type * as tf from '@tensorflow/tfjs';
import { convGeometry } from './geometry';
import { attrsOf, input, isEmpty, type NativeKernel, offsetOf, wasRefused, wasmBackend, withOutput } from './wasm-heap';

export const conv2dBackpropInput: NativeKernel = {
  kernelName: 'Conv2DBackpropInput',
  run(addon, args) {
    const dy = input(args, 'dy');
    const filter = input(args, 'filter');
    const a = attrsOf<tf.Conv2DBackpropInputAttrs>(args);
    const inputShape = [...a.inputShape];
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat === 'NCHW' || isEmpty(dy.shape) || isEmpty(inputShape)) return undefined;
    const { info, geometry } = convGeometry(inputShape, filter.shape, a.strides, a.pad, 1, a.dimRoundingMode);
    if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return undefined;
    const key = `bwd_data:${geometry.join(',')}`;
    if (wasRefused(key)) return undefined;
    const be = wasmBackend(args.backend);
    return withOutput(be, key, inputShape, (heap, dx) => addon.conv2dBackwardData(heap, { geometry, dy: offsetOf(be, dy), filter: offsetOf(be, filter), dx }));
  },
};
