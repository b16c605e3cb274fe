import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_RELU_TRAIN, batchNormTrain, batchNormTrainGrad, leadingRepeat, nativeKernelCalls, reluGrad, RELU_GRAD } from './kernels';
import { addonForTests, randomValues, useCpu, useWasm } from './testing';

const addon = addonForTests();
const describeNative = addon ? describe : describe.skip;

const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(Float32Array.from(randomValues(shape.reduce((a, b) => a * b, 1), seed)), shape);
const bits = (x: tf.Tensor): Buffer => Buffer.from((x.dataSync() as Float32Array).buffer.slice(0));
const natives = (name: string): number => nativeKernelCalls.get(name)?.native ?? 0;

describe('leadingRepeat (which tilings the native Tile takes)', () => {
  it.each([
    [[1, 1, 1, 24], [4, 16, 16, 1], { block: 24, times: 1024 }],
    [[1, 8, 24], [3, 1, 1], { block: 192, times: 3 }],
    [[5, 24], [1, 1], { block: 120, times: 1 }],
    [[1, 1, 1, 24], [4, 16, 16, 2], undefined],
    [[4, 1, 1, 24], [1, 16, 16, 1], undefined],
    [[1, 24], [2], undefined],
  ])('%j tiled %j -> %j', (shape, reps, plan) => {
    expect(leadingRepeat(shape, reps)).toEqual(plan);
  });
});

