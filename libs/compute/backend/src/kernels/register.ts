/**
 * Registers our training kernels on the wasm backend, replacing missing or slow stock ones.
 * Idempotent: safe to call once per process or many times.
 */
import * as tf from '@tensorflow/tfjs';
import { identityConfig, tileConfig } from './broadcast-reduce';
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
];

/** Registers {@link WASM_TRAINING_KERNELS} for the 'wasm' backend (replacing stock versions). */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    let setupFunc: tf.KernelSetupFunc | undefined;
    if (current !== undefined) {
      // Kept for the cases our versions do not handle (other dtypes). The stock kernel's
      // wasm bindings are created by its setupFunc at backend initialisation, so ours carries it.
      stockKernels.set(config.kernelName, current.kernelFunc);
      setupFunc = current.setupFunc;
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel(setupFunc === undefined ? config : { ...config, setupFunc });
  }
}

/** Whether our kernel (not the stock one) is the active wasm implementation of every name. */
export function wasmTrainingKernelsRegistered(): boolean {
  return WASM_TRAINING_KERNELS.every((c) => tf.getKernel(c.kernelName, 'wasm')?.kernelFunc === c.kernelFunc);
}
