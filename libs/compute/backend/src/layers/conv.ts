/**
 * tfjs's Conv2D layer, except that a bias-free linear 2-D convolution on NHWC input (every
 * convolution a batch norm follows) runs as tf.conv2d instead of tf.fused.conv2d: the same kernel
 * and the same bits forward, and the same gradient kernels. The difference is which gradients
 * run. tf.fused.conv2d's gradient is a custom gradient that computes the input's gradient always,
 * even where nothing reads it: the first layer's, whose input is the image (measured: 1.8 % of the
 * default U-Net's training step at one thread, more for an encoder's 7×7 stem). tf.conv2d's
 * gradient is computed per input, and only for inputs that depend on a trained variable.
 * Everything else is tfjs's layer; the class is registered under tfjs's own name, so saved models
 * stay stock and load as this class.
 */
import * as tf from '@tensorflow/tfjs';

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];
type LayerClass = new (args: ConvArgs) => tf.layers.Layer;
const TfjsConv2D = tf.serialization.SerializationMap.getMap().classNameMap.Conv2D[0] as unknown as LayerClass;

/** The fields of tfjs's Conv layer this class reads (set by tfjs once the layer is built). */
interface ConvFields {
  rank: number;
  kernel: { read(): tf.Tensor };
  bias: unknown;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
}

export class Conv2D extends TfjsConv2D {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    const c = this as unknown as ConvFields;
    const plain = c.rank === 2 && c.bias == null && c.activation.getClassName() === 'linear' && c.dataFormat === 'channelsLast';
    if (!plain || Array.isArray(x) || x.rank !== 4 || (c.padding !== 'same' && c.padding !== 'valid')) return super.call(inputs, kwargs);
    return tf.tidy(() =>
      tf.conv2d(x as tf.Tensor4D, c.kernel.read() as tf.Tensor4D, [c.strides[0], c.strides[1]], c.padding as 'same' | 'valid', 'NHWC', [c.dilationRate[0], c.dilationRate[1]]),
    );
  }
}
tf.serialization.registerClass(Conv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tf.layers.conv2d whose bias-free linear convolutions skip the gradient nothing reads ({@link Conv2D}). */
export function conv2d(args: ConvArgs): tf.layers.Layer {
  return new Conv2D(args);
}
