/** Test helpers (not exported from the library). */
import * as tf from '@tensorflow/tfjs';
import { activateWasm } from '../wasm';

/** Runs `fn` and asserts that it leaves no tensors behind on the current backend. */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

export async function useWasm(): Promise<void> {
  if (!(await activateWasm()) || tf.getBackend() !== 'wasm') throw new Error('wasm backend did not initialise');
}

export async function useCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), independent of any tfjs RNG. */
export function randomValues(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** max |a - b| / max(|b|, tiny): error relative to the reference's scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
