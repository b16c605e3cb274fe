/** Test helpers (not exported from the library); the float64 references are shared with @segkit/native's tests. */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from './backends';

export { convGradsByFiniteDifference, naiveConv2d, randomValues, relativeError, useCpu } from '@segkit/native/testing';
export type { ConvCase } from '@segkit/native/testing';

/** Runs `fn` and asserts that it leaves no tensors behind on the current backend. */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

export async function useWasm(): Promise<void> {
  await useBackend('wasm');
}
