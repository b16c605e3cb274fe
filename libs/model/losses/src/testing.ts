/** Test helpers shared by the specs of this lib (not exported from the public entry). */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';
import { uniformSource } from '@segkit/random';

let wasmPathsSet = false;

/** Switches tfjs to `backend`, pointing the wasm backend at its binaries under node_modules first. */
export async function useBackend(backend: 'cpu' | 'wasm'): Promise<void> {
  // Silences the "install the node backend" banner. Not IS_TEST: that flag also turns on tfjs' kernel
  // leak check, which misfires on wasm for every tf.customGrad that saves a tensor (the saved clone is
  // a new data id created inside the kernel window, released after backprop).
  tf.env().set('PROD', true);
  if (backend === 'wasm' && !wasmPathsSet) {
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    setWasmPaths(dist + path.sep);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(backend)) || tf.getBackend() !== backend) throw new Error(`could not initialise the ${backend} backend`);
  await tf.ready();
}

/** Runs fn and fails if it left tensors behind (fn must dispose what it creates and returns nothing). */
export function expectNoLeak(fn: () => void): void {
  const before = tf.memory().numTensors;
  fn();
  expect(tf.memory().numTensors).toBe(before);
}

/** Seeded uniform source (mulberry32 from @segkit/random) so random cases are reproducible. */
export const rng = uniformSource;

/** Standard normal sample (Box–Muller) from a uniform source. */
export function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Value and gradient of loss(labels, logits) w.r.t. logits, as plain float64 arrays; disposes everything. */
export function valueAndGradOf(
  loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar,
  labels: number[],
  logits: number[],
  shape: number[],
): { value: number; grad: number[] } {
  const y = tf.tensor(labels, shape, 'float32');
  const x = tf.tensor(logits, shape, 'float32');
  const { value, grad } = tf.valueAndGrad((l: tf.Tensor) => loss(y, l))(x);
  const out = { value: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
  tf.dispose([y, x, value, grad]);
  return out;
}

/** Central finite differences of a float64 function of a vector. */
export function finiteDifferences(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}
