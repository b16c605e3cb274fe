/** SplitV of 4-byte tensors: the inverse of Concat, rows of memcpy. */
import * as tf from '@tensorflow/tfjs';
import { fourBytes } from './concat';
import { attrsOf, heapOf, input, type NativeKernel, offsetOf, SMALL, wasmBackend } from './wasm-heap';

export const splitV: NativeKernel = {
  kernelName: 'SplitV',
  run(addon, args) {
    const x = input(args, 'x');
    const a = attrsOf<tf.SplitVAttrs>(args);
    if (!fourBytes(x.dtype) || tf.util.sizeFromShape(x.shape) < SMALL) return undefined;
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, a.numOrSizeSplits, axis);
    if (sizes.some((s) => s === 0)) return undefined;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const rest = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    const be = wasmBackend(args.backend);
    const outs = sizes.map((size) => be.makeOutput(x.shape.map((d, i) => (i === axis ? size : d)), x.dtype));
    addon.split(heapOf(be), { x: offsetOf(be, x), outer, parts: Float64Array.from(outs, (t) => offsetOf(be, t)), inners: Float64Array.from(sizes, (s) => s * rest) });
    return outs;
  },
};
