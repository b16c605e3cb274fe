/**
 * Registers our training kernels on the wasm backend, replacing missing or slow stock ones, and,
 * when the oneDNN addon is given, the native kernels on top of them. Each name ends up with one
 * kernel function, layered as native -> ours -> stock: a layer that does not take an input (a
 * dtype, a geometry oneDNN refuses) calls the one below it.
 * Idempotent: calling it again with the same addon (or none) changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelFuncs, NATIVE_KERNEL_NAMES, NativeAddon } from '@segkit/native';
import { castConfig, identityConfig, tileConfig } from './broadcast-reduce';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d-grads';
import { concatConfig, sliceConfig, splitVConfig, stockKernels } from './copy';
import { maxPoolGradConfig } from './max-pool-grad';

/** The kernels this library provides for wasm, in registration order. */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  concatConfig,
  sliceConfig,
  splitVConfig,
  maxPoolGradConfig,
  tileConfig,
  identityConfig,
  castConfig,
];

/** The stock wasm kernels as tfjs-backend-wasm registered them, captured before any replacement. */
const stock = new Map<string, tf.KernelConfig>();
/** What is registered now, by name, and for which addon. */
let active: { addon: NativeAddon | undefined; funcs: Map<string, tf.KernelFunc> } | undefined;

function captureStock(names: Iterable<string>): void {
  const ours = new Set<tf.KernelFunc>(active ? [...active.funcs.values()] : []);
  for (const name of names) {
    if (stock.has(name)) continue;
    const current = tf.getKernel(name, 'wasm');
    if (current !== undefined && !ours.has(current.kernelFunc)) {
      stock.set(name, current);
      // Kept for the dtypes our versions do not handle.
      stockKernels.set(name, current.kernelFunc);
    }
  }
}

/**
 * Registers {@link WASM_TRAINING_KERNELS} for the 'wasm' backend (replacing stock versions) and,
 * with `addon`, the native oneDNN kernels over them.
 */
export function registerWasmTrainingKernels(addon?: NativeAddon): void {
  if (active !== undefined && active.addon === addon && wasmTrainingKernelsRegistered()) return;
  const names = [...new Set([...WASM_TRAINING_KERNELS.map((c) => c.kernelName), ...(addon ? NATIVE_KERNEL_NAMES : [])])];
  captureStock([...names, ...NATIVE_KERNEL_NAMES]);
  const funcs = new Map<string, tf.KernelFunc>();
  for (const c of WASM_TRAINING_KERNELS) funcs.set(c.kernelName, c.kernelFunc);
  const below = (name: string): tf.KernelFunc | undefined => funcs.get(name) ?? stock.get(name)?.kernelFunc;
  if (addon !== undefined) {
    const native = nativeKernelFuncs(addon, below);
    for (const [name, func] of native) funcs.set(name, func);
  }
  // Native kernels of an earlier registration that this one does not have go back to stock/ours.
  const restore = active ? [...active.funcs.keys()].filter((n) => !funcs.has(n)) : [];
  for (const name of restore) {
    tf.unregisterKernel(name, 'wasm');
    const s = stock.get(name);
    if (s !== undefined) tf.registerKernel(s);
  }
  for (const [name, kernelFunc] of funcs) {
    if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
    const setupFunc = stock.get(name)?.setupFunc;
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, ...(setupFunc ? { setupFunc } : {}) });
  }
  active = { addon, funcs };
}

/** Whether our kernels (and the native ones, when registered with an addon) are the active wasm implementations. */
export function wasmTrainingKernelsRegistered(): boolean {
  if (active === undefined) return false;
  for (const [name, func] of active.funcs) if (tf.getKernel(name, 'wasm')?.kernelFunc !== func) return false;
  return true;
}

/** Whether the native kernels are the active wasm implementations. */
export function nativeKernelsRegistered(): boolean {
  return active?.addon !== undefined && wasmTrainingKernelsRegistered();
}
