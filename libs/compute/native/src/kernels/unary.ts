/** Square, Relu (NaN stays NaN, as tfjs) and Neg, element by element. */
import * as tf from '@tensorflow/tfjs';
import { UNARY_OPS, type UnaryOpName } from '../abi';
import { input, type NativeKernel, offsetOf, SMALL, wasmBackend, withOutput } from './wasm-heap';

function unaryKernel(kernelName: UnaryOpName): NativeKernel {
  const op = UNARY_OPS[kernelName];
  return {
    kernelName,
    run(addon, args) {
      const x = input(args, 'x');
      const n = tf.util.sizeFromShape(x.shape);
      if (x.dtype !== 'float32' || n < SMALL) return undefined;
      const be = wasmBackend(args.backend);
      return withOutput(be, kernelName, x.shape, (heap, y) => addon.unary(heap, { op, x: offsetOf(be, x), y, n }));
    },
  };
}

const names = Object.keys(UNARY_OPS) as UnaryOpName[];
export const unaryKernels: readonly NativeKernel[] = names.map(unaryKernel);
