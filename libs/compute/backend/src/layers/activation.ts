/**
 * tfjs's Activation layer, except that a ReLU whose input a BatchNormalization already passed
 * through its ReLU in training (see {@link fuseBatchNormRelu}) hands that input on as it is — a
 * Reshape to the same shape, which shares the data on wasm: no pass over it, and its gradient
 * passes dy straight through. Everything else is tfjs's layer; the class is registered under
 * tfjs's own name, so saved models stay stock.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormalization, reluAlreadyApplied } from './batch-norm';

type ActivationArgs = Parameters<typeof tf.layers.activation>[0];
type LayerClass = new (args: ActivationArgs) => tf.layers.Layer;
const TfjsActivation = tf.serialization.SerializationMap.getMap().classNameMap.Activation[0] as unknown as LayerClass;

/** Whether a layer is an Activation computing ReLU. */
function isRelu(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'Activation' && (layer.getConfig() as { activation?: string }).activation === 'relu';
}

export class Activation extends TfjsActivation {
  static className = 'Activation';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (reluAlreadyApplied(x) && isRelu(this)) return tf.reshape(x, x.shape);
    return super.call(inputs, kwargs);
  }
}
tf.serialization.registerClass(Activation as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tf.layers.activation that passes on a ReLU its BatchNormalization already applied ({@link Activation}). */
export function activation(args: ActivationArgs): tf.layers.Layer {
  return new Activation(args);
}

/**
 * Marks every BatchNormalization of the model whose output is read by exactly one layer, an
 * {@link Activation} computing ReLU, and is not an output of the model: in training it then runs
 * that ReLU in its own kernel (the same bits). Returns how many it marked. Call it on a model
 * before training it (build or load); a layer shared with another model whose graph reads the
 * batch norm's output otherwise must not be marked (this checks only this model's graph).
 */
export function fuseBatchNormRelu(model: tf.LayersModel): number {
  const outputs = new Set(model.outputs);
  let marked = 0;
  for (const layer of model.layers) {
    if (!(layer instanceof BatchNormalization)) continue;
    const readers = layer.outboundNodes.map((node) => node.outboundLayer);
    const output = layer.inboundNodes.length === 1 ? layer.output : undefined;
    const fuse = readers.length === 1 && readers[0] instanceof Activation && isRelu(readers[0]) && output !== undefined && !Array.isArray(output) && !outputs.has(output);
    layer.reluFollows = fuse;
    if (fuse) marked++;
  }
  return marked;
}
