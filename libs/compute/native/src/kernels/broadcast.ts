import * as tf from '@tensorflow/tfjs';
import { BROADCAST, type BroadcastCode } from '../abi';

/** How `shape` broadcasts to `out`: whole, along the last axis only, a scalar, or unsupported. */
export function broadcastMode(shape: readonly number[], out: readonly number[]): BroadcastCode | undefined {
  const size = tf.util.sizeFromShape(shape as number[]);
  const outSize = tf.util.sizeFromShape(out as number[]);
  const c = out.length === 0 ? 1 : out[out.length - 1];
  if (size === outSize) {
    // Equal sizes broadcast only as the same shape up to leading 1s.
    const a = shape.slice(shape.findIndex((d) => d !== 1));
    const b = out.slice(out.findIndex((d) => d !== 1));
    return size === 1 || (a.length === b.length && a.every((d, i) => d === b[i])) ? BROADCAST.full : undefined;
  }
  if (size === 1) return BROADCAST.scalar;
  if (size === c && shape[shape.length - 1] === c) return BROADCAST.perChannel;
  return undefined;
}

/** Whether `t` is absent, or a float32 per-channel vector for `shape` (batch-norm statistics). */
export function perChannelOrAbsent(t: { dtype: tf.DataType; shape: number[] } | undefined, shape: readonly number[]): boolean {
  return t === undefined || (t.dtype === 'float32' && broadcastMode(t.shape, shape) === BROADCAST.perChannel);
}
