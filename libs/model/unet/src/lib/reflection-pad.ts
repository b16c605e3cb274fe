import * as tf from '@tensorflow/tfjs';

/** [[top, bottom], [left, right]] pixels. */
export type Padding2D = [[number, number], [number, number]];

/**
 * Reflection padding of an NHWC batch (numpy 'reflect' / PyTorch ReflectionPad2d: the edge pixel is
 * not repeated, so row −k mirrors row k and row n−1+k mirrors row n−1−k).
 *
 * Built from slice + reverse + concat rather than `tf.mirrorPad`: in tfjs 4.22 the MirrorPad
 * gradient only slices the centre out of dy and drops what the reflected copies contribute, so
 * border pixels would get wrong gradients. The composed ops have exact gradients, and all of them
 * (Slice, Reverse, Concat, PadV2 for slice's gradient) have wasm kernels.
 *
 * A pad ≥ size (a small image padded to 32) is done in successive reflections of the already
 * padded tensor, each at most size − 1 per side.
 */
export function reflectionPad2d(x: tf.Tensor4D, padding: Padding2D): tf.Tensor4D {
  const [[top, bottom], [left, right]] = padding;
  if ([top, bottom, left, right].some((p) => !Number.isInteger(p) || p < 0)) {
    throw new Error(`reflectionPad2d: padding must be non-negative integers, got ${JSON.stringify(padding)}`);
  }
  return tf.tidy(() => {
    let y = x;
    let [t, b, l, r] = [top, bottom, left, right];
    while (t + b + l + r > 0) {
      const [, h, w] = y.shape;
      if ((t + b > 0 && h < 2) || (l + r > 0 && w < 2)) {
        throw new Error(`reflectionPad2d: cannot reflect a dimension of size 1 (input ${h}×${w})`);
      }
      const [st, sb] = [Math.min(t, h - 1), Math.min(b, h - 1)];
      const [sl, sr] = [Math.min(l, w - 1), Math.min(r, w - 1)];
      y = reflectAxis(reflectAxis(y, 1, st, sb), 2, sl, sr);
      [t, b, l, r] = [t - st, b - sb, l - sl, r - sr];
    }
    return y === x ? x.clone() : y;
  });
}

/** One reflection along `axis` with before, after ≤ size − 1: [rev(x[1..before]), x, rev(x[n−1−after..n−2])]. */
function reflectAxis(x: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  if (before === 0 && after === 0) return x;
  const n = x.shape[axis];
  const band = (start: number, size: number): tf.Tensor4D => {
    const begin = [0, 0, 0, 0];
    const sizes = [-1, -1, -1, -1];
    begin[axis] = start;
    sizes[axis] = size;
    return tf.reverse(tf.slice(x, begin, sizes), axis);
  };
  const parts: tf.Tensor4D[] = [];
  if (before > 0) parts.push(band(1, before));
  parts.push(x);
  if (after > 0) parts.push(band(n - 1 - after, after));
  return tf.concat(parts, axis);
}

export interface ReflectionPad2DArgs {
  padding: Padding2D;
  name?: string;
  trainable?: boolean;
}

/** Keras-style layer around {@link reflectionPad2d}; serialisable under the class name 'ReflectionPad2D'. */
export class ReflectionPad2D extends tf.layers.Layer {
  static className = 'ReflectionPad2D';
  readonly padding: Padding2D;

  constructor(args: ReflectionPad2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    const [[t, b], [l, r]] = args.padding;
    this.padding = [[t, b], [l, r]];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [[t, b], [l, r]] = this.padding;
    return [s[0], s[1] == null ? null : s[1] + t + b, s[2] == null ? null : s[2] + l + r, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return reflectionPad2d(x as tf.Tensor4D, this.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tf.serialization.registerClass(ReflectionPad2D);
