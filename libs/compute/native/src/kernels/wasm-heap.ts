/**
 * What every native kernel shares: the wasm backend as the kernels see it, tensors as byte
 * offsets into its heap, outputs allocated before the call, and the fallback bookkeeping.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon';

export type TensorInfo = tf.TensorInfo;
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** What the kernels use of tfjs-backend-wasm's BackendWasm. */
export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * A native kernel: `run` returns its outputs, or undefined when it does not take this input (a
 * dtype, a geometry, a size below SMALL), and then the kernel it replaced runs instead.
 */
export interface NativeKernel {
  kernelName: string;
  run(addon: NativeAddon, args: KernelArgs): TensorInfo | TensorInfo[] | undefined;
}

/** Below this many output elements the wasm kernel runs (measured break-even ~1-2k). */
export const SMALL = 4096;

/** The kernel's backend as the wasm backend; anything else is a registration error. */
export function wasmBackend(backend: unknown): WasmBackendLike {
  if (typeof backend !== 'object' || backend === null || !('wasm' in backend) || !('dataIdMap' in backend) || !('makeOutput' in backend) || !('disposeData' in backend)) {
    throw new Error('the native kernels run on the wasm backend only');
  }
  return backend as WasmBackendLike;
}

/** A kernel's attributes as tfjs declares them for that kernel (tfjs passes a NamedAttrMap). */
export function attrsOf<T extends object>(args: KernelArgs): T {
  return (args.attrs ?? {}) as unknown as T;
}

/** A named input the kernel requires. */
export function input(args: KernelArgs, name: string): TensorInfo {
  const t = args.inputs[name];
  if (t === undefined) throw new Error(`missing input ${name}`);
  return t;
}

/** A named input the kernel may go without (tfjs passes null or undefined). */
export function optionalInput(args: KernelArgs, name: string): TensorInfo | undefined {
  return args.inputs[name] ?? undefined;
}

/** The byte offset of a tensor in the wasm heap. */
export function offsetOf(be: WasmBackendLike, t: TensorInfo): number {
  const data = be.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('tensor is not on the wasm backend');
  return data.memoryOffset;
}

/** The heap's buffer now: read after every allocation, which may have grown (replaced) it. */
export const heapOf = (be: WasmBackendLike): ArrayBuffer => be.wasm.HEAPU8.buffer as ArrayBuffer;

export const isEmpty = (shape: readonly number[]): boolean => shape.some((d) => d === 0);

/** Geometries oneDNN refused once; they go straight to the fallback afterwards. */
const refused = new Set<string>();

export const wasRefused = (key: string): boolean => refused.has(key);

/**
 * Runs `body` on a freshly allocated output; the heap buffer is read after the allocation, which
 * may have grown (and so replaced) the wasm memory. A refusal by oneDNN frees the output, marks
 * the geometry and returns undefined so the caller falls back.
 */
export function withOutput(be: WasmBackendLike, key: string, shape: number[], body: (heap: ArrayBuffer, out: number) => void): TensorInfo | undefined {
  const out = be.makeOutput(shape, 'float32');
  try {
    body(heapOf(be), offsetOf(be, out));
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