describeNative('one-pass kernels: the same bits as the stock wasm kernels they replace, at any thread count', () => {
  afterAll(async () => {
    addon?.setThreads(1);
    await useCpu();
  });

  const shape = [4, 32, 32, 24];
  /** x with zeros, negative zeros and NaNs planted, and dy of both signs. */
  const inputs = (): { x: tf.Tensor; dy: tf.Tensor } => {
    const xs = Float32Array.from(randomValues(shape.reduce((a, b) => a * b, 1), 1));
    for (let i = 0; i < xs.length; i += 97) xs[i] = 0;
    for (let i = 13; i < xs.length; i += 101) xs[i] = -0;
    for (let i = 29; i < xs.length; i += 499) xs[i] = NaN;
    return { x: tf.tensor(xs, shape), dy: t(shape, 2) };
  };

  it('Relu gradient: dy * step(x) in one pass equals Step then Multiply bit for bit (NaN, ±0), at 1, 2 and 4 threads', async () => {
    await useWasm(undefined);
    const stock = tf.tidy(() => {
      const { x, dy } = inputs();
      return bits(tf.mul(dy, tf.cast(tf.step(x), 'float32')));
    });
    await useWasm(addon);
    for (const threads of [1, 2, 4]) {
      addon?.setThreads(threads);
      const before = tf.memory().numTensors;
      const calls = natives(RELU_GRAD);
      const ours = tf.tidy(() => {
        const { x, dy } = inputs();
        const g = reluGrad(dy, x);
        expect(g).toBeDefined();
        return bits(g as tf.Tensor);
      });
      expect(natives(RELU_GRAD)).toBe(calls + 1);
      expect(tf.memory().numTensors).toBe(before);
      expect(ours.equals(stock)).toBe(true);
    }
  });

  it('Relu gradient: not taken off wasm, for other dtypes or small tensors (the caller composes it)', async () => {
    await useWasm(addon);
    tf.tidy(() => {
      expect(reluGrad(t([4, 4], 1), t([4, 4], 2))).toBeUndefined();
      expect(reluGrad(t(shape, 1), tf.cast(t(shape, 2), 'int32'))).toBeUndefined();
    });
    await useCpu();
    tf.tidy(() => expect(reluGrad(t(shape, 1), t(shape, 2))).toBeUndefined());
  });

  // 24 channels run the kernels' loops over a run-time channel count, 8 and 32 their loops compiled for that count.
  it.each([24, 8, 32])('batch norm + Relu in one kernel, and its gradient through the Relu, equal batch norm, Relu and their gradients run apart, bit for bit, at 1, 2 and 4 threads (%i channels)', async (channels) => {
    await useWasm(addon);
    const eps = 1e-3;
    const shape = [4, 32, 32, channels];
    /** x with channel 0 constant and offset 0 there, so that y is exactly 0 (the Relu's edge) on a whole channel. */
    const args = (): { x: tf.Tensor; dy: tf.Tensor; scale: tf.Tensor; offset: tf.Tensor } => {
      const xs = Float32Array.from(randomValues(shape.reduce((a, b) => a * b, 1), 7));
      for (let i = 0; i < xs.length; i += channels) xs[i] = 0.25;
      const offsets = Float32Array.from(randomValues(channels, 9));
      offsets[0] = 0;
      return { x: tf.tensor(xs, shape), dy: t(shape, 8), scale: t([channels], 10), offset: tf.tensor(offsets) };
    };
    const apart = (): Buffer[] =>
      tf.tidy(() => {
        const { x, dy, scale, offset } = args();
        const [z, mean, variance] = batchNormTrain(x, scale, offset, eps);
        const y = tf.relu(z);
        const dz = reluGrad(dy, y) as tf.Tensor;
        const [dx, dscale, doffset] = batchNormTrainGrad(dz, x, mean, variance, scale, offset, eps);
        return [y, mean, variance, dx, dscale, doffset].map(bits);
      });
    const fused = (): Buffer[] =>
      tf.tidy(() => {
        const { x, dy, scale, offset } = args();
        const [y, mean, variance] = batchNormTrain(x, scale, offset, eps, true);
        const [dx, dscale, doffset] = batchNormTrainGrad(dy, x, mean, variance, scale, offset, eps, true);
        return [y, mean, variance, dx, dscale, doffset].map(bits);
      });
    addon?.setThreads(1);
    const expected = apart();
    const y0 = new Float32Array(expected[0].buffer, expected[0].byteOffset, expected[0].length / 4);
    expect(y0.filter((v) => v === 0).length).toBeGreaterThan(shape[0] * shape[1] * shape[2]);
    for (const threads of [1, 2, 4]) {
      addon?.setThreads(threads);
      const calls = natives(BATCH_NORM_RELU_TRAIN);
      const before = tf.memory().numTensors;
      const got = fused();
      expect(natives(BATCH_NORM_RELU_TRAIN)).toBe(calls + 1);
      expect(tf.memory().numTensors).toBe(before);
      got.forEach((b, i) => expect([i, b.equals(expected[i])]).toEqual([i, true]));
      apart().forEach((b, i) => expect([i, b.equals(expected[i])]).toEqual([i, true]));
    }
  });

  it('Tile of a per-channel row over the leading axes (a Mean gradient) equals the stock kernel, at 1, 2 and 4 threads', async () => {
    const run = (): Buffer => tf.tidy(() => bits(tf.broadcastTo(t([1, 1, 1, 24], 3), shape as [number, number, number, number])));
    await useWasm(undefined);
    const stock = run();
    await useWasm(addon);
    for (const threads of [1, 2, 4]) {
      addon?.setThreads(threads);
      const calls = natives('Tile');
      const before = tf.memory().numTensors;
      expect(run().equals(stock)).toBe(true);
      expect(natives('Tile')).toBe(calls + 1);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('Tile of other shapes falls back and stays right', async () => {
    await useWasm(addon);
    const calls = nativeKernelCalls.get('Tile')?.fallback ?? 0;
    const got = tf.tidy(() => tf.tile(tf.tensor2d([[1, 2], [3, 4]]), [64, 40]).arraySync() as number[][]);
    expect(nativeKernelCalls.get('Tile')?.fallback).toBe(calls + 1);
    expect(got[2][2]).toBe(1);
    expect(got[3][5]).toBe(4);
    expect(got).toHaveLength(128);
  });

  it.each([
    ['a permutation of a flat float32 tensor (the Lovász sort)', () => tf.gather(t([6000], 4), tf.tensor1d(Array.from({ length: 6000 }, (_, i) => (i * 7919) % 6000), 'int32'))],
    ['rows of an int32 matrix, axis 0', () => tf.gather(tf.cast(tf.mul(t([300, 40], 5), 1000), 'int32'), tf.tensor1d([5, 0, 299, 5, 17, ...Array.from({ length: 200 }, (_, i) => i)], 'int32'))],
    ['axis 1 with an inner block', () => tf.gather(t([40, 50, 30], 6), tf.tensor2d([[3, 1], [49, 0], [7, 7]], [3, 2], 'int32'), 1)],
  ] as const)('GatherV2 of %s equals the stock kernel, at 1, 2 and 4 threads', async (_name, fn) => {
    const run = (): { bytes: Buffer; shape: number[] } =>
      tf.tidy(() => {
        const y = fn();
        return { bytes: Buffer.from(new Uint8Array((y.dataSync() as Float32Array | Int32Array).buffer.slice(0))), shape: y.shape };
      });
    await useWasm(undefined);
    const stock = run();
    await useWasm(addon);
    for (const threads of [1, 2, 4]) {
      addon?.setThreads(threads);
      const calls = natives('GatherV2');
      const before = tf.memory().numTensors;
      const ours = run();
      expect(natives('GatherV2')).toBe(calls + 1);
      expect(tf.memory().numTensors).toBe(before);
      expect(ours.shape).toEqual(stock.shape);
      expect(ours.bytes.equals(stock.bytes)).toBe(true);
    }
  });

  it('GatherV2 with an index out of range goes to the stock kernel, which names it', async () => {
    await useWasm(addon);
    const fallbacks = nativeKernelCalls.get('GatherV2')?.fallback ?? 0;
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.gather(t([6000], 4), tf.tensor1d([0, 1, 6000], 'int32')).dataSync())).toThrow(/6000/);
    expect(nativeKernelCalls.get('GatherV2')?.fallback).toBe(fallbacks + 1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
