/**
 * Loading tfjs's wasm backend in Node (and under jest) with our training kernels, and optionally
 * the native oneDNN kernels over them.
 */
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '@segkit/native';
import { registerWasmTrainingKernels } from './kernels/register';

/**
 * Directory holding the `tfjs-backend-wasm*.wasm` binaries. In Node the emscripten loader resolves
 * them relative to the bundle it runs from, which breaks under jest/tsx transforms and bundlers, so
 * we point it at the package's dist directory explicitly.
 */
export function wasmBinaryDir(): string {
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return join(dir, 'dist');
}

let pathsSet = false;

/**
 * Makes the wasm backend usable: sets the binary paths (once), registers our training kernels
 * (and, with `addon`, the native kernels) and switches to 'wasm'. Returns false when the backend
 * failed to initialise. The SIMD binary is used when the runtime supports SIMD (Node >= 16 does);
 * the wasm module itself is single-threaded in Node, the native kernels use their own threads.
 */
export async function activateWasm(addon?: NativeAddon): Promise<boolean> {
  if (!pathsSet) {
    const dir = wasmBinaryDir();
    if (!existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm'))) {
      throw new Error(`wasm binaries not found in ${dir}`);
    }
    // Loaded lazily: importing the package registers the wasm backend with a higher priority than
    // cpu, which would change tfjs's default backend for every importer of this library.
    const wasmPackage = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasmPackage.setWasmPaths(dir + '/');
    pathsSet = true;
  }
  registerWasmTrainingKernels(addon);
  return tf.setBackend('wasm');
}
