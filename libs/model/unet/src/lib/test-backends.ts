import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let wasmPathsSet = false;

/**
 * Switches tfjs to `backend`, pointing the wasm backend at its binaries under node_modules first.
 * Kept apart from test-helpers: importing the wasm package makes it the default backend.
 */
export async function useBackend(backend: 'cpu' | 'wasm'): Promise<void> {
  if (backend === 'wasm' && !wasmPathsSet) {
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    setWasmPaths(dist + path.sep);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(backend)) || tf.getBackend() !== backend) throw new Error(`could not initialise the ${backend} backend`);
  await tf.ready();
}
