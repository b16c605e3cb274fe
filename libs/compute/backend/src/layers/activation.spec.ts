import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN, nativeKernelCalls } from '@segkit/native';
import { addonForTests, randomValues, useCpu, useWasm } from '@segkit/native/testing';
import { registerTrainingGradients } from '../gradients/register';
import { activation, Activation, fuseBatchNormRelu } from './activation';
import { batchNormalization, BatchNormalization } from './batch-norm';

const addon = addonForTests();
const describeNative = addon ? describe : describe.skip;

const SHAPE = [4, 20, 20, 3];

/**
 * input → conv → BN → ReLU → conv → BN → ReLU → conv (1 channel), and a residual BN → Add → ReLU
 * beside it: the first two batch norms can fuse their ReLU, the residual one cannot.
 */
function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: SHAPE.slice(1) });
  const conv = (filters: number, name: string, x: tf.SymbolicTensor): tf.SymbolicTensor =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: name.length * 7 }), name }).apply(x) as tf.SymbolicTensor;
  const bn = (name: string, x: tf.SymbolicTensor): tf.SymbolicTensor =>
    batchNormalization({ axis: -1, name, gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: name.length }), betaInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: name.length + 1 }) }).apply(x) as tf.SymbolicTensor;
  const relu = (name: string, x: tf.SymbolicTensor): tf.SymbolicTensor => activation({ activation: 'relu', name }).apply(x) as tf.SymbolicTensor;
  const a = relu('relu_a', bn('bn_a', conv(8, 'conv_a', input)));
  const b = relu('relu_b', bn('bn_b', conv(8, 'conv_b', a)));
  const r = relu('relu_r', tf.layers.add({ name: 'add_r' }).apply([bn('bn_res', conv(8, 'conv_res', b)), a]) as tf.SymbolicTensor);
  const logits = conv(1, 'head', r);
  return tf.model({ inputs: input, outputs: logits });
}

/** One training step's loss gradients in every weight, the logits and the moving statistics, as bytes. */
function stepBytes(model: tf.LayersModel): string[] {
  return tf.tidy(() => {
    const x = tf.tensor(Float32Array.from(randomValues(SHAPE.reduce((p, q) => p * q, 1), 11), (v) => 2 * v + 0.5), SHAPE);
    const w = tf.tensor(Float32Array.from(randomValues(SHAPE.slice(0, 3).reduce((p, q) => p * q, 1), 12)), [...SHAPE.slice(0, 3), 1]);
    let logits: Float32Array = new Float32Array(0);
    const { grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true }) as tf.Tensor;
      logits = out.dataSync() as Float32Array;
      return tf.sum(tf.mul(out, w));
    }, model.trainableWeights.map((v) => v.read() as tf.Variable));
    const arrays = [logits, ...Object.keys(grads).sort().map((k) => grads[k].dataSync() as Float32Array), ...model.getWeights().map((t) => t.dataSync() as Float32Array)];
    return arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'));
  });
}

