/**
 * Sum and Mean over leading or trailing axes (batch-norm statistics and their gradients), x viewed
 * as [rows, cols]: y[j] = s * sum_i x[i, j] (leading) or y[i] = s * sum_j x[i, j] (trailing), with
 * s = 1 for Sum and 1 / (reduced size) for Mean. Middle axes fall back.
 */
import * as tf from '@tensorflow/tfjs';
import { attrsOf, input, type NativeKernel, offsetOf, SMALL, wasmBackend, withOutput } from './wasm-heap';

function reduceKernel(kernelName: 'Sum' | 'Mean'): NativeKernel {
  return {
    kernelName,
    run(addon, args) {
      const x = input(args, 'x');
      const a = attrsOf<tf.SumAttrs>(args);
      if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < SMALL) return undefined;
      const axes = [...tf.util.parseAxisParam(a.axis, x.shape)].sort((p, q) => p - q);
      const r = x.shape.length;
      const leading = axes.every((ax, i) => ax === i);
      const trailing = axes.every((ax, i) => ax === r - axes.length + i);
      if (axes.length === 0 || (!leading && !trailing)) return undefined;
      const [outShape, reduceShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
      const reduced = tf.util.sizeFromShape(reduceShape);
      const kept = tf.util.sizeFromShape(outShape);
      const scale = kernelName === 'Mean' ? 1 / reduced : 1;
      const shape = a.keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
      const be = wasmBackend(args.backend);
      const rows = leading ? reduced : kept;
      const cols = leading ? kept : reduced;
      return withOutput(be, kernelName, shape, (heap, y) => addon.reduce(heap, { x: offsetOf(be, x), y, rows, cols, overRows: leading, scale }));
    },
  };
}

export const sum = reduceKernel('Sum');
export const mean = reduceKernel('Mean');
