import * as tf from '@tensorflow/tfjs';
import { meanGradConfig } from './mean-grad';

/** d/dx of sum(mean(x, axes) * w), by hand: w broadcast back over the reduced axes, over N. */
function byHand(shape: number[], axes: number[], w: Float32Array): Float32Array {
  const n = axes.reduce((a, ax) => a * shape[ax], 1);
  const strides = tf.util.computeStrides(shape);
  const keptShape = shape.filter((_, i) => !axes.includes(i));
  const keptStrides = keptShape.length ? tf.util.computeStrides(keptShape).concat([1]) : [1];
  const out = new Float32Array(tf.util.sizeFromShape(shape));
  for (let flat = 0; flat < out.length; flat++) {
    let rem = flat;
    const idx = shape.map((_, d) => {
      const s = d < shape.length - 1 ? strides[d] : 1;
      const v = Math.floor(rem / s);
      rem -= v * s;
      return v;
    });
    const kept = idx.filter((_, i) => !axes.includes(i));
    const at = kept.reduce((a, v, i) => a + v * (keptStrides[i] ?? 1), 0);
    out[flat] = w[at] / n;
  }
  return out;
}

describe('Mean gradient as one broadcast', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tf.registerGradient(meanGradConfig);
  });

  it.each([
    [[2, 3, 4, 5], [0, 1, 2], false],
    [[2, 3, 4, 5], [1, 2], true],
    [[6, 7], [1], false],
    [[6, 7], [0, 1], false],
  ])('shape %j, axes %j, keepDims %p: matches the gradient worked by hand', (shape, axes, keepDims) => {
    const before = tf.memory().numTensors;
    const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
    const outShape = tf.backend_util.computeOutAndReduceShapes(shape, axes)[0];
    const w = tf.randomNormal(keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : outShape, 0, 1, 'float32', 2);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, axes, keepDims), w)))(x);
    const expected = byHand(shape, axes, w.dataSync() as Float32Array);
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    tf.dispose([x, w, g]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
