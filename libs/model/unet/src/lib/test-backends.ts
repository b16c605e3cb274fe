import * as tf from '@tensorflow/tfjs';
import { activateWasm } from '@tgs/backend';

/**
 * Switches tfjs to `backend`; 'wasm' goes through the backend lib so its training kernels
 * (Conv2DBackpropFilter/Input, which stock tfjs-backend-wasm lacks) are registered.
 * Kept apart from test-helpers: loading the wasm package makes it the default backend.
 */
export async function useBackend(backend: 'cpu' | 'wasm'): Promise<void> {
  const ok = backend === 'wasm' ? await activateWasm() : await tf.setBackend('cpu');
  if (!ok || tf.getBackend() !== backend) throw new Error(`could not initialise the ${backend} backend`);
  await tf.ready();
}
