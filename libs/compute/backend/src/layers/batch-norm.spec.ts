import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAIN, nativeKernelCalls } from '@segkit/native';
import { addonForTests, randomValues, relativeError, useCpu, useWasm } from '@segkit/native/testing';
import { registerTrainingGradients } from '../gradients/register';
import { batchNormalization, BatchNormalization } from './batch-norm';

const addon = addonForTests();
const describeNative = addon ? describe : describe.skip;

const SHAPE = [4, 24, 24, 12];
const values = (n: number, seed: number, scale = 1, shift = 0): Float32Array => Float32Array.from(randomValues(n, seed), (v) => v * scale + shift);

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/**
 * One training call of a BatchNormalization layer (stock or ours) on x (channel means and scales
 * far from 0 and 1, so the statistics matter), the loss Σ w·relu(y); gradients in x, γ, β, and the
 * moving statistics after the call.
 */
function trainCall(make: (args: Parameters<typeof tf.layers.batchNormalization>[0]) => tf.layers.Layer): Result {
  return tf.tidy(() => {
    const n = SHAPE.reduce((a, b) => a * b, 1);
    const x = tf.tensor(values(n, 1, 3, 1.5), SHAPE);
    const w = tf.tensor(values(n, 2), SHAPE);
    const layer = make({ axis: -1, momentum: 0.9, epsilon: 1e-3, gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 3 }), betaInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 4 }) });
    layer.build(SHAPE);
    const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    let y: Float32Array = new Float32Array(0);
    const f = (a: tf.Tensor): tf.Scalar => {
      const out = layer.apply(a, { training: true }) as tf.Tensor;
      y = out.dataSync() as Float32Array;
      return tf.sum(tf.mul(tf.relu(out), w));
    };
    const { grads } = tf.variableGrads(() => f(x), [gamma, beta]);
    const dx = tf.grad(f)(x);
    const [movingMean, movingVariance] = layer.getWeights().slice(2);
    const result = {
      y,
      dx: dx.dataSync() as Float32Array,
      dgamma: grads[gamma.name].dataSync() as Float32Array,
      dbeta: grads[beta.name].dataSync() as Float32Array,
      movingMean: movingMean.dataSync() as Float32Array,
      movingVariance: movingVariance.dataSync() as Float32Array,
    };
    for (const v of layer.weights) v.dispose(); // applied eagerly, so Layer.dispose() refuses
    return result;
  });
}

const bytes = (r: Result): string[] => Object.values(r).map((v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));

describeNative('BatchNormalization with its training path in two native kernels', () => {
  beforeAll(() => registerTrainingGradients());
  afterAll(async () => {
    addon?.setThreads(1);
    await useCpu();
  });

  it('matches tfjs’s stock layer (moments + batchNorm and their gradients on the cpu backend): output, gradients, moving statistics', async () => {
    await useCpu();
    const stock = trainCall((args) => tf.layers.batchNormalization(args));
    await useWasm(addon);
    const calls = nativeKernelCalls.get(BATCH_NORM_TRAIN)?.native ?? 0;
    const before = tf.memory().numTensors;
    const ours = trainCall(batchNormalization);
    expect(tf.memory().numTensors).toBe(before);
    expect(nativeKernelCalls.get(BATCH_NORM_TRAIN)?.native).toBeGreaterThan(calls);
    for (const key of Object.keys(stock) as (keyof Result)[]) expect(relativeError(ours[key], stock[key])).toBeLessThan(2e-5);
  });

  it('gives the same bits at 1, 2 and 4 threads', async () => {
    await useWasm(addon);
    const at = (threads: number): string[] => {
      addon?.setThreads(threads);
      return bytes(trainCall(batchNormalization));
    };
    const one = at(1);
    expect(at(2)).toEqual(one);
    expect(at(4)).toEqual(one);
  });

  it('is tfjs’s layer bit for bit where the kernels do not run (cpu backend) and in inference', async () => {
    await useCpu();
    expect(bytes(trainCall(batchNormalization))).toEqual(bytes(trainCall((args) => tf.layers.batchNormalization(args))));
    await useWasm(addon);
    const infer = (make: (args: Parameters<typeof tf.layers.batchNormalization>[0]) => tf.layers.Layer): Float32Array =>
      tf.tidy(() => {
        const layer = make({ axis: -1, movingMeanInitializer: 'ones' });
        return (layer.apply(tf.tensor(values(4 * 24 * 24 * 12, 5), SHAPE), { training: false }) as tf.Tensor).dataSync() as Float32Array;
      });
    expect(Buffer.from(infer(batchNormalization).buffer).equals(Buffer.from(infer((args) => tf.layers.batchNormalization(args)).buffer))).toBe(true);
  });

  it('saves as tfjs’s BatchNormalization and loads back as this class', async () => {
    await useCpu();
    const input = tf.input({ shape: [8, 8, 3] });
    const model = tf.model({ inputs: input, outputs: batchNormalization({ axis: -1, name: 'bn' }).apply(input) as tf.SymbolicTensor });
    const json = model.toJSON(null, false) as unknown as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.map((l) => l.class_name)).toEqual(['InputLayer', 'BatchNormalization']);
    const loaded = await tf.models.modelFromJSON(json as unknown as tf.io.ModelJSON);
    expect(loaded.getLayer('bn')).toBeInstanceOf(BatchNormalization);
    model.dispose();
    loaded.dispose();
  });
});
