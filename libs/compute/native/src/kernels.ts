/**
 * tfjs kernels for the wasm backend that run on the oneDNN addon, in place on the wasm heap.
 *
 * Each kernel checks what it takes (float32, NHWC, non-empty, a per-channel bias) and otherwise
 * calls the kernel it replaced (XNNPACK or this project's composed wasm kernels), which is also
 * used for any geometry oneDNN refuses. Shapes follow tfjs (NHWC activations, HWIO filters):
 *
 *   Conv2D:                y[b,oh,ow,co] = act(bias[co] + sum_{kh,kw,c} x[b, oh*sh + kh*dh - top, ow*sw + kw*dw - left, c] * w[kh,kw,c,co])
 *   Conv2DBackpropInput:   dx = d/dx sum(y * dy)    (also tf.conv2dTranspose's forward pass)
 *   Conv2DBackpropFilter:  dw[kh,kw,c,co] = sum_{b,oh,ow} x[b, oh*sh + kh - top, ow*sw + kw - left, c] * dy[b,oh,ow,co]
 *   MaxPool / MaxPoolGrad: tfjs semantics (padding never wins; the gradient goes to the first maximum, strict >)
 *
 * and the memory-bound float32 kernels that dominate a BatchNorm U-Net's step once convolutions
 * are native (measured: Sum, Multiply, Mean, FusedBatchNorm, Sub, Add were 2/3 of the wasm step):
 *
 *   Add, Sub, Multiply, RealDiv, SquaredDifference, Maximum, Minimum: out = a op b, each operand
 *     full, per-channel (broadcast along the last axis) or scalar
 *   Sum, Mean over leading or trailing axes: y[j] = s * sum_i x[i, j] / y[i] = s * sum_j x[i, j]
 *   FusedBatchNorm: y = (x - mean) * rsqrt(variance + eps) * scale + offset, per channel
 *   Square, Relu, Neg
 *   Concat, SplitV (4-byte dtypes): rows of memcpy, [outer, inner_i] blocks along the axis
 *
 * Tensors below SMALL elements stay on wasm: the call costs more than the work.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon';

type TensorInfo = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

/** What the kernels use of tfjs-backend-wasm's BackendWasm. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Fused activations the addon applies as a oneDNN post-op (values match csrc/addon.cc). */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5 };

/** Counts of calls that ran natively and that fell back, by kernel, for profiles and tests. */
export const nativeKernelCalls = new Map<string, { native: number; fallback: number }>();

function count(name: string, native: boolean): void {
  let c = nativeKernelCalls.get(name);
  if (c === undefined) nativeKernelCalls.set(name, (c = { native: 0, fallback: 0 }));
  if (native) c.native++;
  else c.fallback++;
}

/** Geometries oneDNN refused once; they go straight to the fallback afterwards. */
const refused = new Set<string>();

const offsetOf = (be: WasmBackendLike, t: TensorInfo): number => {
  const data = be.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('tensor is not on the wasm backend');
  return data.memoryOffset;
};

const isEmpty = (shape: readonly number[]): boolean => shape.some((d) => d === 0);

function convGeometry(xShape: number[], filterShape: number[], strides: number | [number, number], pad: unknown, dilations: number | [number, number], dimRoundingMode: unknown): Int32Array {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad as 'valid',
    dimRoundingMode as 'floor' | undefined,
    false,
    'channelsLast',
  );
  const p = info.padInfo;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.filterHeight, info.filterWidth, info.outChannels, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    p.top, p.left, p.bottom, p.right,
  ]);
}

function poolGeometry(xShape: number[], filterSize: number | [number, number], strides: number | [number, number], pad: unknown, dimRoundingMode: unknown): Int32Array {
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad as 'valid', dimRoundingMode as 'floor' | undefined);
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
  ]);
}

/**
 * Runs `body` on a freshly allocated output; the heap buffer is read after the allocation, which
 * may have grown (and so replaced) the wasm memory. A refusal by oneDNN frees the output, marks
 * the geometry and returns undefined so the caller falls back.
 */
