/**
 * Add, Sub, Multiply, RealDiv, SquaredDifference, Maximum, Minimum: y = a op b over the broadcast
 * shape, each operand full, per-channel (broadcast along the last axis) or a scalar. Maximum and
 * Minimum propagate NaN as tfjs does.
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY_OPS, type BinaryOpName } from '../abi';
import { broadcastMode } from './broadcast';
import { input, type NativeKernel, offsetOf, SMALL, wasmBackend, withOutput } from './wasm-heap';

function binaryKernel(kernelName: BinaryOpName): NativeKernel {
  const op = BINARY_OPS[kernelName];
  return {
    kernelName,
    run(addon, args) {
      const a = input(args, 'a');
      const b = input(args, 'b');
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
      const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = tf.util.sizeFromShape(out);
      if (n < SMALL) return undefined;
      const aMode = broadcastMode(a.shape, out);
      const bMode = broadcastMode(b.shape, out);
      if (aMode === undefined || bMode === undefined) return undefined;
      const be = wasmBackend(args.backend);
      return withOutput(be, kernelName, out, (heap, y) => addon.binary(heap, { op, a: offsetOf(be, a), aMode, b: offsetOf(be, b), bMode, y, n, c: out[out.length - 1] }));
    },
  };
}

const names = Object.keys(BINARY_OPS) as BinaryOpName[];
export const binaryKernels: readonly NativeKernel[] = names.map(binaryKernel);
