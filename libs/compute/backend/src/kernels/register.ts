/**
 * Registers our training kernels on the wasm backend, replacing missing or slow stock ones.
 * Idempotent: safe to call once per process or many times.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d-grads';
import { maxPoolGradConfig } from './max-pool-grad';
import { concatConfig, sliceConfig, splitVConfig, stockKernels } from './copy';

/** The kernels this library provides for wasm, in registration order. */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  concatConfig,
  sliceConfig,
  splitVConfig,
  maxPoolGradConfig,
];

/** Registers {@link WASM_TRAINING_KERNELS} for the 'wasm' backend (replacing stock versions). */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current === config) continue;
    if (current !== undefined) {
      // Kept for dtypes our versions do not handle (strings).
      if (!stockKernels.has(config.kernelName)) stockKernels.set(config.kernelName, current.kernelFunc);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel(config);
  }
}

/** Whether our kernel (not the stock one) is the active wasm implementation of every name. */
export function wasmTrainingKernelsRegistered(): boolean {
  return WASM_TRAINING_KERNELS.every((c) => tf.getKernel(c.kernelName, 'wasm') === c);
}
