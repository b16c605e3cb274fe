import * as tf from '@tensorflow/tfjs';
import { broadcastMode, nativeKernelCalls } from './kernels';
import { addonForTests, randomValues, relativeError, useCpu, useWasm } from './testing';

const addon = addonForTests();
const describeNative = addon ? describe : describe.skip;

/** Runs `fn` on wasm+native and on cpu; returns both results and how many calls ran natively. */
async function onBoth(kernel: string, fn: () => tf.Tensor): Promise<{ native: Float32Array; cpu: Float32Array; nativeCalls: number; shape: number[] }> {
  const run = (): { values: Float32Array; shape: number[] } => {
    const before = tf.memory().numTensors;
    const t = fn();
    const out = { values: t.dataSync() as Float32Array, shape: t.shape };
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    return out;
  };
  await useWasm(addon);
  const calls0 = nativeKernelCalls.get(kernel)?.native ?? 0;
  const native = run();
  const nativeCalls = (nativeKernelCalls.get(kernel)?.native ?? 0) - calls0;
  await useCpu();
  const cpu = run();
  expect(native.shape).toEqual(cpu.shape);
  return { native: native.values, cpu: cpu.values, nativeCalls, shape: native.shape };
}

const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(Float32Array.from(randomValues(shape.reduce((a, b) => a * b, 1), seed)), shape);

describe('broadcastMode', () => {
  it.each([
    [[4, 8, 8, 16], [4, 8, 8, 16], 0],
    [[1, 8, 8, 16], [1, 8, 8, 16], 0],
    [[8, 8, 16], [1, 8, 8, 16], 0],
    [[16], [4, 8, 8, 16], 1],
    [[1, 1, 1, 16], [4, 8, 8, 16], 1],
    [[], [4, 8, 8, 16], 2],
    [[1, 1], [4, 8, 8, 16], 2],
    [[4, 1, 1, 16], [4, 8, 8, 16], undefined],
    [[8, 1], [4, 8, 8, 1], undefined],
    [[1, 8, 8, 1], [4, 8, 8, 1], undefined],
  ])('%j into %j -> %p', (shape, out, mode) => {
    expect(broadcastMode(shape, out)).toBe(mode);
  });
});

