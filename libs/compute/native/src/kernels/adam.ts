/**
 * One Adam update of one variable in one kernel, with tfjs AdamOptimizer's float32 operations in
 * its order (csrc/elementwise.h adam), so the new value and moments have the same bits as tfjs's
 * eleven kernels give them:
 *   m' = m·β₁ + g·(1 − β₁),  v' = v·β₂ + g²·(1 − β₂),
 *   w' = ((m' / (1 − β₁ᵗ)) / (√(v' / (1 − β₂ᵗ)) + ε))·(−lr) + w
 * Inputs: value, m, v, gradient, oneMinusAccBeta1, oneMinusAccBeta2 (the float32 scalars 1 − βᵗ the
 * optimizer computes once per step); attributes beta1, beta2, epsilon, learningRate (numbers, as
 * tfjs's optimizer holds them). Outputs [value', m', v'].
 */
import * as tf from '@tensorflow/tfjs';
import { attrsOf, heapOf, input, type NativeKernel, offsetOf, type TensorInfo, wasmBackend } from './wasm-heap';

/** Name of the Adam update kernel. */
export const ADAM_UPDATE = 'TgsAdam';

export interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

export const adamKernel: NativeKernel = {
  kernelName: ADAM_UPDATE,
  run(addon, args) {
    const names = ['value', 'm', 'v', 'gradient', 'oneMinusAccBeta1', 'oneMinusAccBeta2'] as const;
    const [value, m, v, gradient, c1, c2] = names.map((n) => input(args, n));
    const { beta1, beta2, epsilon, learningRate } = attrsOf<AdamAttrs>(args);
    const be = wasmBackend(args.backend);
    const n = tf.util.sizeFromShape(value.shape);
    const outs = [0, 1, 2].map(() => be.makeOutput(value.shape, 'float32'));
    const o = (t: TensorInfo): number => offsetOf(be, t);
    addon.adam(heapOf(be), {
      w: o(value),
      m: o(m),
      v: o(v),
      g: o(gradient),
      n,
      oneMinusAccBeta1: o(c1),
      oneMinusAccBeta2: o(c2),
      beta1,
      beta2,
      epsilon,
      learningRate,
      wOut: o(outs[0]),
      mOut: o(outs[1]),
      vOut: o(outs[2]),
    });
    return outs;
  },
};

/** Whether {@link adamUpdate} runs natively for these tensors (wasm with the kernels, float32, same shapes). */
export function adamUpdateApplies(value: tf.Tensor, gradient: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(ADAM_UPDATE, 'wasm') !== undefined && value.dtype === 'float32' && gradient.dtype === 'float32' && tf.util.arraysEqual(value.shape, gradient.shape);
}

/**
 * [value', m', v'] of one Adam step in one native kernel; the caller checks
 * {@link adamUpdateApplies} first. c1, c2: the float32 scalars 1 − β₁ᵗ and 1 − β₂ᵗ.
 */
export function adamUpdate(value: tf.Tensor, m: tf.Tensor, v: tf.Tensor, gradient: tf.Tensor, c1: tf.Scalar, c2: tf.Scalar, attrs: AdamAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const out = tf.engine().runKernel(ADAM_UPDATE, { value, m, v, gradient, oneMinusAccBeta1: c1, oneMinusAccBeta2: c2 }, { ...attrs }) as tf.Tensor[];
  return [out[0], out[1], out[2]];
}
