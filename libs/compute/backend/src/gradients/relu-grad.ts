import * as tf from '@tensorflow/tfjs';
import { reluGrad } from '@segkit/native';

/**
 * Gradient of Relu, y = max(x, 0): dx = dy · step(x), as tfjs-core composes it (Step, then
 * Multiply). On wasm with the native kernels it is one pass instead (the same bits).
 */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const dyT = dy as tf.Tensor;
    return { x: () => reluGrad(dyT, x) ?? tf.mul(dyT, tf.cast(tf.step(x), 'float32')) };
  },
};