describeNative('native memory-bound kernels on the wasm heap', () => {
  afterAll(() => useCpu());

  const big = [2, 16, 16, 24];
  it.each([
    ['Add', 'full + full', () => tf.add(t(big, 1), t(big, 2))],
    ['Sub', 'full - per-channel', () => tf.sub(t(big, 1), t([24], 3))],
    ['Sub', 'per-channel [1,1,1,C] - full', () => tf.sub(t([1, 1, 1, 24], 3), t(big, 1))],
    ['Multiply', 'full * scalar', () => tf.mul(t(big, 1), tf.scalar(-1.75))],
    ['Multiply', 'scalar * full', () => tf.mul(tf.scalar(0.5), t(big, 1))],
    ['RealDiv', 'full / per-channel', () => tf.div(t(big, 1), tf.add(tf.abs(t([24], 4)), 0.5))],
    ['RealDiv', 'scalar / full', () => tf.div(tf.scalar(2), tf.add(tf.abs(t(big, 4)), 0.5))],
    ['SquaredDifference', 'full, per-channel', () => tf.squaredDifference(t(big, 1), t([24], 5))],
    ['Maximum', 'full, full', () => tf.maximum(t(big, 1), t(big, 2))],
    ['Minimum', 'full, scalar', () => tf.minimum(t(big, 1), tf.scalar(0.1))],
  ] as const)('%s %s matches the cpu backend', async (kernel, _name, fn) => {
    const r = await onBoth(kernel, () => tf.tidy(fn));
    expect(r.nativeCalls).toBe(1);
    expect(relativeError(r.native, r.cpu)).toBeLessThan(1e-6);
  });

  it('a broadcast it does not take ([B,1,1,C]) falls back and stays correct', async () => {
    const r = await onBoth('Multiply', () => tf.tidy(() => tf.mul(t(big, 1), t([2, 1, 1, 24], 6))));
    expect(r.nativeCalls).toBe(0);
    expect(relativeError(r.native, r.cpu)).toBeLessThan(1e-6);
  });

  it('Maximum propagates NaN like tfjs', async () => {
    const x = Float32Array.from(randomValues(8192, 7));
    x[5] = NaN;
    const r = await onBoth('Maximum', () => tf.tidy(() => tf.maximum(tf.tensor(x), tf.scalar(0))));
    expect(Number.isNaN(r.native[5])).toBe(true);
    expect(Number.isNaN(r.cpu[5])).toBe(true);
  });

  it.each([
    ['Sum', 'leading axes [0,1,2] (batch-norm statistics)', (x: tf.Tensor) => tf.sum(x, [0, 1, 2])],
    ['Sum', 'leading axes, keepDims', (x: tf.Tensor) => tf.sum(x, [0, 1], true)],
    ['Sum', 'trailing axis', (x: tf.Tensor) => tf.sum(x, -1)],
    ['Sum', 'trailing axes [2,3], keepDims', (x: tf.Tensor) => tf.sum(x, [2, 3], true)],
    ['Sum', 'all axes', (x: tf.Tensor) => tf.sum(x)],
    ['Mean', 'leading axes [0,1,2]', (x: tf.Tensor) => tf.mean(x, [0, 1, 2])],
    ['Mean', 'trailing axes [1,2,3]', (x: tf.Tensor) => tf.mean(x, [1, 2, 3])],
  ] as const)('%s over %s matches the cpu backend', async (kernel, _name, fn) => {
    const r = await onBoth(kernel, () => tf.tidy(() => fn(t([4, 13, 11, 24], 8))));
    expect(r.nativeCalls).toBe(1);
    expect(relativeError(r.native, r.cpu)).toBeLessThan(1e-5);
  });

  it('a reduction over middle axes falls back and stays correct', async () => {
    const r = await onBoth('Sum', () => tf.tidy(() => tf.sum(t([4, 13, 11, 24], 8), [1, 2])));
    expect(r.nativeCalls).toBe(0);
    expect(relativeError(r.native, r.cpu)).toBeLessThan(1e-5);
  });

  it('a leading-axes sum gives the same bits at 1 and 2 threads (fixed block order)', async () => {
    await useWasm(addon);
    const x = t([16, 64, 64, 16], 9);
    const sum = (threads: number): Buffer => {
      addon?.setThreads(threads);
      const s = tf.sum(x, [0, 1, 2]);
      const b = Buffer.from((s.dataSync() as Float32Array).buffer.slice(0));
      s.dispose();
      return b;
    };
    try {
      expect(sum(1).equals(sum(2))).toBe(true);
    } finally {
      addon?.setThreads(1);
      x.dispose();
    }
  });

  it.each([
    ['with scale and offset', true],
    ['without scale and offset', false],
  ])('FusedBatchNorm %s matches the cpu backend', async (_name, affine) => {
    const r = await onBoth('FusedBatchNorm', () =>
      tf.tidy(() =>
        tf.batchNorm(t(big, 1), t([24], 2), tf.add(tf.abs(t([24], 3)), 0.1), affine ? t([24], 4) : undefined, affine ? t([24], 5) : undefined, 1e-3),
      ),
    );
    expect(r.nativeCalls).toBe(1);
    expect(relativeError(r.native, r.cpu)).toBeLessThan(1e-5);
  });

  it.each([
    ['Square', (x: tf.Tensor) => tf.square(x)],
    ['Relu', (x: tf.Tensor) => tf.relu(x)],
    ['Neg', (x: tf.Tensor) => tf.neg(x)],
  ] as const)('%s matches the cpu backend', async (kernel, fn) => {
    const r = await onBoth(kernel, () => tf.tidy(() => fn(t(big, 10))));
    expect(r.nativeCalls).toBe(1);
    expect(Array.from(r.native)).toEqual(Array.from(r.cpu));
  });

  it('a conv + batch-norm (batch moments) + relu block: loss and gradients match the cpu backend', async () => {
    const grads = (): tf.Tensor => {
      const x = t([4, 16, 16, 8], 21);
      const w = tf.mul(t([3, 3, 8, 16], 22), 0.3);
      const gamma = tf.add(t([16], 23), 1.5);
      const beta = t([16], 24);
      const r = t([4, 16, 16, 16], 25);
      const f = (a: tf.Tensor, b: tf.Tensor, g: tf.Tensor, o: tf.Tensor): tf.Scalar => {
        const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same');
        const { mean, variance } = tf.moments(y, [0, 1, 2]);
        return tf.sum(tf.mul(tf.relu(tf.batchNorm(y, mean, variance, o, g, 1e-3)), r));
      };
      const gs = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w, gamma, beta]);
      return tf.concat(gs.map((g) => g.flatten()));
    };
    const r = await onBoth('Sum', () => tf.tidy(grads));
    expect(r.nativeCalls).toBeGreaterThan(0);
    expect(relativeError(r.native, r.cpu)).toBeLessThan(1e-4);
  });

  it.each([
    ['last axis (U-Net skip concat)', [[4, 9, 7, 16], [4, 9, 7, 5]], 3],
    ['a middle axis', [[4, 9, 7, 16], [4, 4, 7, 16], [4, 1, 7, 16]], 1],
    ['the first axis', [[3, 40, 40], [2, 40, 40]], 0],
  ] as const)('Concat along %s and SplitV back match the cpu backend', async (_name, shapes, axis) => {
    const c = await onBoth('Concat', () => tf.tidy(() => tf.concat(shapes.map((sh, i) => t([...sh], 30 + i)), axis)));
    expect(c.nativeCalls).toBe(1);
    expect(Array.from(c.native)).toEqual(Array.from(c.cpu));
    const sizes = shapes.map((sh) => sh[axis] as number);
    const s = await onBoth('SplitV', () => tf.tidy(() => tf.concat(tf.split(t(c.shape, 40), sizes, axis).map((p) => tf.mul(p.flatten(), 2)))));
    expect(s.nativeCalls).toBe(1);
    expect(Array.from(s.native)).toEqual(Array.from(s.cpu));
  });

  it('Concat of int32 runs natively; of bool falls back', async () => {
    const ints = await onBoth('Concat', () => tf.tidy(() => tf.concat([tf.range(0, 6000, 1, 'int32').reshape([100, 60]), tf.range(0, 3000, 1, 'int32').reshape([100, 30])], 1).toFloat()));
    expect(ints.nativeCalls).toBe(1);
    expect(Array.from(ints.native)).toEqual(Array.from(ints.cpu));
    const bools = await onBoth('Concat', () => tf.tidy(() => tf.concat([tf.ones([100, 60]).greater(0), tf.zeros([100, 60]).greater(0)], 1).toFloat()));
    expect(bools.nativeCalls).toBe(0);
    expect(Array.from(bools.native)).toEqual(Array.from(bools.cpu));
  });

  it.each([
    ['the U-Net crop (height and width at once)', [4, 20, 20, 16], [0, 3, 4, 0], [-1, 13, 12, -1]],
    ['one row band of a 1-channel image', [8, 40, 60, 1], [0, 1, 0, 0], [-1, 13, -1, -1]],
    ['the channel axis', [2, 30, 30, 24], [0, 0, 0, 5], [-1, -1, -1, 11]],
  ] as const)('Slice of %s and its gradient (PadV2) match the cpu backend bit for bit', async (_name, shape, begin, size) => {
    const s = await onBoth('Slice', () => tf.tidy(() => tf.slice(t([...shape], 50), [...begin], [...size])));
    expect(s.nativeCalls).toBe(1);
    expect(Array.from(s.native)).toEqual(Array.from(s.cpu));
    const r = t(s.shape, 51);
    const g = await onBoth('PadV2', () => tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.slice(x, [...begin], [...size]), r)))(t([...shape], 50))));
    expect(g.nativeCalls).toBe(1);
    expect(Array.from(g.native)).toEqual(Array.from(g.cpu));
  });

  it.each([
    ['height and width, constant 0', [[0, 0], [3, 4], [4, 4], [0, 0]], 0],
    ['every axis, constant -1.5', [[1, 2], [0, 3], [2, 0], [1, 1]], -1.5],
  ] as const)('PadV2 of %s matches the cpu backend bit for bit', async (_name, paddings, value) => {
    const p = await onBoth('PadV2', () => tf.tidy(() => tf.pad(t([3, 13, 12, 16], 52), paddings.map((q) => [...q]) as Array<[number, number]>, value)));
    expect(p.nativeCalls).toBe(1);
    expect(Array.from(p.native)).toEqual(Array.from(p.cpu));
  });

  it('PadV2 of int32 fills with the integer constant; of bool falls back', async () => {
    const ints = await onBoth('PadV2', () => tf.tidy(() => tf.pad(tf.range(0, 6000, 1, 'int32').reshape([100, 60]), [[2, 1], [3, 0]], 7).toFloat()));
    expect(ints.nativeCalls).toBe(1);
    expect(Array.from(ints.native)).toEqual(Array.from(ints.cpu));
    expect(ints.native[0]).toBe(7);
    expect(ints.native[2 * 63 + 3]).toBe(0);
    const bools = await onBoth('PadV2', () => tf.tidy(() => tf.pad(tf.ones([100, 60]).greater(0), [[2, 1], [3, 0]]).toFloat()));
    expect(bools.nativeCalls).toBe(0);
    expect(Array.from(bools.native)).toEqual(Array.from(bools.cpu));
  });

  it.each([
    ['height (reflection padding, 1 channel)', [8, 14, 101, 1], [1]],
    ['width, 16 channels', [4, 20, 21, 16], [2]],
    ['height and width', [4, 20, 21, 3], [1, 2]],
    ['the last axis (element by element)', [4, 20, 21, 16], [3]],
  ] as const)('Reverse along %s matches the cpu backend bit for bit', async (_name, shape, dims) => {
    const r = await onBoth('Reverse', () => tf.tidy(() => tf.reverse(t([...shape], 53), [...dims])));
    expect(r.nativeCalls).toBe(1);
    expect(Array.from(r.native)).toEqual(Array.from(r.cpu));
  });

  it.each([
    ['k = n (the Lovász sort), many ties and signed zeros', 4, 3000, 3000],
    ['k < n', 6, 2000, 37],
  ] as const)('TopK, %s, matches the cpu backend value for value and index for index', async (_name, rows, n, k) => {
    const v = Float32Array.from({ length: rows * n }, (_, i) => Math.round(Math.sin(i * 7.3) * 20) / 4);
    v[5] = -0;
    v[9] = 0;
    const r = await onBoth('TopK', () =>
      tf.tidy(() => {
        const { values, indices } = tf.topk(tf.tensor2d(v, [rows, n]), k, true);
        return tf.concat([values, indices.toFloat()], 1);
      }),
    );
    expect(r.nativeCalls).toBe(1);
    expect(Array.from(r.native)).toEqual(Array.from(r.cpu));
    // Row 0 by hand: the largest value is 5 (20 / 4), first at the smallest index holding it.
    const first = v.subarray(0, n).indexOf(5);
    expect([r.native[0], r.native[k]]).toEqual([5, first]);
  });

  it('TopK with a value that is not finite, or unsorted, goes to the stock kernel', async () => {
    const v = Float32Array.from({ length: 2 * 3000 }, (_, i) => Math.sin(i));
    v[17] = NaN;
    const nan = await onBoth('TopK', () => tf.tidy(() => tf.topk(tf.tensor2d(v, [2, 3000]), 10, true).indices.toFloat()));
    expect(nan.nativeCalls).toBe(0);
    v[17] = 0.5;
    const unsorted = await onBoth('TopK', () => tf.tidy(() => tf.topk(tf.tensor2d(v, [2, 3000]), 10, false).values));
    expect(unsorted.nativeCalls).toBe(0);
  });

  it('box copies as worked out by hand, and refuses a box outside its tensors', () => {
    const native = addon as NonNullable<typeof addon>;
    const heap = new ArrayBuffer(256);
    const f = new Float32Array(heap);
    f.set([1, 2, 3, 4, 5, 6], 0); // x = [[1, 2, 3], [4, 5, 6]] at byte 0
    const args = { x: 0, xShape: Float64Array.of(2, 3), begin: Float64Array.of(0, 1), size: Float64Array.of(2, 2), reverse: Float64Array.of(0, 1), y: 64, yShape: Float64Array.of(3, 4), offset: Float64Array.of(1, 0), fill: new Uint32Array(Float32Array.of(9).buffer)[0] };
    native.box(heap, args);
    // Rows 1-2 of y take x's columns 1..2 reversed; the rest is the fill.
    expect(Array.from(f.subarray(16, 28))).toEqual([9, 9, 9, 9, 3, 2, 9, 9, 6, 5, 9, 9]);
    expect(() => native.box(heap, { ...args, begin: Float64Array.of(0, 2) })).toThrow(/box must lie inside/);
    expect(() => native.box(heap, { ...args, offset: Float64Array.of(2, 0) })).toThrow(/box must lie inside/);
  });

  it('small tensors stay on the wasm kernels', async () => {
    const r = await onBoth('Add', () => tf.tidy(() => tf.add(t([3, 5], 1), t([3, 5], 2))));
    expect(r.nativeCalls).toBe(0);
    expect(relativeError(r.native, r.cpu)).toBeLessThan(1e-7);
  });
});
