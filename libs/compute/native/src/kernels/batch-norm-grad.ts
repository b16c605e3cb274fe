/**
 * The gradient of FusedBatchNorm in one kernel (tfjs has none of its own; @segkit/backend's gradient
 * calls {@link fusedBatchNormGrad}). With y = (x - mean) * s * scale + offset, s = (variance + eps)^-1/2,
 * per channel:
 *   dx = dy * s * scale, dmean = -s * scale * sum(dy), dvariance = -1/2 * scale * s^3 * sum(dy * (x - mean)),
 *   dscale = s * sum(dy * (x - mean)), doffset = sum(dy)
 * (csrc/elementwise.h). Outputs [dx, dmean, dvariance, dscale?, doffset], dscale only with a scale.
 */
import * as tf from '@tensorflow/tfjs';
import { perChannelOrAbsent } from './broadcast';
import { attrsOf, heapOf, input, type KernelArgs, type NativeKernel, offsetOf, optionalInput, SMALL, type TensorInfo, wasmBackend, type WasmBackendLike } from './wasm-heap';

/** Name of the fused batch-norm gradient kernel. */
export const BATCH_NORM_GRAD = 'TgsBatchNormGrad';

/**
 * What the two batch-norm gradient kernels (this one and batch-norm-train's) read: dy, x and the
 * per-channel mean, variance and optional scale as heap offsets, epsilon, n and c, and `outputs`
 * allocating their per-channel gradients after dx.
 */
export function batchNormGradArgs(args: KernelArgs): {
  be: WasmBackendLike;
  x: TensorInfo;
  shapes: { mean: number[]; scale?: number[] };
  fields: (dx: TensorInfo) => { x: number; dy: number; mean: number; variance: number; scale?: number; epsilon: number; dx: number; n: number; c: number };
} {
  const dy = input(args, 'dy');
  const x = input(args, 'x');
  const mean = input(args, 'mean');
  const variance = input(args, 'variance');
  const scale = optionalInput(args, 'scale');
  const be = wasmBackend(args.backend);
  const epsilon = Number(attrsOf<{ varianceEpsilon?: number }>(args).varianceEpsilon ?? 0.001);
  const n = tf.util.sizeFromShape(x.shape);
  const c = x.shape[x.shape.length - 1];
  const o = (t: TensorInfo): number => offsetOf(be, t);
  return {
    be,
    x,
    shapes: { mean: mean.shape, ...(scale ? { scale: scale.shape } : {}) },
    // Offsets read after every output is allocated (an allocation may grow the heap; offsets stay).
    fields: (dx) => ({ x: o(x), dy: o(dy), mean: o(mean), variance: o(variance), scale: scale === undefined ? undefined : o(scale), epsilon, dx: o(dx), n, c }),
  };
}

export const batchNormGrad: NativeKernel = {
  kernelName: BATCH_NORM_GRAD,
  run(addon, args) {
    const { be, x, shapes, fields } = batchNormGradArgs(args);
    const dx = be.makeOutput(x.shape, 'float32');
    const dmean = be.makeOutput(shapes.mean, 'float32');
    const dvariance = be.makeOutput(shapes.mean, 'float32');
    const dscale = shapes.scale === undefined ? undefined : be.makeOutput(shapes.scale, 'float32');
    const doffset = be.makeOutput(shapes.mean, 'float32');
    const o = (t: TensorInfo): number => offsetOf(be, t);
    addon.batchNormGrad(heapOf(be), { ...fields(dx), dmean: o(dmean), dvariance: o(dvariance), dscale: dscale === undefined ? undefined : o(dscale), doffset: o(doffset) });
    return [dx, dmean, dvariance, ...(dscale ? [dscale] : []), doffset];
  },
};

/**
 * The gradient of FusedBatchNorm in one native kernel, or undefined where it does not apply (not
 * on wasm with the native kernels, other dtypes, statistics that are not per-channel, small
 * tensors): then the caller composes it from tfjs ops. Returns [dx, dmean, dvariance, dscale?, doffset].
 */
export function fusedBatchNormGrad(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor | undefined, varianceEpsilon: number): tf.Tensor[] | undefined {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(BATCH_NORM_GRAD, 'wasm') === undefined) return undefined;
  const c = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, x.shape) || x.size < SMALL || c === 1 || ![mean, variance, scale].every((t) => perChannelOrAbsent(t, x.shape))) return undefined;
  const inputs: tf.NamedTensorMap = { dy, x, mean, variance, ...(scale ? { scale } : {}) };
  const out = tf.engine().runKernel(BATCH_NORM_GRAD, inputs, { varianceEpsilon });
  return Array.isArray(out) ? out : [out];
}
