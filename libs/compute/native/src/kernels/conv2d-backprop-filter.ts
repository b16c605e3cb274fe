/**
 * Conv2DBackpropFilter on oneDNN's convolution backward weights:
 *   dw[kh,kw,c,co] = sum_{b,oh,ow} x[b, oh*sh + kh - top, ow*sw + kw - left, c] * dy[b,oh,ow,co]
 */
import type * as tf from '@tensorflow/tfjs';
import { convGeometry } from './geometry';
import { attrsOf, input, isEmpty, type NativeKernel, offsetOf, wasRefused, wasmBackend, withOutput } from './wasm-heap';

export const conv2dBackpropFilter: NativeKernel = {
  kernelName: 'Conv2DBackpropFilter',
  run(addon, args) {
    const x = input(args, 'x');
    const dy = input(args, 'dy');
    const a = attrsOf<tf.Conv2DBackpropFilterAttrs>(args);
    const filterShape = [...a.filterShape];
    if (x.dtype !== 'float32' || dy.dtype !== 'float32' || a.dataFormat === 'NCHW' || isEmpty(x.shape) || isEmpty(filterShape)) return undefined;
    const { info, geometry } = convGeometry(x.shape, filterShape, a.strides, a.pad, 1, a.dimRoundingMode);
    if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return undefined;
    const key = `bwd_weights:${geometry.join(',')}`;
    if (wasRefused(key)) return undefined;
    const be = wasmBackend(args.backend);
    return withOutput(be, key, filterShape, (heap, dw) => addon.conv2dBackwardWeights(heap, { geometry, x: offsetOf(be, x), dy: offsetOf(be, dy), dw }));
  },
};
