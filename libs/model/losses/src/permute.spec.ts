import * as tf from '@tensorflow/tfjs';
import { descendingOrder, inversePermutation, permute } from './permute';
import { expectNoLeak, useBackend } from './testing';

describe.each(['cpu', 'wasm'] as const)('permutation helpers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('descendingOrder gives flat indices, row by row', () => {
    expectNoLeak(() => {
      const rows = tf.tensor2d([
        [0.1, 0.9, -1],
        [5, 7, 6],
      ]);
      const order = descendingOrder(rows);
      expect(Array.from(order.dataSync())).toEqual([1, 0, 2, 4, 5, 3]);
      tf.dispose([rows, order]);
    });
  });

  it('inversePermutation inverts', () => {
    expectNoLeak(() => {
      const perm = tf.tensor1d([2, 0, 3, 1], 'int32');
      const inv = inversePermutation(perm);
      expect(Array.from(inv.dataSync())).toEqual([1, 3, 0, 2]); // perm[inv[k]] = k
      tf.dispose([perm, inv]);
    });
  });

  it('permute gathers, and its gradient routes dy back to the source positions', () => {
    expectNoLeak(() => {
      const x = tf.tensor1d([10, 20, 30, 40]);
      const perm = tf.tensor1d([2, 0, 3, 1], 'int32');
      const w = tf.tensor1d([1, 2, 3, 4]);
      const y = permute(x, perm);
      expect(Array.from(y.dataSync())).toEqual([30, 10, 40, 20]);
      // d/dx Σ w_k · x[perm[k]] = w at position perm[k]: x2←1, x0←2, x3←3, x1←4
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(permute(v as tf.Tensor1D, perm), w)))(x);
      expect(Array.from(g.dataSync())).toEqual([2, 4, 1, 3]);
      tf.dispose([x, perm, w, y, g]);
    });
  });
});
