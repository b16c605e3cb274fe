import * as tf from '@tensorflow/tfjs';
import { expectNoLeaks, randomValues, relativeError, useCpu, useWasm } from '../testing/helpers';
import { maxPoolGradConfig } from './max-pool-grad';

async function poolGrad(xv: Float32Array, shape: [number, number, number, number], k: number, s: number, pad: 'same' | 'valid'): Promise<number[]> {
  return expectNoLeaks(() =>
    tf.tidy(() => {
      const x = tf.tensor4d(xv, shape);
      const pooled = tf.maxPool(x, k, s, pad);
      const r = tf.tensor(Float32Array.from(randomValues(pooled.size, 9)), pooled.shape);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, k, s, pad), r)))(x);
      return Array.from(g.dataSync());
    }),
  );
}

describe('wasm MaxPoolGrad', () => {
  it('is registered on wasm', async () => {
    await useWasm();
    expect(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc).toBe(maxPoolGradConfig.kernelFunc);
  });

  it('routes a hand-computed example, ties going to the first maximum', async () => {
    await useWasm();
    // One 4x4 image, 2x2 windows: maxima at (0,1) [5], (1,3) [7], tie of zeros -> (2,0), (3,3) [9].
    const x = tf.tensor4d([1, 5, 2, 3, 4, 0, 6, 7, 0, 0, -1, 2, 0, 0, 8, 9], [1, 4, 4, 1]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]))))(x);
    expect(Array.from(dx.dataSync())).toEqual([0, 10, 0, 0, 0, 0, 0, 20, 30, 0, 0, 0, 0, 0, 0, 40]);
    tf.dispose([x, dx]);
  });

  it.each<[string, [number, number, number, number], number, number, 'same' | 'valid']>([
    ['2x2 stride 2, ReLU-like ties, 3 channels', [2, 6, 8, 3], 2, 2, 'valid'],
    ['3x3 stride 2 same, odd size (overlapping windows)', [1, 7, 5, 2], 3, 2, 'same'],
    ['3x3 stride 1 same', [2, 5, 5, 2], 3, 1, 'same'],
  ])('%s: equals the cpu backend', async (_name, shape, k, s, pad) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // Quantised and clipped at 0 so that many windows hold ties.
    const xv = Float32Array.from(randomValues(n, 4), (v) => Math.max(0, Math.round(v * 3)));
    await useWasm();
    const wasm = await poolGrad(xv, shape, k, s, pad);
    await useCpu();
    const cpu = await poolGrad(xv, shape, k, s, pad);
    // Same routing (which inputs receive gradient); sums of overlapping windows may differ in the
    // last float32 bit (cpu accumulates in float64).
    expect(wasm.map((v) => v !== 0)).toEqual(cpu.map((v) => v !== 0));
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-6);
  });
});
