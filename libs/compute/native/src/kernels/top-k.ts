/**
 * TopK, sorted, of float32 rows: the Lovász hinge's sort of every image's errors (a [16, 10201]
 * TopK with k = n each step, ~19 ms on wasm's one thread). Native rows sort on the threads with
 * tfjs's order — larger value first, ties by smaller index — which makes the result unique, so it
 * is the stock kernel's result exactly. Rows holding a value that is not finite go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { attrsOf, heapOf, input, type NativeKernel, offsetOf, SMALL, wasmBackend } from './wasm-heap';

export const topK: NativeKernel = {
  kernelName: 'TopK',
  run(addon, args) {
    const x = input(args, 'x');
    const { k, sorted } = attrsOf<tf.TopKAttrs>(args);
    if (x.dtype !== 'float32' || !sorted || x.shape.length === 0) return undefined;
    const n = x.shape[x.shape.length - 1];
    const rows = tf.util.sizeFromShape(x.shape) / Math.max(n, 1);
    if (n * rows < SMALL || !(k >= 1 && k <= n)) return undefined;
    const be = wasmBackend(args.backend);
    const shape = [...x.shape.slice(0, -1), k];
    const values = be.makeOutput(shape, 'float32');
    const indices = be.makeOutput(shape, 'int32');
    let ok = false;
    try {
      ok = addon.topK(heapOf(be), { x: offsetOf(be, x), rows, n, k, values: offsetOf(be, values), indices: offsetOf(be, indices) });
    } finally {
      if (!ok) {
        be.disposeData(values.dataId);
        be.disposeData(indices.dataId);
      }
    }
    return ok ? [values, indices] : undefined;
  },
};
