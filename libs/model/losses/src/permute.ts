import * as tf from '@tensorflow/tfjs';

/**
 * Descending order of each row of a [G, N] tensor, as FLAT indices into its [G·N] reshape
 * (row g's indices are offset by g·N), ready for a 1-D gather. One `tf.topk` over all rows.
 *
 * `tf.topk` has no gradient in tfjs: the order must reach the loss only through `permute` below,
 * which captures it in a closure instead of taking it as an input, so no gradient path ever leads
 * back into TopK.
 */
export function descendingOrder(rows: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [groups, n] = rows.shape;
    const { values, indices } = tf.topk(rows, n, true);
    values.dispose();
    // Row r's offset r·n, written out in full: an int32 add broadcast from [groups, 1] took 18 ms
    // per Lovász step on wasm (a generic broadcasting loop), the full-shape add well under 1 ms.
    const offsets = new Int32Array(groups * n);
    for (let r = 1; r < groups; r++) offsets.fill(r * n, r * n, (r + 1) * n);
    return tf.reshape(tf.add(indices, tf.tensor2d(offsets, [groups, n], 'int32')), [groups * n]);
  });
}

/** inverse[perm[i]] = i, by one scatter (O(N)); used to route gradients back through a permutation. */
export function inversePermutation(perm: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const n = perm.shape[0];
    return tf.scatterND(tf.reshape(perm, [n, 1]), tf.range(0, n, 1, 'int32'), [n]) as tf.Tensor1D;
  });
}

/**
 * x[perm] for a permutation `perm` of 0…N−1, differentiable in x with a custom gradient:
 * since every element is used exactly once, the gradient of the gather is the gather of dy by the
 * inverse permutation. tfjs' own GatherV2 gradient is an UnsortedSegmentSum, which the wasm backend
 * does not implement; this form needs only GatherV2 and ScatterNd, available on cpu, wasm and
 * tensorflow. `perm` is captured (not an input), so it is treated as a constant.
 *
 * Caveat: with tfjs' IS_TEST flag on, its kernel leak check misreports the tensor that customGrad
 * saves for backprop as a leak on wasm (the saved clone is a new data id created inside the kernel);
 * it is released after backprop, and the flag is off outside tfjs' own test suites.
 */
export function permute(x: tf.Tensor1D, perm: tf.Tensor1D): tf.Tensor1D {
  if (x.shape[0] !== perm.shape[0]) throw new Error(`permute: x has ${x.shape[0]} elements, perm ${perm.shape[0]}`);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([perm]);
    return {
      value: tf.gather(input, perm),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => tf.gather(dy, inversePermutation(saved[0] as tf.Tensor1D))),
    };
  });
  return op(x) as tf.Tensor1D;
}
