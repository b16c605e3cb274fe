/**
 * Memory-bound kernels (Concat, Slice, SplitV) for the wasm backend. The stock 4.22 versions copy
 * one innermost row at a time through `subarray().set()`, which allocates a view per row: a U-Net
 * skip concatenation of two [8,128,128,16] tensors makes 262,144 views and takes ~75 ms. These
 * versions copy short rows with a plain indexed loop (which V8 compiles to a tight loop) and long
 * rows with `copyWithin`-style block copies, giving ~10x on channel-axis concat/slice.
 */
import * as tf from '@tensorflow/tfjs';
import { TensorInfo } from './compose';

type Heap = Float32Array | Int32Array | Uint8Array;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Heap;
}

/** Rows shorter than this are copied element by element; longer ones with `set`. */
const SHORT_ROW = 64;

/**
 * Copies `rows` rows of `len` elements: row r goes from src[srcOff + r*srcStride ...] to
 * dst[dstOff + r*dstStride ...].
 */
export function copyRows(src: Heap, srcOff: number, srcStride: number, dst: Heap, dstOff: number, dstStride: number, len: number, rows: number): void {
  if (len >= SHORT_ROW) {
    for (let r = 0; r < rows; r++) {
      const s = srcOff + r * srcStride;
      dst.set(src.subarray(s, s + len), dstOff + r * dstStride);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    let s = srcOff + r * srcStride;
    let d = dstOff + r * dstStride;
    const end = s + len;
    while (s < end) dst[d++] = src[s++];
  }
}

const isNumeric = (dtype: tf.DataType): boolean => dtype === 'float32' || dtype === 'int32' || dtype === 'bool';

/** Fallbacks (stock kernels) for dtypes we do not handle, captured at registration. */
export const stockKernels = new Map<string, tf.KernelFunc>();

function fallback(name: string, args: Parameters<tf.KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const stock = stockKernels.get(name);
  if (stock === undefined) throw new Error(`wasm ${name}: no stock kernel to fall back to`);
  return stock(args) as TensorInfo | TensorInfo[];
}

/** Concatenation along `axis`: out[outer, (input i's block)] for each outer index. */
function concat(args: Parameters<tf.KernelFunc>[0]): TensorInfo {
  const inputs = args.inputs as unknown as TensorInfo[];
  const backend = args.backend as unknown as WasmBackendLike;
  if (!isNumeric(inputs[0].dtype)) return fallback('Concat', args) as TensorInfo;
  const axis = tf.util.parseAxisParam((args.attrs ?? {}).axis as number, inputs[0].shape)[0];
  tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
  const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (nonEmpty.length === 0) return out;
  const outer = tf.util.sizeFromShape(outShape.slice(0, axis));
  const inner = nonEmpty.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
  const total = inner.reduce((a, b) => a + b, 0);
  // Heap views are taken after makeOutput: allocating may grow (and detach) the wasm memory.
  const dst = backend.typedArrayFromHeap(out);
  let offset = 0;
  nonEmpty.forEach((t, i) => {
    copyRows(backend.typedArrayFromHeap(t), 0, inner[i], dst, offset, total, inner[i], outer);
    offset += inner[i];
  });
  return out;
}

/**
 * out = x[begin : begin + size] for any rank: the trailing dims that are taken whole merge into
 * one contiguous row; the leading dims are walked with an odometer.
 */
export function sliceInto(src: Heap, shape: number[], begin: number[], size: number[], dst: Heap): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const strides = tf.util.computeStrides(shape).concat([1]);
  // Merge trailing full dims into the row.
  let rowDim = rank - 1;
  while (rowDim > 0 && begin[rowDim] === 0 && size[rowDim] === shape[rowDim]) rowDim--;
  const rowLen = tf.util.sizeFromShape(size.slice(rowDim));
  // Rows are indexed by the dims before rowDim; the last of those steps by its stride.
  const outerDims = size.slice(0, rowDim);
  const base = begin.reduce((acc, b, d) => acc + b * strides[d], 0);
  if (outerDims.length === 0) {
    copyRows(src, base, 0, dst, 0, 0, rowLen, 1);
    return;
  }
  const last = rowDim - 1;
  const innerRows = size[last];
  const idx = new Array<number>(last).fill(0);
  let d = 0;
  for (;;) {
    let off = base;
    for (let k = 0; k < last; k++) off += idx[k] * strides[k];
    copyRows(src, off, strides[last], dst, d, rowLen, rowLen, innerRows);
    d += rowLen * innerRows;
    let k = last - 1;
    while (k >= 0 && ++idx[k] === size[k]) idx[k--] = 0;
    if (k < 0) break;
  }
}

function slice(args: Parameters<tf.KernelFunc>[0]): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  const backend = args.backend as unknown as WasmBackendLike;
  if (!isNumeric(x.dtype)) return fallback('Slice', args) as TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, (args.attrs ?? {}).begin as number[], (args.attrs ?? {}).size as number[]);
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  sliceInto(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

function splitV(args: Parameters<tf.KernelFunc>[0]): TensorInfo[] {
  const x = args.inputs.x as TensorInfo;
  const backend = args.backend as unknown as WasmBackendLike;
  if (!isNumeric(x.dtype)) return fallback('SplitV', args) as TensorInfo[];
  const axis = tf.util.parseAxisParam((args.attrs ?? {}).axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, (args.attrs ?? {}).numOrSizeSplits as number[] | number, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const out = backend.makeOutput(size, x.dtype);
    if (s > 0) sliceInto(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
    begin[axis] += s;
    return out;
  });
}

export const concatConfig: tf.KernelConfig = { kernelName: 'Concat', backendName: 'wasm', kernelFunc: concat as tf.KernelFunc };
export const sliceConfig: tf.KernelConfig = { kernelName: 'Slice', backendName: 'wasm', kernelFunc: slice as tf.KernelFunc };
export const splitVConfig: tf.KernelConfig = { kernelName: 'SplitV', backendName: 'wasm', kernelFunc: splitV as tf.KernelFunc };
