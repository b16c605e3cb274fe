import * as tf from '@tensorflow/tfjs';
import { nativeKernelCalls } from './kernels';
import { addonForTests, type ConvCase, convGradsByFiniteDifference, convOutSize, naiveConv2d, randomValues, relativeError, useCpu, useWasm } from './testing';

const addon = addonForTests();
const describeNative = addon ? describe : describe.skip;

function tfConv(xv: Float64Array, wv: Float64Array, rv: Float64Array, c: ConvCase, rShape: number[]): { y: Float32Array; dx: Float32Array; dw: Float32Array } {
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(xv), c.x);
    const w = tf.tensor4d(Float32Array.from(wv), [c.k[0], c.k[1], c.x[3], c.co]);
    const r = tf.tensor(Float32Array.from(rv), rShape);
    const d = c.dilation ?? 1;
    const y = tf.conv2d(x, w, c.stride, c.pad, 'NHWC', d).dataSync() as Float32Array;
    if (d !== 1) return { y, dx: new Float32Array(0), dw: new Float32Array(0) }; // tfjs has no dilated conv gradients
    const f = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar => tf.sum(tf.mul(tf.conv2d(a, b, c.stride, c.pad), r));
    const [dx, dw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
    return { y, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** A case's output shape, and random input, filter and output-gradient values from `seed`, `seed + 1` and `seed + 2`. */
function caseValues(c: ConvCase, seed: number): { rShape: number[]; xv: Float64Array; wv: Float64Array; rv: Float64Array } {
  const rShape = [c.x[0], convOutSize(c.x[1], c.k[0], c.stride, 1, c.pad).out, convOutSize(c.x[2], c.k[1], c.stride, 1, c.pad).out, c.co];
  const xv = randomValues(c.x.reduce((a, b) => a * b, 1), seed);
  const wv = randomValues(c.k[0] * c.k[1] * c.x[3] * c.co, seed + 1);
  return { rShape, xv, wv, rv: randomValues(rShape.reduce((a, b) => a * b, 1), seed + 2) };
}

const cases: [string, ConvCase][] = [
  ['3x3 stride 1 same, odd 7x5, batch 2, 3 -> 5 channels', { x: [2, 7, 5, 3], k: [3, 3], co: 5, stride: 1, pad: 'same' }],
  ['3x3 stride 1 valid, even 6x8', { x: [2, 6, 8, 2], k: [3, 3], co: 3, stride: 1, pad: 'valid' }],
  ['3x3 stride 2 same, even 8x8, 13 channels', { x: [2, 8, 8, 13], k: [3, 3], co: 11, stride: 2, pad: 'same' }],
  ['3x3 stride 2 same, odd 7x9 (asymmetric padding)', { x: [1, 7, 9, 2], k: [3, 3], co: 3, stride: 2, pad: 'same' }],
  ['3x3 stride 2 valid, odd 9x7 (unused remainder)', { x: [2, 9, 7, 2], k: [3, 3], co: 2, stride: 2, pad: 'valid' }],
  ['2x2 stride 2 same (U-Net down/up sampling)', { x: [2, 8, 6, 3], k: [2, 2], co: 5, stride: 2, pad: 'same' }],
  ['1x1 stride 1 (logit head), 1 output channel', { x: [3, 5, 4, 6], k: [1, 1], co: 1, stride: 1, pad: 'valid' }],
  ['5x3 stride 1 same, non-square kernel, 1 input channel', { x: [2, 6, 7, 1], k: [5, 3], co: 2, stride: 1, pad: 'same' }],
  ['16 -> 24 channels, batch 2 (blocked layouts)', { x: [2, 5, 4, 16], k: [3, 3], co: 24, stride: 1, pad: 'same' }],
  ['3x3 dilation 2 same (forward only)', { x: [2, 9, 8, 3], k: [3, 3], co: 4, stride: 1, pad: 'same', dilation: 2 }],
];

describeNative('native oneDNN convolutions on the wasm heap', () => {
  afterAll(() => useCpu());

  it.each(cases)('%s: values and gradients match finite differences and the cpu backend', async (_name, c) => {
    const xv = randomValues(c.x.reduce((a, b) => a * b, 1), 11);
    const wv = randomValues(c.k[0] * c.k[1] * c.x[3] * c.co, 12);
    const { y: yRef, oh, ow } = naiveConv2d(xv, wv, c);
    const rShape = [c.x[0], oh, ow, c.co];
    const rv = randomValues(rShape.reduce((a, b) => a * b, 1), 13);

    await useWasm(addon);
    const before = nativeKernelCalls.get('Conv2D')?.native ?? 0;
    const native = tfConv(xv, wv, rv, c, rShape);
    expect(nativeKernelCalls.get('Conv2D')?.native ?? 0).toBeGreaterThan(before);
    await useCpu();
    const cpu = tfConv(xv, wv, rv, c, rShape);

    expect(relativeError(native.y, yRef)).toBeLessThan(1e-5);
    expect(relativeError(native.y, cpu.y)).toBeLessThan(1e-5);
    if ((c.dilation ?? 1) === 1) {
      const { dx: dxRef, dw: dwRef } = convGradsByFiniteDifference(xv, wv, rv, c);
      expect(relativeError(native.dx, dxRef)).toBeLessThan(1e-4);
      expect(relativeError(native.dw, dwRef)).toBeLessThan(1e-4);
      expect(relativeError(native.dx, cpu.dx)).toBeLessThan(1e-4);
      expect(relativeError(native.dw, cpu.dw)).toBeLessThan(1e-4);
    }
  });

  it.each([
    ['linear', 0],
    ['relu', 0],
    ['elu', 0],
    ['sigmoid', 0],
    ['relu6', 0],
    ['leakyrelu', 0.1],
  ] as const)('fused conv + bias + %s matches the cpu backend', async (activation, alpha) => {
    const xv = Float32Array.from(randomValues(2 * 6 * 7 * 5, 31)).map((v) => v * 4);
    const wv = Float32Array.from(randomValues(3 * 3 * 5 * 6, 32));
    const bv = Float32Array.from(randomValues(6, 33));
    const run = (): Float32Array =>
      tf.tidy(() =>
        tf.fused
          .conv2d({ x: tf.tensor4d(xv, [2, 6, 7, 5]), filter: tf.tensor4d(wv, [3, 3, 5, 6]), strides: 1, pad: 'same', bias: tf.tensor1d(bv), activation, leakyreluAlpha: alpha })
          .dataSync() as Float32Array,
      );
    await useWasm(addon);
    const before = nativeKernelCalls.get('FusedConv2D')?.native ?? 0;
    const native = run();
    expect(nativeKernelCalls.get('FusedConv2D')?.native).toBe(before + 1);
    await useCpu();
    expect(relativeError(native, run())).toBeLessThan(1e-5);
  });

  it('a prelu fused activation falls back to the wasm kernel and stays correct', async () => {
    const xv = Float32Array.from(randomValues(1 * 5 * 5 * 2, 41));
    const wv = Float32Array.from(randomValues(3 * 3 * 2 * 3, 42));
    const run = (): Float32Array =>
      tf.tidy(() =>
        tf.fused.conv2d({ x: tf.tensor4d(xv, [1, 5, 5, 2]), filter: tf.tensor4d(wv, [3, 3, 2, 3]), strides: 1, pad: 'same', activation: 'prelu', preluActivationWeights: tf.scalar(0.25) }).dataSync() as Float32Array,
      );
    await useWasm(addon);
    const before = nativeKernelCalls.get('FusedConv2D')?.fallback ?? 0;
    const native = run();
    expect(nativeKernelCalls.get('FusedConv2D')?.fallback).toBe(before + 1);
    await useCpu();
    expect(relativeError(native, run())).toBeLessThan(1e-5);
  });

  /**
   * A layer's forward pass and gradients with one of the addon's kernel choices switched off, then
   * on (and left on, the default), with the addon's count of primitives using it after each.
   */
  async function offThenOn(c: ConvCase, seed: number, choose: (on: boolean) => void, count: () => number | undefined) {
    const values = caseValues(c, seed);
    const run = () => tfConv(values.xv, values.wv, values.rv, c, values.rShape);
    await useWasm(addon);
    try {
      choose(false);
      const off = run();
      const countOff = count();
      choose(true);
      return { ...values, off, countOff, on: run(), countOn: count() };
    } finally {
      choose(true);
    }
  }

  /**
   * A layer's forward pass and gradients with direct convolutions only, then with Winograd where
   * the rules pick it (left on), the float64 forward for reference, and how many Winograd
   * primitives the second run created (none where this oneDNN has no Winograd for the CPU).
   */
  async function directThenWinograd(c: ConvCase, seed: number) {
    let avx2Calls = 0;
    const r = await offThenOn(
      c,
      seed,
      (on) => addon?.setWinograd(on),
      () => {
        avx2Calls = addon?.stats().avx2WinogradCalls ?? 0;
        return addon?.stats().winograd;
      },
    );
    expect(r.countOff).toBe(0);
    return {
      xv: r.xv,
      wv: r.wv,
      rv: r.rv,
      rShape: r.rShape,
      direct: r.off,
      wino: r.on,
      yRef: naiveConv2d(r.xv, r.wv, c).y,
      winograd: r.countOn,
      available: addon?.version().winograd ?? false,
      // The addon's own AVX2 kernels (where oneDNN has none) and the passes they ran.
      avx2: addon?.version().avx2Winograd ?? false,
      avx2Calls,
    };
  }
  const sameBits = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

  /** A Winograd run's forward pass within rounding of float64, its gradients within rounding of the cpu backend's (switches to it). */
  async function expectWithinRounding(c: ConvCase, r: { xv: Float64Array; wv: Float64Array; rv: Float64Array; rShape: number[]; wino: ReturnType<typeof tfConv>; yRef: Float64Array }) {
    await useCpu();
    const cpu = tfConv(r.xv, r.wv, r.rv, c, r.rShape);
    expect(relativeError(r.wino.y, r.yRef)).toBeLessThan(1e-5);
    expect(relativeError(r.wino.dx, cpu.dx)).toBeLessThan(1e-5);
    expect(relativeError(r.wino.dw, cpu.dw)).toBeLessThan(1e-5);
  }

  it('the weight gradient of wide 3x3 stride-1 layers runs Winograd where oneDNN has it, within rounding of float64 and the cpu backend', async () => {
    const c: ConvCase = { x: [1, 7, 9, 64], k: [3, 3], co: 32, stride: 1, pad: 'same' };
    const r = await directThenWinograd(c, 41);
    const { xv, wv, rv, direct, wino, winograd, available, avx2, avx2Calls } = r;
    // The weight gradient's one chunk (forward and input gradient stay direct under 16x16); with AVX2 all three passes (the
    // forward pass twice: tfConv runs it for y and again under the gradients).
    expect(winograd).toBe(available ? 1 : 0);
    expect(avx2Calls).toBe(avx2 ? 4 : 0);
    // A strided layer of the same width stays direct.
    tfConv(xv, wv, rv.subarray(0, 4 * 5 * 32), { ...c, stride: 2 }, [1, 4, 5, 32]);
    expect(addon?.stats().winograd).toBe(winograd);
    await expectWithinRounding(c, r);
    // Winograd rounds differently from the direct kernels: where it ran, a pass differs in its last bits.
    expect(sameBits(wino.y, direct.y)).toBe(!avx2);
    expect(sameBits(wino.dx, direct.dx)).toBe(!avx2);
    expect(sameBits(wino.dw, direct.dw)).toBe(!available && !avx2);
  });

  it('forward and input gradient of wide 3x3 stride-1 layers from 16x16 run Winograd in fixed chunks of the batch where oneDNN has it, within rounding of float64 and the direct convolutions', async () => {
    const { direct, wino, yRef, winograd, available, avx2, avx2Calls } = await directThenWinograd({ x: [9, 16, 16, 32], k: [3, 3], co: 64, stride: 1, pad: 'same' }, 51);
    // Batch 9 in two chunks (4 and 5 images) for the forward and the input gradient; the weight gradient (32 input channels) stays
    // direct; with AVX2 the addon's kernels run all three passes (the forward pass twice).
    expect(winograd).toBe(available ? 4 : 0);
    expect(avx2Calls).toBe(avx2 ? 4 : 0);
    // The direct passes are checked against finite differences and the cpu backend above (the cpu backend's gradient of this layer takes minutes).
    expect(relativeError(wino.y, yRef)).toBeLessThan(1e-5);
    expect(relativeError(direct.y, yRef)).toBeLessThan(1e-5);
    expect(relativeError(wino.dx, direct.dx)).toBeLessThan(1e-5);
    expect(sameBits(wino.y, direct.y)).toBe(!available && !avx2);
    expect(sameBits(wino.dx, direct.dx)).toBe(!available && !avx2);
    expect(sameBits(wino.dw, direct.dw)).toBe(!avx2);
  });

  it.each([
    ['3x3 stride 1, 16 -> 32 channels', { x: [3, 12, 10, 16], k: [3, 3], co: 32, stride: 1, pad: 'same' }],
    ['2x2 stride 2, 32 -> 64 channels (down-sampling)', { x: [2, 8, 6, 32], k: [2, 2], co: 64, stride: 2, pad: 'same' }],
  ] as [string, ConvCase][])('narrow layers (%s) run forward and input gradient on the NHWC tensors with AVX2: the same bits as the blocked layouts', async (_name, c) => {
    // oneDNN's kernels only (with AVX2 the addon's Winograd would take the 3x3 layer).
    addon?.setWinograd(false);
    const { xv, wv, off: blocked, on: direct, countOff, countOn } = await offThenOn(c, 61, (on) => addon?.setNhwcDirect(on), () => addon?.stats().nhwcDirect).finally(
      () => addon?.setWinograd(true),
    );
    expect(countOff).toBe(0);
    // The forward pass and the input gradient; the weight gradient stays blocked. With AVX-512 the
    // rule is off (the backward passes run NHWC there anyway).
    expect(countOn).toBe(addon?.version().isa === 'avx2' ? 2 : 0);
    expect(relativeError(direct.y, naiveConv2d(xv, wv, c).y)).toBeLessThan(1e-5);
    expect(sameBits(direct.y, blocked.y)).toBe(true);
    expect(sameBits(direct.dx, blocked.dx)).toBe(true);
    expect(sameBits(direct.dw, blocked.dw)).toBe(true);
  });

  it.each(['linear', 'relu', 'elu', 'relu6'] as const)('a wide layer fused with bias + %s (a predict step\'s folded batch norm) matches the cpu backend, through Winograd where oneDNN fuses it', async (activation) => {
    const shape: [number, number, number, number] = [9, 16, 16, 32];
    const xv = Float32Array.from(randomValues(9 * 16 * 16 * 32, 54));
    const wv = Float32Array.from(randomValues(3 * 3 * 32 * 64, 55));
    const bv = Float32Array.from(randomValues(64, 56));
    const run = (): Float32Array =>
      tf.tidy(() => tf.fused.conv2d({ x: tf.tensor4d(xv, shape), filter: tf.tensor4d(wv, [3, 3, 32, 64]), strides: 1, pad: 'same', bias: tf.tensor1d(bv), activation }).dataSync() as Float32Array);
    await useWasm(addon);
    addon?.clearCache();
    const before = nativeKernelCalls.get('FusedConv2D')?.native ?? 0;
    const native = run();
    expect(nativeKernelCalls.get('FusedConv2D')?.native).toBe(before + 1);
    // Batch 9 in two chunks (4 and 5 images); oneDNN 2.x's Winograd fuses Relu, and the others run direct; so do the AVX2 kernels.
    const fused = activation === 'linear' || activation === 'relu';
    expect(addon?.stats().winograd).toBe(addon?.version().winograd && fused ? 2 : 0);
    expect(addon?.stats().avx2WinogradCalls).toBe(addon?.version().avx2Winograd && fused ? 1 : 0);
    await useCpu();
    expect(relativeError(native, run())).toBeLessThan(1e-5);
  });

  it.each([
    ['odd 9x7 same, batch 3, 16 -> 24 channels (partial tiles at the bottom and right)', { x: [3, 9, 7, 16], k: [3, 3], co: 24, stride: 1, pad: 'same' }, true],
    ['even 10x11 valid, batch 2, 24 -> 16 channels (no padding; the input gradient pads by 2)', { x: [2, 10, 11, 24], k: [3, 3], co: 16, stride: 1, pad: 'valid' }, true],
    ['7x6 same, batch 11, 16 -> 40 channels (an 8-wide last panel; 8 uneven gradient chunks)', { x: [11, 7, 6, 16], k: [3, 3], co: 40, stride: 1, pad: 'same' }, true],
    ['6x5 same, 8 -> 16 channels (forward only: the backward passes of 8-channel layers stay direct)', { x: [2, 6, 5, 8], k: [3, 3], co: 16, stride: 1, pad: 'same' }, false],
  ] as [string, ConvCase, boolean][])('the AVX2 Winograd kernels (%s) match float64 and the cpu backend within rounding', async (_name, c, backward) => {
    const r = await directThenWinograd(c, 71);
    const { direct, wino, avx2, avx2Calls } = r;
    // The forward pass twice (tfConv runs it for y and again under the gradients), the backward passes once each.
    expect(avx2Calls).toBe(avx2 ? (backward ? 4 : 2) : 0);
    await expectWithinRounding(c, r);
    // What ran on the AVX2 kernels rounds differently from the direct kernels; the rest has the direct kernels' bits.
    expect(sameBits(wino.y, direct.y)).toBe(!avx2);
    expect(sameBits(wino.dx, direct.dx)).toBe(!avx2 || !backward);
    expect(sameBits(wino.dw, direct.dw)).toBe(!avx2 || !backward);
  });

  it('keeps the blocked-layout copies in shared arenas: more cached geometries hold no more scratch', async () => {
    await useWasm(addon);
    addon?.clearCache();
    const run = (c: ConvCase, seed: number): void => {
      const n = c.x.reduce((a, b) => a * b, 1);
      const out = [c.x[0], convOutSize(c.x[1], c.k[0], c.stride, 1, c.pad).out, convOutSize(c.x[2], c.k[1], c.stride, 1, c.pad).out, c.co];
      tfConv(randomValues(n, seed), randomValues(c.k[0] * c.k[1] * c.x[3] * c.co, seed + 1), randomValues(out.reduce((a, b) => a * b, 1), seed + 2), c, out);
    };
    // The largest of these layers, all direct (under 16x16 Winograd's chunks would use their own arenas; the AVX2 Winograd is
    // switched off, it has no primitives).
    addon?.setWinograd(false);
    try {
      run({ x: [8, 15, 15, 32], k: [3, 3], co: 48, stride: 1, pad: 'same' }, 101);
      const afterLargest = addon?.stats();
      for (const [i, co] of [16, 24, 32, 48].entries()) run({ x: [8, 12 + i, 12, 32], k: [3, 3], co, stride: 1, pad: 'same' }, 110 + i);
      const after = addon?.stats();
      expect(after?.primitives).toBeGreaterThan(afterLargest?.primitives ?? Infinity);
      expect(after?.scratchBytes).toBe(afterLargest?.scratchBytes);
    } finally {
      addon?.setWinograd(true);
    }
  });

  it('conv2dTranspose (Conv2DBackpropInput as a forward pass), stride 2, matches the cpu backend', async () => {
    const xv = Float32Array.from(randomValues(2 * 4 * 3 * 5, 21));
    const wv = Float32Array.from(randomValues(2 * 2 * 7 * 5, 22));
    const run = (): Float32Array => tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(xv, [2, 4, 3, 5]), tf.tensor4d(wv, [2, 2, 7, 5]), [2, 8, 6, 7], 2, 'same').dataSync() as Float32Array);
    await useWasm(addon);
    const native = run();
    await useCpu();
    expect(relativeError(native, run())).toBeLessThan(1e-5);
  });

  it.each([
    ['2x2 stride 2 valid, even', [2, 8, 6, 3], 2, 2, 'valid'],
    ['2x2 stride 2 valid, even, 12 channels (the tiling path, 4 channels at a time)', [2, 8, 6, 12], 2, 2, 'valid'],
    ['2x2 stride 2 same, odd 7x5', [2, 7, 5, 13], 2, 2, 'same'],
    ['3x3 stride 1 same (overlapping windows)', [2, 6, 5, 4], 3, 1, 'same'],
    ['3x3 stride 2 same', [1, 7, 7, 9], 3, 2, 'same'],
  ] as const)('max pool %s: values and gradient match the cpu backend, ties included', async (_name, shape, size, stride, pad) => {
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    // Quantised values make ties within windows common, as after a ReLU.
    const xv = Float32Array.from(randomValues(n, 51)).map((v) => Math.max(0, Math.round(v * 3) / 3));
    const rv = Float32Array.from(randomValues(n, 52));
    const run = (): { y: Float32Array; dx: Float32Array } =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [...shape]);
        const y = tf.maxPool(x, size, stride, pad);
        const r = tf.tensor(rv.subarray(0, y.size), y.shape);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), r)))(x);
        return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
      });
    await useWasm(addon);
    const before = nativeKernelCalls.get('MaxPoolGrad')?.native ?? 0;
    const native = run();
    expect(nativeKernelCalls.get('MaxPoolGrad')?.native).toBe(before + 1);
    await useCpu();
    const cpu = run();
    expect(Array.from(native.y)).toEqual(Array.from(cpu.y));
    expect(relativeError(native.dx, cpu.dx)).toBeLessThan(1e-6);
  });

  it('gives the same bits on repeated calls at a fixed thread count (2 threads)', async () => {
    await useWasm(addon);
    addon?.setThreads(2);
    try {
      const c: ConvCase = { x: [4, 32, 32, 16], k: [3, 3], co: 16, stride: 1, pad: 'same' };
      const xv = randomValues(4 * 32 * 32 * 16, 61);
      const wv = randomValues(3 * 3 * 16 * 16, 62);
      const rv = randomValues(4 * 32 * 32 * 16, 63);
      const a = tfConv(xv, wv, rv, c, [4, 32, 32, 16]);
      const b = tfConv(xv, wv, rv, c, [4, 32, 32, 16]);
      expect(Buffer.from(a.dw.buffer).equals(Buffer.from(b.dw.buffer))).toBe(true);
      expect(Buffer.from(a.dx.buffer).equals(Buffer.from(b.dx.buffer))).toBe(true);
      expect(Buffer.from(a.y.buffer).equals(Buffer.from(b.y.buffer))).toBe(true);
    } finally {
      addon?.setThreads(1);
    }
  });

  it.each([
    ['batch 16 (8 chunks of 2)', { x: [16, 24, 24, 8], k: [3, 3], co: 16, stride: 1, pad: 'same' }],
    ['batch 5 (5 chunks of 1), stride 2', { x: [5, 17, 15, 6], k: [2, 2], co: 8, stride: 2, pad: 'same' }],
    ['batch 12 (uneven chunks), 1x1 head', { x: [12, 20, 20, 16], k: [1, 1], co: 1, stride: 1, pad: 'valid' }],
    ['batch 1', { x: [1, 40, 40, 8], k: [3, 3], co: 8, stride: 1, pad: 'same' }],
    ['64 -> 64 channels (Winograd where oneDNN has it)', { x: [4, 16, 16, 64], k: [3, 3], co: 64, stride: 1, pad: 'same' }],
    // oneDNN's Winograd input gradient of this layer, planned for the thread count, changes schedule and bits at 3 and 4 threads.
    ['128 -> 256 channels on 8x8, batch 16 (a U-Net bottleneck)', { x: [16, 8, 8, 128], k: [3, 3], co: 256, stride: 1, pad: 'same' }],
    // Winograd forward and input gradient in chunks planned for one thread each.
    ['256 -> 128 channels on 16x16, batch 16 (two Winograd chunks)', { x: [16, 16, 16, 256], k: [3, 3], co: 128, stride: 1, pad: 'same' }],
    ['32 -> 64 channels on 16x16, batch 20 (three uneven Winograd chunks)', { x: [20, 16, 16, 32], k: [3, 3], co: 64, stride: 1, pad: 'same' }],
    // The AVX2 Winograd's tile blocks split unevenly between threads; its weight gradient in 7 chunks of one image.
    ['16 -> 16 channels on 30x30, batch 7 (AVX2 Winograd tile blocks)', { x: [7, 30, 30, 16], k: [3, 3], co: 16, stride: 1, pad: 'same' }],
  ] as [string, ConvCase][])('gives the same bits at 1, 2 and 4 threads: %s', async (_name, c) => {
    await useWasm(addon);
    const { rShape, xv, wv, rv } = caseValues(c, 91);
    const bits = (threads: number): string[] => {
      addon?.setThreads(threads);
      const r = tfConv(xv, wv, rv, c, rShape);
      return [r.y, r.dx, r.dw].map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
    };
    try {
      const one = bits(1);
      expect(bits(2)).toEqual(one);
      expect(bits(4)).toEqual(one);
    } finally {
      addon?.setThreads(1);
    }
  });

  it('survives a wasm memory growth between calls (the heap buffer is re-read every call)', async () => {
    await useWasm(addon);
    const c: ConvCase = { x: [2, 7, 5, 3], k: [3, 3], co: 4, stride: 1, pad: 'same' };
    const xv = randomValues(2 * 7 * 5 * 3, 71);
    const wv = randomValues(3 * 3 * 3 * 4, 72);
    const rv = randomValues(2 * 7 * 5 * 4, 73);
    const first = tfConv(xv, wv, rv, c, [2, 7, 5, 4]);
    const heapBefore = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const big = tf.zeros([Math.ceil(heapBefore / 4) + 1024]); // forces the heap to grow
    const heapAfter = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const second = tfConv(xv, wv, rv, c, [2, 7, 5, 4]);
    big.dispose();
    expect(heapAfter).toBeGreaterThan(heapBefore);
    expect(Array.from(second.y)).toEqual(Array.from(first.y));
    expect(Array.from(second.dw)).toEqual(Array.from(first.dw));
  });

  it('does not grow native memory over 1,000 calls (primitives cached by shape)', async () => {
    await useWasm(addon);
    const x = tf.tensor4d(Float32Array.from(randomValues(2 * 12 * 12 * 8, 81)), [2, 12, 12, 8]);
    const w = tf.tensor4d(Float32Array.from(randomValues(3 * 3 * 8 * 8, 82)), [3, 3, 8, 8]);
    const step = (): void =>
      tf.tidy(() => {
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), 2, 2, 'valid')))([x, w]);
        dx.dataSync();
        dw.dataSync();
      });
    for (let i = 0; i < 20; i++) step();
    const statsBefore = addon?.stats();
    const rssBefore = process.memoryUsage().rss;
    const tensorsBefore = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) step();
    const statsAfter = addon?.stats();
    // Nothing grows but the count of passes the AVX2 Winograd ran (this 8-channel layer's forward pass, where it runs).
    expect({ ...statsAfter, avx2WinogradCalls: 0 }).toEqual({ ...statsBefore, avx2WinogradCalls: 0 });
    expect((statsAfter?.avx2WinogradCalls ?? 0) - (statsBefore?.avx2WinogradCalls ?? 0)).toBe(addon?.version().avx2Winograd ? 1000 : 0);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    // Caches and scratch are constant; allow for V8's own heap noise only.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 2 ** 20);
    x.dispose();
    w.dispose();
  });
});
