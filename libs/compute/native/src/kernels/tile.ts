/**
 * Tile where the input is [1, .., 1, rest] and only the leading axes repeat (reps [r.., 1, .., 1]):
 * the output is the input's block repeated prod(r) times, one memcpy per copy, on every thread.
 * This is the broadcast of a per-channel value to a whole activation (a Mean's gradient in batch
 * norm's statistics). Other tilings go to the kernel below.
 */
import * as tf from '@tensorflow/tfjs';
import { attrsOf, input, type NativeKernel, offsetOf, SMALL, wasmBackend, withOutput } from './wasm-heap';

/** The block size and repeat count when `reps` only repeats leading axes of size 1, else undefined. */
export function leadingRepeat(shape: readonly number[], reps: readonly number[]): { block: number; times: number } | undefined {
  if (reps.length !== shape.length) return undefined;
  let k = 0;
  while (k < shape.length && shape[k] === 1) k++;
  for (let d = k; d < shape.length; d++) if (reps[d] !== 1) return undefined;
  return { block: tf.util.sizeFromShape(shape.slice(k)), times: tf.util.sizeFromShape(reps.slice(0, k)) };
}

export const tile: NativeKernel = {
  kernelName: 'Tile',
  run(addon, args) {
    const x = input(args, 'x');
    const { reps } = attrsOf<{ reps: number[] }>(args);
    const plan = x.dtype === 'float32' ? leadingRepeat(x.shape, reps) : undefined;
    if (plan === undefined || plan.block * plan.times < SMALL || plan.block === 0) return undefined;
    const be = wasmBackend(args.backend);
    const shape = x.shape.map((s, d) => s * reps[d]);
    return withOutput(be, 'Tile', shape, (heap, y) => addon.repeat(heap, { x: offsetOf(be, x), block: plan.block, times: plan.times, y }));
  },
};
