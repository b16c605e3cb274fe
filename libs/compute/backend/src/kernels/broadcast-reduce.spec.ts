import * as tf from '@tensorflow/tfjs';
import { expectNoLeaks, useWasm } from '../testing/helpers';
import { identityConfig, tileConfig } from './broadcast-reduce';

/** Independent reference: out[i_0..i_r] = x[i_0 mod s_0, ..., i_r mod s_r]. */
function naiveTile(values: number[], shape: number[], reps: number[]): number[] {
  const outShape = shape.map((s, d) => s * reps[d]);
  const total = outShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let src = 0;
    let stride = 1;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const i = rem % outShape[d];
      rem = Math.floor(rem / outShape[d]);
      src += (i % shape[d]) * stride;
      stride *= shape[d];
    }
    out.push(values[src]);
  }
  return out;
}

describe('wasm Tile and Identity', () => {
  beforeAll(useWasm);

  it('are the active wasm kernels', () => {
    expect(tf.getKernel('Tile', 'wasm')?.kernelFunc).toBe(tileConfig.kernelFunc);
    expect(tf.getKernel('Identity', 'wasm')?.kernelFunc).toBe(identityConfig.kernelFunc);
  });

  it.each<[string, number[], number[]]>([
    ['batch-norm broadcast [1,1,1,C] -> [B,H,W,C]', [1, 1, 1, 3], [2, 3, 4, 1]],
    ['every axis repeated', [2, 3, 2], [3, 2, 2]],
    ['reps of 1 (copy)', [2, 5], [1, 1]],
    ['rank 1', [4], [3]],
    ['odd repetition counts (doubling remainder)', [1, 2], [7, 5]],
    ['inner axis only', [3, 2], [1, 6]],
  ])('tile: %s', async (_name, shape, reps) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, i) => i * 1.5 - 2);
    await expectNoLeaks(() => {
      const x = tf.tensor(values, shape);
      const y = tf.tile(x, reps);
      expect(y.shape).toEqual(shape.map((s, d) => s * reps[d]));
      expect(Array.from(y.dataSync())).toEqual(naiveTile(values, shape, reps));
      tf.dispose([x, y]);
    });
  });

  it('tiles int32 and bool', async () => {
    await expectNoLeaks(() => {
      const i0 = tf.tensor1d([1, -2], 'int32');
      const b0 = tf.tensor2d([[true, false]]);
      const i = tf.tile(i0, [2]);
      const b = tf.tile(b0, [2, 1]);
      expect(Array.from(i.dataSync())).toEqual([1, -2, 1, -2]);
      expect(Array.from(b.dataSync())).toEqual([1, 0, 1, 0]);
      tf.dispose([i0, b0, i, b]);
    });
  });

  it('identity shares the buffer and survives disposing the source', async () => {
    await expectNoLeaks(() => {
      const x = tf.tensor1d([3, 4, 5]);
      const y = tf.engine().runKernel('Identity', { x }) as tf.Tensor;
      x.dispose();
      expect(Array.from(y.dataSync())).toEqual([3, 4, 5]);
      y.dispose();
    });
  });

  it('a same-dtype cast shares the buffer; other casts still convert', async () => {
    await expectNoLeaks(() => {
      const x = tf.tensor1d([1.5, -2.25, 0]);
      const same = tf.cast(x, 'float32');
      const toInt = tf.cast(x, 'int32');
      x.dispose();
      expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 0]);
      expect(Array.from(toInt.dataSync())).toEqual([1, -2, 0]);
      tf.dispose([same, toInt]);
    });
  });

  it('a training step through batch norm (tile + identity in its gradient) matches the cpu backend', async () => {
    const run = (): number[] =>
      tf.tidy(() => {
        const x = tf.tensor4d(Array.from({ length: 2 * 3 * 3 * 2 }, (_, i) => Math.sin(i)), [2, 3, 3, 2]);
        const scale = tf.tensor1d([1.5, -0.5]);
        const g = tf.grad((t: tf.Tensor) => {
          const m = tf.moments(t, [0, 1, 2]);
          return tf.sum(tf.mul(tf.batchNorm(t as tf.Tensor4D, m.mean, m.variance, tf.zeros([2]), scale, 1e-3), t));
        })(x);
        return Array.from(g.dataSync());
      });
    await useWasm();
    const wasm = await expectNoLeaks(run);
    await tf.setBackend('cpu');
    const cpu = run();
    await useWasm();
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i], 4));
  });
});
