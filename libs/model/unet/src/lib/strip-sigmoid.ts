import * as tf from '@tensorflow/tfjs';

type Sym = tf.SymbolicTensor;

/** The layer's activation object (protected in the typings; every conv/dense layer has one). */
interface WithActivation {
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
}

function linearActivation(): WithActivation['activation'] {
  // The registered Keras 'linear' activation, so fused conv/dense code paths see a known class name.
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['linear'];
  if (entry == null) throw new Error("stripSigmoid: tfjs 'linear' activation is not registered");
  const [cls] = entry as unknown as [new () => NonNullable<WithActivation['activation']>];
  return new cls();
}

function deserializeLayer(config: tf.serialization.ConfigDict): tf.layers.Layer {
  const className = config['className'] as string;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) throw new Error(`LinearView: unknown layer class '${className}'`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config['config'] as tf.serialization.ConfigDict) as unknown as tf.layers.Layer;
}

export interface LinearViewArgs {
  /** The wrapped layer; its variables are used as they are (not copied). */
  layer: tf.layers.Layer;
  /**
   * Input shape to build an unbuilt wrapped layer with right away (used when deserialising), so its
   * variables get the wrapped layer's own names ('head/kernel') instead of being created inside this
   * layer's name scope ('head_linear/kernel'), which would not match the saved weights.
   */
  innerInputShape?: tf.Shape | tf.Shape[];
  name?: string;
  trainable?: boolean;
}

/**
 * A conv/dense layer seen without its activation: `call` runs the wrapped layer's own `call` (same
 * padding, strides, dilation, data format, kernels) with its activation temporarily swapped for
 * 'linear', reading the wrapped layer's variables. Its weights ARE the wrapped layer's weights, so
 * training either one trains both, like Keras's `Wrapper`. Serialises as its wrapped layer's config;
 * a loaded LinearView owns a fresh wrapped layer (sharing ends at the file boundary, as usual).
 */
export class LinearView extends tf.layers.Layer {
  static className = 'TgsLinearView';
  readonly layer: tf.layers.Layer;

  constructor(args: LinearViewArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.layer = args.layer;
    if (!('activation' in this.layer)) {
      throw new Error(`LinearView: layer '${this.layer.name}' has no activation to remove`);
    }
    if (!this.layer.built && args.innerInputShape != null) this.layer.build(args.innerInputShape);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    if (!this.layer.built) this.layer.build(inputShape);
    this.built = true;
  }

  /** The input shape the wrapped layer was built with (from its first call). */
  private innerInputShape(): tf.Shape | tf.Shape[] | undefined {
    const node = this.layer.inboundNodes[0];
    if (node == null) return undefined;
    return node.inputShapes.length === 1 ? (node.inputShapes[0] as tf.Shape) : (node.inputShapes as tf.Shape[]);
  }

  override get trainableWeights(): tf.LayerVariable[] {
    return this.trainable ? this.layer.trainableWeights : [];
  }

  override set trainableWeights(_weights: tf.LayerVariable[]) {
    // Weights belong to the wrapped layer; nothing to store here.
  }

  override get nonTrainableWeights(): tf.LayerVariable[] {
    return this.trainable ? this.layer.nonTrainableWeights : [...this.layer.trainableWeights, ...this.layer.nonTrainableWeights];
  }

  override set nonTrainableWeights(_weights: tf.LayerVariable[]) {
    // See trainableWeights.
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return this.layer.computeOutputShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const inner = this.layer as unknown as WithActivation;
    const saved = inner.activation;
    inner.activation = linearActivation();
    try {
      return this.layer.call(inputs, kwargs);
    } finally {
      inner.activation = saved;
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      layer: { className: this.layer.getClassName(), config: this.layer.getConfig() },
      innerInputShape: (this.innerInputShape() ?? null) as tf.serialization.ConfigDictValue,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { layer, innerInputShape, ...rest } = config;
    const inner = deserializeLayer(layer as tf.serialization.ConfigDict);
    return new cls({ ...rest, layer: inner, innerInputShape: innerInputShape ?? undefined });
  }
}
tf.serialization.registerClass(LinearView);

function activationName(layer: tf.layers.Layer): string | undefined {
  const activation = layer.getConfig()['activation'];
  return typeof activation === 'string' ? activation : undefined;
}

/**
 * For a model whose output ends in a sigmoid, the same network cut before the sigmoid, so it
 * outputs raw logits (what Lovász/BCE-with-logits losses and logit averaging need).
 *
 * - Last layer an `Activation('sigmoid')`: the cut is a new model from the same inputs to that
 *   layer's input, i.e. made of the very same layer objects — weights are fully shared.
 * - Last layer a conv/dense with `activation: 'sigmoid'`: its output is produced by a
 *   {@link LinearView} of that same layer object, which computes its pre-activation with the layer's
 *   own variables — weights are shared too (mutating or training the original changes the cut).
 *
 * Throws if the model has several outputs or its output is not a sigmoid.
 */
export function stripSigmoid(model: tf.LayersModel): tf.LayersModel {
  if (model.outputs.length !== 1) {
    throw new Error(`stripSigmoid: model '${model.name}' has ${model.outputs.length} outputs; expected exactly one`);
  }
  const output = model.outputs[0];
  const last = output.sourceLayer as tf.layers.Layer;
  const activation = activationName(last);
  if (activation !== 'sigmoid') {
    throw new Error(
      `stripSigmoid: model '${model.name}' does not end in a sigmoid (last layer '${last.name}' ` +
        `is ${last.getClassName()} with activation '${activation ?? 'none'}'); it may already output logits`,
    );
  }
  // The node that produced the model output (a layer used several times has several nodes).
  const node = last.inboundNodes[output.nodeIndex];
  const lastInputs = node.inputTensors as Sym[];
  const name = `${model.name}_logits`;
  if (last.getClassName() === 'Activation') {
    return tf.model({ inputs: model.inputs, outputs: lastInputs[0], name });
  }
  const view = new LinearView({ layer: last, name: `${last.name}_linear` });
  const logits = view.apply(lastInputs.length === 1 ? lastInputs[0] : lastInputs) as Sym;
  return tf.model({ inputs: model.inputs, outputs: logits, name });
}
