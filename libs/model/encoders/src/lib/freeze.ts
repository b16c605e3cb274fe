import * as tf from '@tensorflow/tfjs';
import { ENCODER_PREFIX, IMAGENET_LAYER } from './resnet';

type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** The encoder's own layers (`encoder.*`), without the fixed ImageNet mapping. */
export function encoderLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.name.startsWith(ENCODER_PREFIX) && l.name !== IMAGENET_LAYER);
}

/**
 * Freezes or unfreezes the encoder of `model`: its layers' `trainable` (so their weights leave
 * `model.trainableWeights`) and, because tfjs's BatchNormalization normalises with the batch's
 * statistics and updates its moving mean and variance whenever it is called with `training: true`
 * whatever `trainable` says, its BatchNorm layers are made to run in inference mode while frozen
 * (moving statistics used and kept, as Keras 2 does for a non-trainable BatchNormalization). The
 * switch is on the layer objects only; the saved model is unchanged stock layers. Returns the
 * number of layers switched.
 */
export function setEncoderFrozen(model: tf.LayersModel, frozen: boolean): number {
  const layers = encoderLayers(model);
  for (const layer of layers) {
    layer.trainable = !frozen;
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const own = layer as unknown as { call: CallFn };
    if (frozen) {
      const inherited = (Object.getPrototypeOf(layer) as { call: CallFn }).call;
      own.call = (inputs, kwargs) => inherited.call(layer, inputs, { ...kwargs, training: false });
    } else {
      delete (own as Partial<typeof own>).call;
    }
  }
  return layers.length;
}

/** True when `variableName` (a tf.Variable's name) belongs to an encoder layer. */
export function isEncoderVariable(variableName: string): boolean {
  return variableName.startsWith(ENCODER_PREFIX);
}
