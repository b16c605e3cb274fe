import * as tf from '@tensorflow/tfjs';
import { nativeAddon, nativeKernelCalls, BATCH_NORM_GRAD } from '@segkit/native';
import { activateWasm } from '../wasm';
import { fusedBatchNormGradConfig } from './batch-norm-grad';

/** Gradients of a scalar function of batchNorm's five inputs. */
function grads(x: tf.Tensor4D, mean: tf.Tensor1D, variance: tf.Tensor1D, offset: tf.Tensor1D, scale: tf.Tensor1D, w: tf.Tensor4D): number[][] {
  return tf.tidy(() => {
    const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3), w));
    return tf.grads(f)([x, mean, variance, offset, scale]).map((g) => Array.from(g.dataSync()));
  });
}

describe('FusedBatchNorm gradient without Tile', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches tfjs-core stock gradient and finite differences', () => {
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
    const mean = tf.randomNormal([5], 0, 1, 'float32', 3) as tf.Tensor1D;
    const variance = tf.randomUniform([5], 0.5, 2, 'float32', 4) as tf.Tensor1D;
    const offset = tf.randomNormal([5], 0, 1, 'float32', 5) as tf.Tensor1D;
    const scale = tf.randomUniform([5], 0.5, 2, 'float32', 6) as tf.Tensor1D;
    const stock = grads(x, mean, variance, offset, scale, w);
    tf.registerGradient(fusedBatchNormGradConfig);
    const ours = grads(x, mean, variance, offset, scale, w);
    for (let k = 0; k < 5; k++) {
      expect(ours[k]).toHaveLength(stock[k].length);
      ours[k].forEach((v, i) => expect(v).toBeCloseTo(stock[k][i], 3));
    }
    // Finite differences on the variance of channel 2: Σ w·(x−μ)·γ·(σ²+ε)^(−½) differentiated in σ².
    const xs = x.arraySync().flat(3);
    const ws = w.arraySync().flat(3);
    const [m2, v2, g2] = [mean.arraySync()[2], variance.arraySync()[2], scale.arraySync()[2]];
    const f = (v: number) => xs.reduce((acc, xi, i) => (i % 5 === 2 ? acc + ws[i] * (xi - m2) * g2 / Math.sqrt(v + 1e-3) : acc), 0);
    const h = 1e-4;
    expect(ours[2][2]).toBeCloseTo((f(v2 + h) - f(v2 - h)) / (2 * h), 2);
    tf.dispose([x, w, mean, variance, offset, scale]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

(nativeAddon().addon || process.env.CI === 'true' ? describe : describe.skip)('FusedBatchNorm gradient in one native kernel (wasm+native)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // (Only with a scale: tfjs cannot save an absent input for the backward pass, on any backend.)
  it.each([['with scale', true]])('%s: matches the composed gradient on cpu', async (_name, withScale) => {
    tf.registerGradient(fusedBatchNormGradConfig);
    const shape: [number, number, number, number] = [4, 12, 10, 16];
    const run = (): number[][] =>
      tf.tidy(() => {
        const x = tf.randomNormal(shape, 0, 1, 'float32', 11);
        const w = tf.randomNormal(shape, 0, 1, 'float32', 12);
        const mean = tf.randomNormal([16], 0, 1, 'float32', 13);
        const variance = tf.randomUniform([16], 0.5, 2, 'float32', 14);
        const offset = tf.randomNormal([16], 0, 1, 'float32', 15);
        const scale = tf.randomUniform([16], 0.5, 2, 'float32', 16);
        const f = (...a: tf.Tensor[]) => tf.sum(tf.mul(tf.batchNorm(a[0] as tf.Tensor4D, a[1] as tf.Tensor1D, a[2] as tf.Tensor1D, a[3] as tf.Tensor1D, withScale ? (a[4] as tf.Tensor1D) : undefined, 1e-3), w));
        return tf.grads(f)(withScale ? [x, mean, variance, offset, scale] : [x, mean, variance, offset]).map((g) => Array.from(g.dataSync()));
      });
    await tf.setBackend('cpu');
    const cpu = run();
    const addon = nativeAddon().addon;
    if (addon === undefined) throw new Error('the native addon is required here');
    await activateWasm(addon);
    const before = nativeKernelCalls.get(BATCH_NORM_GRAD)?.native ?? 0;
    const tensors = tf.memory().numTensors;
    const native = run();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(nativeKernelCalls.get(BATCH_NORM_GRAD)?.native).toBe(before + 1);
    for (let k = 0; k < cpu.length; k++) {
      const scaleOf = Math.max(...cpu[k].map(Math.abs));
      const err = Math.max(...cpu[k].map((v, i) => Math.abs(v - native[k][i])));
      expect(err / scaleOf).toBeLessThan(1e-4);
    }
  });
});