function withOutput(be: WasmBackendLike, key: string, shape: number[], body: (heap: ArrayBuffer, out: number) => void): TensorInfo | undefined {
  const out = be.makeOutput(shape, 'float32');
  try {
    body(be.wasm.HEAPU8.buffer as ArrayBuffer, offsetOf(be, out));
    return out;
  } catch (err) {
    be.disposeData(out.dataId);
    if (err instanceof Error && err.message.startsWith('oneDNN:')) {
      refused.add(key);
      return undefined;
    }
    throw err;
  }
}

export type FallbackLookup = (kernelName: string) => tf.KernelFunc | undefined;

interface NativeKernel {
  kernelName: string;
  run(addon: NativeAddon, args: KernelArgs): TensorInfo | undefined;
}

const conv2d: NativeKernel = {
  kernelName: 'Conv2D',
  run(addon, { inputs, attrs, backend }) {
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const a = attrs as Record<string, unknown>;
    return convForward(addon, backend as unknown as WasmBackendLike, x, filter, undefined, a, 'linear', 0);
  },
};

const fusedConv2d: NativeKernel = {
  kernelName: 'FusedConv2D',
  run(addon, { inputs, attrs, backend }) {
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const a = attrs as Record<string, unknown>;
    const activation = String(a.activation ?? 'linear');
    if (preluActivationWeights != null || !(activation in ACTIVATIONS)) return undefined;
    return convForward(addon, backend as unknown as WasmBackendLike, x as TensorInfo, filter as TensorInfo, bias ?? undefined, a, activation, Number(a.leakyreluAlpha ?? 0.2));
  },
};

function convForward(addon: NativeAddon, be: WasmBackendLike, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, a: Record<string, unknown>, activation: string, alpha: number): TensorInfo | undefined {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat === 'NCHW' || isEmpty(x.shape) || isEmpty(filter.shape)) return undefined;
  const geom = convGeometry(x.shape, filter.shape, a.strides as [number, number], a.pad, (a.dilations ?? 1) as [number, number], a.dimRoundingMode);
  const co = geom[6];
  if (bias !== undefined && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== co || bias.shape.length > 1)) return undefined;
  const key = `fwd:${geom.join(',')}:${activation}:${alpha}:${bias !== undefined}`;
  if (refused.has(key)) return undefined;
  return withOutput(be, key, [geom[0], geom[7], geom[8], co], (heap, y) => {
    addon.conv2d(heap, geom, ACTIVATIONS[activation], alpha, offsetOf(be, x), offsetOf(be, filter), bias === undefined ? -1 : offsetOf(be, bias), y);
  });
}

const conv2dBackpropInput: NativeKernel = {
  kernelName: 'Conv2DBackpropInput',
  run(addon, { inputs, attrs, backend }) {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as Record<string, unknown>;
    const inputShape = a.inputShape as number[];
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat === 'NCHW' || isEmpty(dy.shape) || isEmpty(inputShape)) return undefined;
    const be = backend as unknown as WasmBackendLike;
    const geom = convGeometry(inputShape, filter.shape, a.strides as [number, number], a.pad, 1, a.dimRoundingMode);
    if (geom[7] !== dy.shape[1] || geom[8] !== dy.shape[2]) return undefined;
    const key = `bwd_data:${geom.join(',')}`;
    if (refused.has(key)) return undefined;
    return withOutput(be, key, inputShape, (heap, dx) => addon.conv2dBackwardData(heap, geom, offsetOf(be, dy), offsetOf(be, filter), dx));
  },
};

const conv2dBackpropFilter: NativeKernel = {
  kernelName: 'Conv2DBackpropFilter',
  run(addon, { inputs, attrs, backend }) {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as Record<string, unknown>;
    const filterShape = a.filterShape as number[];
    if (x.dtype !== 'float32' || dy.dtype !== 'float32' || a.dataFormat === 'NCHW' || isEmpty(x.shape) || isEmpty(filterShape)) return undefined;
    const be = backend as unknown as WasmBackendLike;
    const geom = convGeometry(x.shape, filterShape, a.strides as [number, number], a.pad, 1, a.dimRoundingMode);
    if (geom[7] !== dy.shape[1] || geom[8] !== dy.shape[2]) return undefined;
    const key = `bwd_weights:${geom.join(',')}`;
    if (refused.has(key)) return undefined;
    return withOutput(be, key, filterShape, (heap, dw) => addon.conv2dBackwardWeights(heap, geom, offsetOf(be, x), offsetOf(be, dy), dw));
  },
};

