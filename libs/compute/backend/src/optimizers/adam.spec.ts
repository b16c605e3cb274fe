import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, nativeKernelCalls } from '@segkit/native';
import { addonForTests, randomValues, useCpu, useWasm } from '@segkit/native/testing';
import { adam, FusedAdamOptimizer } from './adam';

const addon = addonForTests();
const describeNative = addon ? describe : describe.skip;

/** Variables of a small and a large size (threads split the large one), and a 0-d one. */
const SHAPES = [[3, 3, 8, 16], [4, 32, 32, 24], [7], []];
const values = (shape: number[], seed: number, scale = 1): Float32Array => Float32Array.from(randomValues(Math.max(1, shape.reduce((a, b) => a * b, 1)), seed), (v) => v * scale);

/**
 * Four Adam steps on fresh variables with seeded gradients, the learning rate changed before the
 * third (as the plateau schedule does); returns the bytes of the variables, then of getWeights().
 */
async function train(make: () => tf.AdamOptimizer, tag: string): Promise<{ vars: Buffer[]; weights: { name: string; bytes: Buffer }[]; iterations: number }> {
  const vars = SHAPES.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(values(s, 10 + i), s), true, `${tag}_w${i}`)));
  const opt = make();
  for (let step = 0; step < 4; step++) {
    if (step === 2) (opt as unknown as { learningRate: number }).learningRate = 3e-4; // as the plateau schedule sets it
    const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(values(v.shape, 100 * step + i, step === 1 ? 1e-4 : 1), v.shape) }));
    opt.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const bytes = (t: tf.Tensor): Buffer => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0));
  const saved = await opt.getWeights();
  const weights = saved.map((w) => ({ name: w.name.replace(tag, ''), bytes: bytes(w.tensor) }));
  saved[0].tensor.dispose(); // the iteration count, a new scalar
  const out = { vars: vars.map(bytes), weights, iterations: opt.iterations };
  opt.dispose();
  tf.dispose(vars);
  return out;
}

describeNative('Adam with each update in one native kernel', () => {
  afterAll(async () => {
    addon?.setThreads(1);
    await useCpu();
  });

  it('gives the bits of tfjs Adam (values, moments, names, iterations), at 1, 2 and 4 threads, without leaking', async () => {
    await useWasm(undefined);
    const stockBefore = tf.memory().numTensors;
    const stock = await train(() => tf.train.adam(1e-3), 'stock');
    expect(tf.memory().numTensors).toBe(stockBefore);
    await useWasm(addon);
    for (const threads of [1, 2, 4]) {
      addon?.setThreads(threads);
      const calls = nativeKernelCalls.get(ADAM_UPDATE)?.native ?? 0;
      const before = tf.memory().numTensors;
      const ours = await train(() => adam(1e-3), `fused${threads}`);
      expect(tf.memory().numTensors).toBe(before);
      expect(nativeKernelCalls.get(ADAM_UPDATE)?.native).toBe(calls + 4 * SHAPES.length);
      expect(ours.iterations).toBe(stock.iterations);
      ours.vars.forEach((b, i) => expect(b.equals(stock.vars[i])).toBe(true));
      expect(ours.weights.map((w) => w.name)).toEqual(stock.weights.map((w) => w.name));
      ours.weights.forEach((w, i) => expect(w.bytes.equals(stock.weights[i].bytes)).toBe(true));
    }
  });

  it('is tfjs Adam where the kernel is not registered (cpu), and a drop-in AdamOptimizer', async () => {
    await useCpu();
    const stock = await train(() => tf.train.adam(1e-3), 'cpuStock');
    const ours = await train(() => adam(1e-3), 'cpuFused');
    ours.vars.forEach((b, i) => expect(b.equals(stock.vars[i])).toBe(true));
    const opt = adam(2e-3);
    expect(opt).toBeInstanceOf(tf.AdamOptimizer);
    expect(opt).toBeInstanceOf(FusedAdamOptimizer);
    expect(opt.getConfig()).toEqual(tf.train.adam(2e-3).getConfig());
    opt.dispose();
  });
});
