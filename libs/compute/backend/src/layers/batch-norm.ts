/**
 * tfjs's BatchNormalization layer with its training path in two native kernels where they run
 * (wasm with the addon; channels last, scale and centre on): the batch statistics and the
 * normalisation in one, their gradient in one (@segkit/native batchNormTrain), instead of tfjs's
 * moments + batchNorm chain of about twenty kernels and their gradients. The moving averages are
 * updated as tfjs does. Everything else — inference, other backends, other axes, save and load —
 * is tfjs's layer unchanged: the class is registered under tfjs's own name, so a saved model is
 * stock and a loaded one trains the same way.
 *
 * A BatchNormalization whose output only a ReLU reads ({@link fuseBatchNormRelu} marks it in a
 * model) also runs that ReLU in its training kernel, and the ReLU layer passes the result on
 * without a pass of its own ({@link Activation}): the same values and gradients, bit for bit, with
 * one pass over the activations fewer each way and one tensor fewer kept for the backward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, batchNormTrainApplies } from '@segkit/native';

type LayerArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;

/** What the layer keeps that tfjs's typings do not show. */
interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type LayerClass = new (args?: LayerArgs) => tf.layers.Layer;
const TfjsBatchNormalization = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization[0] as unknown as LayerClass;

/** Outputs of a BatchNormalization that already ran the ReLU after it (see {@link fuseBatchNormRelu}). */
const reluApplied = new WeakSet<tf.Tensor>();

/** Whether x is a BatchNormalization output that already went through the ReLU its only reader applies. */
export function reluAlreadyApplied(x: tf.Tensor): boolean {
  return reluApplied.has(x);
}

/** v ← v − (v − value)·(1 − momentum), as tfjs-layers updates a moving statistic. */
function movingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

export class BatchNormalization extends TfjsBatchNormalization {
  static className = 'BatchNormalization';
  /** Set by {@link fuseBatchNormRelu}: the only reader of this layer's output is a ReLU layer. */
  reluFollows = false;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as BatchNormState;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (kwargs.training !== true || !lastAxis || !self.scale || !self.center || !batchNormTrainApplies(x, self.gamma.read(), self.beta.read())) {
      return super.call(inputs, kwargs);
    }
    const out = tf.tidy(() => {
      const [y, mean, variance] = batchNormTrain(x, self.gamma.read(), self.beta.read(), self.epsilon, this.reluFollows);
      movingAverage(self.movingMean, mean, self.momentum);
      movingAverage(self.movingVariance, variance, self.momentum);
      return y;
    });
    if (this.reluFollows) reluApplied.add(out);
    return out;
  }
}
tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** tf.layers.batchNormalization with the native training path ({@link BatchNormalization}). */
export function batchNormalization(args?: LayerArgs): tf.layers.Layer {
  return new BatchNormalization(args);
}
