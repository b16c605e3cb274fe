import * as tf from '@tensorflow/tfjs';

/**
 * Gradient of Mean over `axis`, y = (1/N) sum x over the reduced axes (N their size):
 *   dx = broadcast(dy / N) to x's shape
 * The same values as tfjs-core's gradient, which computes (dy * ones(x.shape)) / N: three passes
 * over x's shape (fill, multiply, divide) where one broadcast (Tile) suffices. Batch-norm moments
 * take two means of every activation per step, so this is one of the larger element-wise costs.
 */
export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { axis } = attrs as unknown as { axis: number | number[] };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const reduceSize = tf.util.sizeFromShape(tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[1]);
    return {
      x: () => {
        const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const scaled = tf.div(tf.reshape(dy as tf.Tensor, expanded), reduceSize);
        return tf.util.arraysEqual(expanded, x.shape) ? scaled : tf.broadcastTo(scaled, x.shape);
      },
    };
  },
};
