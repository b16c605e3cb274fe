/**
 * Helpers for writing wasm kernels by composing the wasm backend's own kernels (Conv2D, Transpose,
 * PadV2, ...), which run inside the WebAssembly module (XNNPACK, SIMD). A composed kernel calls
 * `kernelFunc`s directly, below the tfjs engine, so intermediates are raw `TensorInfo`s that must
 * be freed with `backend.disposeData` (the {@link Scope} helper does this).
 */
import * as tf from '@tensorflow/tfjs';

export type TensorInfo = tf.TensorInfo;
export type NamedAttrMap = tf.NamedAttrMap;

/** The subset of the wasm backend used by composed kernels. */
export interface KernelBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Runs the kernel `name` of the `wasm` backend on raw tensor infos. */
export function runWasm(backend: KernelBackend, name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc({ inputs, attrs, backend: backend as unknown as tf.KernelBackend }) as TensorInfo;
}

/**
 * Tracks intermediates of one kernel call and frees them all at the end, except the returned
 * output. Reshapes on wasm share the data buffer with a reference count, so each returned info is
 * released exactly once, like a tensor.
 */
export class Scope {
  private readonly owned: TensorInfo[] = [];
  constructor(private readonly backend: KernelBackend) {}

  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const out = runWasm(this.backend, name, inputs, attrs);
    this.owned.push(out);
    return out;
  }

  /** Frees every intermediate except `keep` and returns it. */
  finish(keep: TensorInfo): TensorInfo {
    for (const t of this.owned) if (t !== keep) this.backend.disposeData(t.dataId);
    return keep;
  }

  /** Frees every intermediate (for error paths). */
  abandon(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }
  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }
  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    return this.run('Reverse', { x }, { dims });
  }
  /**
   * Plain NHWC convolution on wasm (XNNPACK). `pad` may be 'valid', 'same' or explicit
   * `[[0,0],[top,bottom],[left,right],[0,0]]`.
   */
  conv2d(x: TensorInfo, filter: TensorInfo, strides: [number, number], dilations: [number, number], pad: 'valid' | 'same' | [number, number][]): TensorInfo {
    return this.run('Conv2D', { x, filter }, { strides, dilations, pad: pad as never, dataFormat: 'NHWC', dimRoundingMode: undefined as never });
  }
}

/** Runs `body` in a scope; on error every intermediate is freed before rethrowing. */
export function composed(backend: KernelBackend, body: (s: Scope) => TensorInfo): TensorInfo {
  const scope = new Scope(backend);
  let out: TensorInfo;
  try {
    out = body(scope);
  } catch (err) {
    scope.abandon();
    throw err;
  }
  return scope.finish(out);
}
