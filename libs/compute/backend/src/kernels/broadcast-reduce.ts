/**
 * Kernels that dominated a batch-norm U-Net's backward pass on stock wasm 4.22 (measured on the
 * models library's default U-Net, 8x101x101: Tile 1.2 s and Identity 0.09 s of a 4.3 s step; with
 * these, 3.0 s):
 *   - Tile: batch-norm gradients broadcast a per-channel [1,1,1,C] vector to [B,H,W,C] with tile.
 *     Here: place x once, then replicate along each axis with doubling `copyWithin` (memmove).
 *   - Identity: the stock kernel copies the buffer; tensors are immutable, so (as on the cpu
 *     backend) it shares the buffer with a reference count. Cast to the same dtype likewise.
 */
import * as tf from '@tensorflow/tfjs';
import { TensorInfo } from './compose';
import { copyRows, stockKernels } from './copy';

type Heap = Float32Array | Int32Array | Uint8Array;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Heap;
  incRef(dataId: object): void;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function fallback(name: string, args: KernelArgs): TensorInfo {
  const stock = stockKernels.get(name);
  if (stock === undefined) throw new Error(`wasm ${name}: no stock kernel to fall back to`);
  return stock(args) as TensorInfo;
}

/**
 * Fills `out` (shape x.shape[d] * reps[d]) with x tiled `reps` times. Invariant after handling
 * axis d (from the last to the first): for every prefix index (i_0..i_{d-1}, each < x.shape[k]),
 * the sub-block over axes d..r-1 is fully tiled.
 */
export function tileInto(x: Heap, shape: number[], reps: number[], out: Heap): void {
  const r = shape.length;
  const outShape = shape.map((s, d) => s * reps[d]);
  const outStrides = tf.util.computeStrides(outShape).concat([1]);
  // 1. Place x at tile index 0 along every axis: rows of the last axis, strided like out.
  const rows = tf.util.sizeFromShape(shape.slice(0, -1));
  const rowLen = shape[r - 1];
  if (r === 1) {
    copyRows(x, 0, 0, out, 0, 0, rowLen, 1);
  } else {
    const idx = new Array<number>(r - 1).fill(0);
    for (let row = 0; row < rows; row++) {
      let off = 0;
      for (let k = 0; k < r - 1; k++) off += idx[k] * outStrides[k];
      copyRows(x, row * rowLen, 0, out, off, 0, rowLen, 1);
      let k = r - 2;
      while (k >= 0 && ++idx[k] === shape[k]) idx[k--] = 0;
    }
  }
  // 2. Replicate along each axis, innermost first.
  for (let d = r - 1; d >= 0; d--) {
    if (reps[d] === 1) continue;
    const chunk = shape[d] * outStrides[d]; // filled extent along axis d
    const full = outShape[d] * outStrides[d];
    const prefixCount = tf.util.sizeFromShape(shape.slice(0, d));
    const idx = new Array<number>(d).fill(0);
    for (let p = 0; p < prefixCount; p++) {
      let start = 0;
      for (let k = 0; k < d; k++) start += idx[k] * outStrides[k];
      let filled = chunk;
      while (filled < full) {
        const n = Math.min(filled, full - filled);
        out.copyWithin(start + filled, start, start + n);
        filled += n;
      }
      let k = d - 1;
      while (k >= 0 && ++idx[k] === shape[k]) idx[k--] = 0;
    }
  }
}

function tile(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  const reps = (args.attrs ?? {}).reps as number[];
  if (!['float32', 'int32', 'bool'].includes(x.dtype) || reps.length !== x.shape.length) return fallback('Tile', args);
  const be = args.backend as unknown as WasmBackendLike;
  const outShape = x.shape.map((s, d) => s * reps[d]);
  const out = be.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  tileInto(be.typedArrayFromHeap(x), x.shape, reps, be.typedArrayFromHeap(out));
  return out;
}

function identity(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  if (x.dtype === 'string' || x.dtype === 'complex64') return fallback('Identity', args);
  (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/**
 * Cast to the tensor's own dtype is an identity (tfjs-layers casts every float32 activation to
 * float32; the stock kernel copies: 4 % of a BatchNorm U-Net step). Other casts go to stock.
 */
function cast(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  if (x.dtype !== (args.attrs as { dtype: tf.DataType }).dtype || x.dtype === 'string' || x.dtype === 'complex64') return fallback('Cast', args);
  (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

export const castConfig: tf.KernelConfig = { kernelName: 'Cast', backendName: 'wasm', kernelFunc: cast as tf.KernelFunc };
export const tileConfig: tf.KernelConfig = { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile as tf.KernelFunc };
export const identityConfig: tf.KernelConfig = { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as tf.KernelFunc };
