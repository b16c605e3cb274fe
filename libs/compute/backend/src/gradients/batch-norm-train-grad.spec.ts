import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '@segkit/native';
import { addonForTests, randomValues, useCpu, useWasm } from '@segkit/native/testing';
import { registerTrainingGradients } from './register';

const addon = addonForTests();
const describeNative = addon ? describe : describe.skip;

const SHAPE = [4, 16, 16, 16];
const t = (seed: number): tf.Tensor => tf.tensor(Float32Array.from(randomValues(SHAPE.reduce((a, b) => a * b, 1), seed)), SHAPE);
const bits = (x: tf.Tensor): string => Buffer.from((x.dataSync() as Float32Array).buffer.slice(0)).toString('base64');

/** Σ w·batchNormTrain(x) and its gradient in x, under the tape. */
function valueAndGrad(scale: tf.Tensor | undefined, offset: tf.Tensor | undefined, relu: boolean): string[] {
  return tf.tidy(() => {
    const w = t(12);
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(x, scale, offset, 1e-3, relu)[0], w)))(t(11));
    return [bits(value), bits(grad)];
  });
}

describeNative('the gradients of the native batch-norm training kernels', () => {
  beforeAll(() => registerTrainingGradients());
  afterAll(async () => {
    addon?.setThreads(1);
    await useCpu();
  });

  it.each([false, true])('run without a scale or an offset as with ones and zeros, bit for bit, leaking nothing (relu %s)', async (relu) => {
    await useWasm(addon);
    const before = tf.memory().numTensors;
    const absent = valueAndGrad(undefined, undefined, relu);
    const explicit = tf.tidy(() => valueAndGrad(tf.ones([16]), tf.zeros([16]), relu));
    expect(tf.memory().numTensors).toBe(before);
    expect(absent).toEqual(explicit);
  });

  it('take the Relu’s step from the offset: a shifted offset moves the gradient', async () => {
    await useWasm(addon);
    const [, at0] = tf.tidy(() => valueAndGrad(undefined, tf.zeros([16]), true));
    const [, at1] = tf.tidy(() => valueAndGrad(undefined, tf.fill([16], 0.5), true));
    expect(at1).not.toEqual(at0);
  });
});
