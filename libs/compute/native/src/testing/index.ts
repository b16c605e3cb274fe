/**
 * Test helpers for the compute kernels: `@segkit/native/testing`, imported by specs only (here and in
 * @segkit/backend), never by production code.
 */
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { nativeAddon, NativeAddon } from '../addon';
import { nativeKernelFuncs, NATIVE_KERNEL_NAMES } from '../kernels';

export { randomValues, relativeError, naiveConv2d, convOutSize, finiteDifference, convGradsByFiniteDifference } from './reference';
export type { ConvCase } from './reference';

/**
 * The addon, or undefined with a printed reason when it is not built on this machine. In CI
 * (`CI=true`) a missing addon is a failure: CI installs oneDNN and must test the native path.
 */
export function addonForTests(): NativeAddon | undefined {
  const s = nativeAddon();
  if (s.addon !== undefined) return s.addon;
  if (process.env.CI === 'true') throw new Error(`CI must test the native kernels, but ${s.reason}`);
  console.warn(`skipping native kernel tests: ${s.reason}`);
  return undefined;
}

const stock = new Map<string, tf.KernelConfig>();

/** Switches to wasm with the native kernels registered over the stock wasm kernels (or back). */
export async function useWasm(addon: NativeAddon | undefined): Promise<void> {
  if (stock.size === 0) {
    const dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    (require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')).setWasmPaths(dir + '/');
    for (const name of NATIVE_KERNEL_NAMES) {
      const k = tf.getKernel(name, 'wasm');
      if (k !== undefined) stock.set(name, k);
    }
  }
  const funcs = addon ? nativeKernelFuncs(addon, (name) => stock.get(name)?.kernelFunc) : new Map<string, tf.KernelFunc>();
  for (const [name, s] of stock) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...s, kernelFunc: funcs.get(name) ?? s.kernelFunc });
  }
  if (addon) {
    for (const [name, kernelFunc] of funcs) {
      if (stock.has(name)) continue;
      if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
      tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
}

export async function useCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
}
