import * as tf from '@tensorflow/tfjs';
import { activateWasm } from '../wasm';
import { nativeAddon } from '@segkit/native';

export type TestBackend = 'cpu' | 'wasm' | 'wasm+native';

/** The wasm variants to test here: plain wasm, and wasm with the oneDNN kernels where built (always in CI). */
export const WASM_VARIANTS: ('wasm' | 'wasm+native')[] = nativeAddon().addon || process.env.CI === 'true' ? ['wasm', 'wasm+native'] : ['wasm'];

/**
 * Switches tfjs to `backend`; 'wasm' goes through the backend lib so its training kernels
 * (Conv2DBackpropFilter/Input, which stock tfjs-backend-wasm lacks) are registered.
 * Kept apart from test-helpers: loading the wasm package makes it the default backend.
 */
export async function useBackend(backend: TestBackend): Promise<void> {
  let ok: boolean;
  if (backend === 'cpu') ok = await tf.setBackend('cpu');
  else if (backend === 'wasm') ok = await activateWasm();
  else {
    const state = nativeAddon();
    if (state.addon === undefined) throw new Error(`wasm+native requested but ${state.reason}`);
    ok = await activateWasm(state.addon);
  }
  if (!ok || tf.getBackend() !== (backend === 'cpu' ? 'cpu' : 'wasm')) throw new Error(`could not initialise the ${backend} backend`);
  await tf.ready();
}