const maxPool: NativeKernel = {
  kernelName: 'MaxPool',
  run(addon, { inputs, attrs, backend }) {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as Record<string, unknown>;
    if (x.dtype !== 'float32' || isEmpty(x.shape)) return undefined;
    const be = backend as unknown as WasmBackendLike;
    const geom = poolGeometry(x.shape, a.filterSize as [number, number], a.strides as [number, number], a.pad, a.dimRoundingMode);
    return withOutput(be, 'pool', [geom[0], geom[4], geom[5], geom[3]], (heap, y) => addon.maxPool(heap, geom, offsetOf(be, x), y));
  },
};

const maxPoolGrad: NativeKernel = {
  kernelName: 'MaxPoolGrad',
  run(addon, { inputs, attrs, backend }) {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as Record<string, unknown>;
    if (dy.dtype !== 'float32' || input.dtype !== 'float32' || isEmpty(input.shape)) return undefined;
    const be = backend as unknown as WasmBackendLike;
    const geom = poolGeometry(input.shape, a.filterSize as [number, number], a.strides as [number, number], a.pad, a.dimRoundingMode);
    return withOutput(be, 'pool_grad', input.shape, (heap, dx) => addon.maxPoolGrad(heap, geom, offsetOf(be, input), offsetOf(be, dy), dx));
  },
};

/** Below this many output elements the wasm kernel runs (measured break-even ~1-2k). */
const SMALL = 4096;

const FULL = 0;
const PER_CHANNEL = 1;
const SCALAR = 2;

/** How `shape` broadcasts to `out`: whole, along the last axis only, a scalar, or unsupported. */
export function broadcastMode(shape: readonly number[], out: readonly number[]): number | undefined {
  const size = tf.util.sizeFromShape(shape as number[]);
  const outSize = tf.util.sizeFromShape(out as number[]);
  const c = out.length === 0 ? 1 : out[out.length - 1];
  if (size === outSize) {
    // Equal sizes broadcast only as the same shape up to leading 1s.
    const a = shape.slice(shape.findIndex((d) => d !== 1));
    const b = out.slice(out.findIndex((d) => d !== 1));
    return size === 1 || (a.length === b.length && a.every((d, i) => d === b[i])) ? FULL : undefined;
  }
  if (size === 1) return SCALAR;
  if (size === c && shape[shape.length - 1] === c) return PER_CHANNEL;
  return undefined;
}

const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4, Maximum: 5, Minimum: 6 };

function binaryKernel(kernelName: string): NativeKernel {
  const op = BINARY_OPS[kernelName];
  return {
    kernelName,
    run(addon, { inputs, backend }) {
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
      const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = tf.util.sizeFromShape(out);
      if (n < SMALL) return undefined;
      const am = broadcastMode(a.shape, out);
      const bm = broadcastMode(b.shape, out);
      if (am === undefined || bm === undefined) return undefined;
      const be = backend as unknown as WasmBackendLike;
      return withOutput(be, kernelName, out, (heap, y) => addon.binary(heap, op, offsetOf(be, a), am, offsetOf(be, b), bm, y, n, out[out.length - 1]));
    },
  };
}

function reduceKernel(kernelName: 'Sum' | 'Mean'): NativeKernel {
  return {
    kernelName,
    run(addon, { inputs, attrs, backend }) {
      const { x } = inputs as { x: TensorInfo };
      const a = attrs as { axis: number | number[]; keepDims: boolean };
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
      const be = backend as unknown as WasmBackendLike;
      const rows = leading ? reduced : kept;
      const cols = leading ? kept : reduced;
      return withOutput(be, kernelName, shape, (heap, y) => addon.reduce(heap, offsetOf(be, x), y, rows, cols, leading, scale));
    },
  };
}

