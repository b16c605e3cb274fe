/** Concat of 4-byte tensors: rows of memcpy, part i as [outer, inner_i] blocks along the axis. */
import * as tf from '@tensorflow/tfjs';
import { attrsOf, heapOf, isEmpty, type NativeKernel, offsetOf, SMALL, type TensorInfo, wasmBackend } from './wasm-heap';

export const fourBytes = (dtype: tf.DataType): boolean => dtype === 'float32' || dtype === 'int32';

export const concat: NativeKernel = {
  kernelName: 'Concat',
  run(addon, args) {
    // tfjs passes Concat's inputs as an array.
    const parts = Object.values(args.inputs).filter((t): t is TensorInfo => t !== undefined);
    if (parts.length < 2 || !parts.every((t) => t.dtype === parts[0].dtype) || !fourBytes(parts[0].dtype) || parts.some((t) => isEmpty(t.shape))) return undefined;
    const axis = tf.util.parseAxisParam(attrsOf<tf.ConcatAttrs>(args).axis, parts[0].shape)[0];
    tf.backend_util.assertParamsConsistent(parts.map((t) => t.shape), axis);
    const outShape = tf.backend_util.computeOutShape(parts.map((t) => t.shape), axis);
    if (tf.util.sizeFromShape(outShape) < SMALL) return undefined;
    const outer = tf.util.sizeFromShape(outShape.slice(0, axis));
    const be = wasmBackend(args.backend);
    const inners = Float64Array.from(parts, (t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const out = be.makeOutput(outShape, parts[0].dtype);
    addon.concat(heapOf(be), { parts: Float64Array.from(parts, (t) => offsetOf(be, t)), inners, outer, y: offsetOf(be, out) });
    return out;
  },
};
