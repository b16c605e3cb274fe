import * as tf from '@tensorflow/tfjs';

/**
 * Bilinear upsampling of an NHWC batch by an integer factor with half-pixel centres — the convention
 * of PyTorch `F.interpolate(mode='bilinear', align_corners=False)`, OpenCV and TF2 `tf.image.resize`:
 * output pixel i samples the input at src = max(0, (i + ½)/s − ½), edge pixels replicated.
 *
 * Why not `tf.layers.upSampling2d({interpolation: 'bilinear'})`: it samples at src = i/s, which shifts
 * the upsampled map by (s − 1)/2 output pixels towards the top-left (3.5 px for the ×8 hypercolumn
 * branch of a depth-4 net). And `tf.image.resizeBilinear(…, halfPixelCenters=true)` has the right
 * forward pass but its gradient kernel (cpu and wasm, tfjs 4.22) ignores halfPixelCenters.
 *
 * For an integer factor the weights are periodic: output s·j + k mixes inputs j−1, j (when the offset
 * d = (k + ½)/s − ½ is negative) or j, j+1 with weights (|d|, 1 − |d|). Each axis is therefore s
 * weighted sums of shifted slices of the edge-padded input, interleaved by concat + reshape; every op
 * has an exact gradient and a wasm kernel.
 */
export function upsampleBilinear2d(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upsampleBilinear2d: factor must be a positive integer, got ${factor}`);
  if (factor === 1) return x.clone();
  return tf.tidy(() => upsampleAxis(upsampleAxis(x, 1, factor), 2, factor));
}

function upsampleAxis(x: tf.Tensor4D, axis: 1 | 2, factor: number): tf.Tensor4D {
  const n = x.shape[axis];
  const sliceAlong = (t: tf.Tensor4D, start: number, size: number): tf.Tensor4D => {
    const begin = [0, 0, 0, 0];
    const sizes = [-1, -1, -1, -1];
    begin[axis] = start;
    sizes[axis] = size;
    return tf.slice(t, begin, sizes);
  };
  // Replicate one edge pixel on each side: x[−1] = x[0], x[n] = x[n−1].
  const padded = tf.concat([sliceAlong(x, 0, 1), x, sliceAlong(x, n - 1, 1)], axis);
  const prev = sliceAlong(padded, 0, n);
  const next = sliceAlong(padded, 2, n);
  const phases: tf.Tensor4D[] = [];
  for (let k = 0; k < factor; k++) {
    const d = (k + 0.5) / factor - 0.5;
    phases.push(d < 0 ? tf.add(tf.mul(prev, -d), tf.mul(x, 1 + d)) : tf.add(tf.mul(x, 1 - d), tf.mul(next, d)));
  }
  const shape: [number, number, number, number] = [...x.shape];
  shape[axis] = n * factor;
  // Interleave by concat on a new axis (not tf.stack: its gradient, Unpack, is very slow on wasm,
  // whereas concat's gradient is a SplitV).
  const interleaved = tf.concat(
    phases.map((p) => tf.expandDims(p, axis + 1)),
    axis + 1,
  );
  return tf.reshape(interleaved, shape) as tf.Tensor4D;
}

export interface BilinearUpsample2DArgs {
  factor: number;
  name?: string;
  trainable?: boolean;
}

/** Layer around {@link upsampleBilinear2d}; serialisable under the class name 'BilinearUpsample2D'. */
export class BilinearUpsample2D extends tf.layers.Layer {
  static className = 'BilinearUpsample2D';
  readonly factor: number;

  constructor(args: BilinearUpsample2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!Number.isInteger(args.factor) || args.factor < 1) {
      throw new Error(`BilinearUpsample2D: factor must be a positive integer, got ${args.factor}`);
    }
    this.factor = args.factor;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const f = this.factor;
    return [s[0], s[1] == null ? null : s[1] * f, s[2] == null ? null : s[2] * f, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return upsampleBilinear2d(x as tf.Tensor4D, this.factor);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: this.factor };
  }
}
tf.serialization.registerClass(BilinearUpsample2D);
