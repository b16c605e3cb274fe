import * as tf from '@tensorflow/tfjs';
import { expectNoLeaks, useWasm } from '../testing/helpers';
import { concatConfig, sliceConfig, splitVConfig } from './copy';

/** Independent reference: element-by-element slicing through multi-indices. */
function naiveSlice(values: number[], shape: number[], begin: number[], size: number[]): number[] {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const total = size.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let src = 0;
    for (let d = size.length - 1; d >= 0; d--) {
      const i = rem % size[d];
      rem = Math.floor(rem / size[d]);
      src += (begin[d] + i) * strides[d];
    }
    out.push(values[src]);
  }
  return out;
}

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('wasm copy kernels', () => {
  beforeAll(useWasm);

  it('are the active wasm kernels', () => {
    expect(tf.getKernel('Concat', 'wasm')?.kernelFunc).toBe(concatConfig.kernelFunc);
    expect(tf.getKernel('Slice', 'wasm')?.kernelFunc).toBe(sliceConfig.kernelFunc);
    expect(tf.getKernel('SplitV', 'wasm')?.kernelFunc).toBe(splitVConfig.kernelFunc);
  });

  it.each<[string, number[], number[], number[]]>([
    ['channel slice of NHWC', [2, 3, 4, 5], [0, 0, 0, 1], [2, 3, 4, 3]],
    ['spatial crop', [2, 5, 6, 3], [1, 1, 2, 0], [1, 3, 3, 3]],
    ['contiguous leading block', [4, 3, 2], [1, 0, 0], [2, 3, 2]],
    ['rank 1', [10], [3], [5]],
    ['rank 2 long rows (block copies)', [3, 200], [1, 10], [2, 150]],
    ['rank 6', [2, 2, 3, 2, 2, 3], [1, 0, 1, 0, 1, 1], [1, 2, 2, 2, 1, 2]],
    ['empty', [3, 4], [1, 1], [0, 2]],
  ])('slice: %s', async (_name, shape, begin, size) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = iota(n).map((v) => v * 0.5 - 3);
    await expectNoLeaks(() => {
      const x = tf.tensor(values, shape);
      const y = tf.slice(x, begin, size);
      expect(y.shape).toEqual(size);
      expect(Array.from(y.dataSync())).toEqual(naiveSlice(values, shape, begin, size));
      tf.dispose([x, y]);
    });
  });

  it.each<[string, number[][], number]>([
    ['U-Net skip concat on channels', [[2, 3, 3, 4], [2, 3, 3, 2]], 3],
    ['three inputs on axis 1', [[2, 1, 3], [2, 2, 3], [2, 4, 3]], 1],
    ['axis 0', [[1, 4], [3, 4]], 0],
    ['long rows', [[2, 100], [2, 300]], 1],
    ['with an empty input', [[2, 0, 3], [2, 2, 3]], 1],
  ])('concat: %s', async (_name, shapes, axis) => {
    let next = 0;
    const inputs = shapes.map((s) => iota(s.reduce((a, b) => a * b, 1)).map(() => next++));
    await expectNoLeaks(() => {
      const ts = inputs.map((v, i) => tf.tensor(v, shapes[i], 'int32'));
      const y = tf.concat(ts, axis);
      // Reference: for each outer index, append each input's block.
      const outer = shapes[0].slice(0, axis).reduce((a, b) => a * b, 1);
      const expected: number[] = [];
      for (let o = 0; o < outer; o++)
        inputs.forEach((v, i) => {
          const inner = shapes[i].slice(axis).reduce((a, b) => a * b, 1);
          expected.push(...v.slice(o * inner, (o + 1) * inner));
        });
      expect(Array.from(y.dataSync())).toEqual(expected);
      tf.dispose([...ts, y]);
    });
  });

  it('split on the channel axis inverts concat (float32 and bool)', async () => {
    await expectNoLeaks(() => {
      const a = tf.tensor4d(iota(24).map((v) => v + 0.25), [2, 2, 2, 3]);
      const b = tf.tensor4d(iota(16).map((v) => -v), [2, 2, 2, 2]);
      const ab = tf.concat([a, b], 3);
      const [a2, b2] = tf.split(ab, [3, 2], 3);
      expect(Array.from(a2.dataSync())).toEqual(Array.from(a.dataSync()));
      expect(Array.from(b2.dataSync())).toEqual(Array.from(b.dataSync()));
      const m = tf.tensor2d([true, false, false, true, true, false], [2, 3]);
      const [m1, m2] = tf.split(m, [1, 2], 1);
      expect(Array.from(m1.dataSync())).toEqual([1, 1]);
      expect(Array.from(m2.dataSync())).toEqual([0, 0, 1, 0]);
      tf.dispose([a, b, ab, a2, b2, m, m1, m2]);
    });
  });

  it('string tensors fall back to the stock kernels', async () => {
    await expectNoLeaks(() => {
      const s = tf.tensor1d(['a', 'b', 'c']);
      const d = tf.tensor1d(['d']);
      const t = tf.concat([s, d]);
      const u = tf.slice(t, [1], [3]);
      expect(u.arraySync()).toEqual(['b', 'c', 'd']);
      tf.dispose([s, d, t, u]);
    });
  });
});