describe('fuseBatchNormRelu', () => {
  it('marks a batch norm read only by a ReLU layer, and no other', () => {
    const model = smallModel();
    expect(fuseBatchNormRelu(model)).toBe(2);
    const marked = model.layers.filter((l) => l instanceof BatchNormalization && l.reluFollows).map((l) => l.name);
    expect(marked).toEqual(['bn_a', 'bn_b']);
    model.dispose();
  });

  it('leaves a batch norm that is a model output, has a second reader, or feeds tfjs’s own Activation class', () => {
    const input = tf.input({ shape: [6, 6, 2] });
    const out = batchNormalization({ axis: -1, name: 'bn_out' }).apply(input) as tf.SymbolicTensor;
    const relu = activation({ activation: 'relu' }).apply(out) as tf.SymbolicTensor;
    const shared = batchNormalization({ axis: -1, name: 'bn_shared' }).apply(relu) as tf.SymbolicTensor;
    const both = tf.layers.add().apply([activation({ activation: 'relu' }).apply(shared) as tf.SymbolicTensor, shared]) as tf.SymbolicTensor;
    const stock = tf.layers.activation({ activation: 'relu' }).apply(batchNormalization({ axis: -1, name: 'bn_stock' }).apply(both) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const sigmoid = activation({ activation: 'sigmoid' }).apply(batchNormalization({ axis: -1, name: 'bn_sigmoid' }).apply(stock) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [out, sigmoid] });
    expect(fuseBatchNormRelu(model)).toBe(0);
    model.dispose();
  });

  it('saves the ReLU as tfjs’s Activation and loads it back as this class', async () => {
    await useCpu();
    const model = smallModel();
    const json = model.toJSON(null, false) as unknown as { config: { layers: { class_name: string; config: { name: string } }[] } };
    expect(json.config.layers.find((l) => l.config.name === 'relu_a')?.class_name).toBe('Activation');
    const loaded = await tf.models.modelFromJSON(json as unknown as tf.io.ModelJSON);
    expect(loaded.getLayer('relu_a')).toBeInstanceOf(Activation);
    expect(fuseBatchNormRelu(loaded)).toBe(2);
    model.dispose();
    loaded.dispose();
  });
});

describeNative('batch norm + ReLU in one training kernel', () => {
  beforeAll(() => registerTrainingGradients());
  afterAll(async () => {
    addon?.setThreads(1);
    await useCpu();
  });

  it('gives the same bits as batch norm then ReLU (logits, every gradient, moving statistics), without leaking tensors', async () => {
    await useWasm(addon);
    const model = smallModel();
    const initial = model.getWeights().map((t) => t.clone());
    const unfused = stepBytes(model);
    model.setWeights(initial);
    expect(fuseBatchNormRelu(model)).toBe(2);
    const calls = (name: string): number => nativeKernelCalls.get(name)?.native ?? 0;
    const [fusedBefore, plainBefore] = [calls(BATCH_NORM_RELU_TRAIN), calls(BATCH_NORM_TRAIN)];
    const tensors = tf.memory().numTensors;
    const fused = stepBytes(model);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(calls(BATCH_NORM_RELU_TRAIN) - fusedBefore).toBe(2);
    expect(calls(BATCH_NORM_TRAIN) - plainBefore).toBe(1);
    expect(fused).toEqual(unfused);
    // The comparison can fail: a ReLU run where no ReLU follows (before the residual Add) changes the logits.
    model.setWeights(initial);
    (model.getLayer('bn_res') as BatchNormalization).reluFollows = true;
    expect(stepBytes(model)[0]).not.toEqual(unfused[0]);
    tf.dispose(initial);
    model.dispose();
  });

  it('gives the same bits at 1, 2 and 4 threads', async () => {
    await useWasm(addon);
    const model = smallModel();
    fuseBatchNormRelu(model);
    const initial = model.getWeights().map((t) => t.clone());
    const at = (threads: number): string[] => {
      addon?.setThreads(threads);
      model.setWeights(initial);
      return stepBytes(model);
    };
    const one = at(1);
    expect(at(2)).toEqual(one);
    expect(at(4)).toEqual(one);
    tf.dispose(initial);
    model.dispose();
  });

  it('is plain batch norm then ReLU in inference', async () => {
    await useWasm(addon);
    const model = smallModel();
    const x = tf.tensor(Float32Array.from(randomValues(SHAPE.reduce((p, q) => p * q, 1), 13)), SHAPE);
    const before = (model.predict(x) as tf.Tensor).dataSync().slice();
    fuseBatchNormRelu(model);
    const after = model.predict(x) as tf.Tensor;
    expect(Buffer.from(after.dataSync().buffer).equals(Buffer.from(before.buffer))).toBe(true);
    tf.dispose([x, after]);
    model.dispose();
  });
});