const fusedBatchNorm: NativeKernel = {
  kernelName: 'FusedBatchNorm',
  run(addon, { inputs, attrs, backend }) {
    const { x, mean, variance, offset, scale } = inputs as Record<string, TensorInfo | undefined> & { x: TensorInfo; mean: TensorInfo; variance: TensorInfo };
    const n = tf.util.sizeFromShape(x.shape);
    const c = x.shape[x.shape.length - 1];
    const perChannel = (t: TensorInfo | undefined): boolean => t == null || (t.dtype === 'float32' && broadcastMode(t.shape, x.shape) === PER_CHANNEL);
    if (x.dtype !== 'float32' || n < SMALL || c === 1 || ![mean, variance, offset, scale].every(perChannel)) return undefined;
    const be = backend as unknown as WasmBackendLike;
    const eps = Number((attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001);
    return withOutput(be, 'FusedBatchNorm', x.shape, (heap, y) =>
      addon.batchNorm(heap, offsetOf(be, x), offsetOf(be, mean), offsetOf(be, variance), scale == null ? -1 : offsetOf(be, scale), offset == null ? -1 : offsetOf(be, offset), eps, y, n, c),
    );
  },
};

const UNARY_OPS: Record<string, number> = { Square: 0, Relu: 1, Neg: 2 };

function unaryKernel(kernelName: string): NativeKernel {
  return {
    kernelName,
    run(addon, { inputs, backend }) {
      const { x } = inputs as { x: TensorInfo };
      const n = tf.util.sizeFromShape(x.shape);
      if (x.dtype !== 'float32' || n < SMALL) return undefined;
      const be = backend as unknown as WasmBackendLike;
      return withOutput(be, kernelName, x.shape, (heap, y) => addon.unary(heap, UNARY_OPS[kernelName], offsetOf(be, x), y, n));
    },
  };
}

const fourBytes = (dtype: tf.DataType): boolean => dtype === 'float32' || dtype === 'int32';

const concat: NativeKernel = {
  kernelName: 'Concat',
  run(addon, { inputs, attrs, backend }) {
    const parts = inputs as unknown as TensorInfo[];
    if (parts.length < 2 || !parts.every((t) => t.dtype === parts[0].dtype) || !fourBytes(parts[0].dtype) || parts.some((t) => isEmpty(t.shape))) return undefined;
    const axis = tf.util.parseAxisParam((attrs as { axis: number }).axis, parts[0].shape)[0];
    tf.backend_util.assertParamsConsistent(parts.map((t) => t.shape), axis);
    const outShape = tf.backend_util.computeOutShape(parts.map((t) => t.shape), axis);
    if (tf.util.sizeFromShape(outShape) < SMALL) return undefined;
    const outer = tf.util.sizeFromShape(outShape.slice(0, axis));
    const be = backend as unknown as WasmBackendLike;
    const inners = Float64Array.from(parts, (t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const out = be.makeOutput(outShape, parts[0].dtype);
    addon.concat(be.wasm.HEAPU8.buffer as ArrayBuffer, Float64Array.from(parts, (t) => offsetOf(be, t)), inners, outer, offsetOf(be, out));
    return out;
  },
};

const splitV: NativeKernel = {
  kernelName: 'SplitV',
  run(addon, { inputs, attrs, backend }) {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as { numOrSizeSplits: number | number[]; axis: number };
    if (!fourBytes(x.dtype) || tf.util.sizeFromShape(x.shape) < SMALL) return undefined;
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, a.numOrSizeSplits, axis);
    if (sizes.some((s) => s === 0)) return undefined;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const rest = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    const be = backend as unknown as WasmBackendLike;
    const outs = sizes.map((size) => be.makeOutput(x.shape.map((d, i) => (i === axis ? size : d)), x.dtype));
    addon.split(be.wasm.HEAPU8.buffer as ArrayBuffer, offsetOf(be, x), outer, Float64Array.from(outs, (t) => offsetOf(be, t)), Float64Array.from(sizes, (s) => s * rest));
    return outs as unknown as TensorInfo;
  },
};

/** Name of the fused batch-norm gradient kernel (no tfjs kernel of its own; see fusedBatchNormGrad). */
export const BATCH_NORM_GRAD = 'TgsBatchNormGrad';

const batchNormGrad: NativeKernel = {
  kernelName: BATCH_NORM_GRAD,
  run(addon, { inputs, attrs, backend }) {
    const { dy, x, mean, variance, scale } = inputs as Record<string, TensorInfo | undefined> & { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo };
    const be = backend as unknown as WasmBackendLike;
    const eps = Number((attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001);
    const n = tf.util.sizeFromShape(x.shape);
    const c = x.shape[x.shape.length - 1];
    const dx = be.makeOutput(x.shape, 'float32');
    const dmean = be.makeOutput(mean.shape, 'float32');
    const dvar = be.makeOutput(variance.shape, 'float32');
    const dscale = scale == null ? undefined : be.makeOutput(scale.shape, 'float32');
    const doffset = be.makeOutput(mean.shape, 'float32');
    const o = (t: TensorInfo | undefined): number => (t === undefined ? -1 : offsetOf(be, t));
    addon.batchNormGrad(be.wasm.HEAPU8.buffer as ArrayBuffer, o(x), o(dy), o(mean), o(variance), o(scale ?? undefined), eps, o(dx), o(dmean), o(dvar), o(dscale), o(doffset), n, c);
    return [dx, dmean, dvar, ...(dscale ? [dscale] : []), doffset] as unknown as TensorInfo;
  },
};

/**
 * The gradient of FusedBatchNorm in one native kernel, or undefined where it does not apply (not
 * on wasm with the native kernels, other dtypes, statistics that are not per-channel, small
 * tensors): then the caller composes it from tfjs ops. Returns [dx, dmean, dvariance, dscale?, doffset]
 * (dscale only with a scale); see csrc/elementwise.h for the formulas.
 */
export function fusedBatchNormGrad(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor | undefined, varianceEpsilon: number): tf.Tensor[] | undefined {
  if (tf.getBackend() !== 'wasm' || tf.getKernel(BATCH_NORM_GRAD, 'wasm') === undefined) return undefined;
  const perChannel = (t: tf.Tensor | undefined): boolean => t === undefined || (t.dtype === 'float32' && broadcastMode(t.shape, x.shape) === PER_CHANNEL);
  const c = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, x.shape) || x.size < SMALL || c === 1 || ![mean, variance, scale].every(perChannel)) return undefined;
  const inputs: Record<string, tf.Tensor> = { dy, x, mean, variance, ...(scale ? { scale } : {}) };
  return tf.engine().runKernel(BATCH_NORM_GRAD, inputs as unknown as tf.NamedTensorMap, { varianceEpsilon } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
}

const NATIVE_KERNELS: readonly NativeKernel[] = [
  conv2d,
  fusedConv2d,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  maxPool,
  maxPoolGrad,
  ...Object.keys(BINARY_OPS).map(binaryKernel),
  reduceKernel('Sum'),
  reduceKernel('Mean'),
  fusedBatchNorm,
  ...Object.keys(UNARY_OPS).map(unaryKernel),
  concat,
  splitV,
  batchNormGrad,
];

/** Names of the wasm kernels the addon replaces. */
export const NATIVE_KERNEL_NAMES: readonly string[] = NATIVE_KERNELS.map((k) => k.kernelName);

/**
 * Kernel functions for the wasm backend that run natively and call `fallbackOf(name)` (the kernel
 * they replace) for what they do not take. The caller registers them (keeping each stock
 * kernel's setupFunc).
 */
export function nativeKernelFuncs(addon: NativeAddon, fallbackOf: FallbackLookup): Map<string, tf.KernelFunc> {
  const funcs = new Map<string, tf.KernelFunc>();
  for (const k of NATIVE_KERNELS) {
    const fallback = fallbackOf(k.kernelName);
    funcs.set(k.kernelName, (args) => {
      const out = k.run(addon, args);
      if (out !== undefined) {
        count(k.kernelName, true);
        return out;
      }
      count(k.kernelName, false);
      if (fallback === undefined) throw new Error(`wasm ${k.kernelName}: no kernel to fall back to for this input`);
      return fallback(args);
    });
  }
  return funcs;
}
