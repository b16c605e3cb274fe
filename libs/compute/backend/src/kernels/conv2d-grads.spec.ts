import * as tf from '@tensorflow/tfjs';
import { wasmTrainingKernelsRegistered } from './register';
import { type ConvCase, convGradsByFiniteDifference, expectNoLeaks, naiveConv2d, randomValues, relativeError, useCpu, useWasm } from '../testing/helpers';

/** Gradients of L = sum(conv(x, w) · r) on the current backend, compared with the float64 references. */
async function tfGrads(xv: Float64Array, wv: Float64Array, rv: Float64Array, c: ConvCase, rShape: number[]): Promise<{ dx: Float32Array; dw: Float32Array }> {
  return expectNoLeaks(() =>
    tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(xv), c.x);
      const w = tf.tensor4d(Float32Array.from(wv), [c.k[0], c.k[1], c.x[3], c.co]);
      const r = tf.tensor(Float32Array.from(rv), rShape);
      const f = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar => tf.sum(tf.mul(tf.conv2d(a, b, c.stride, c.pad), r));
      const [dx, dw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
      return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
    }),
  );
}

const cases: [string, ConvCase][] = [
  ['3x3 stride 1 same, odd 7x5, batch 2', { x: [2, 7, 5, 3], k: [3, 3], co: 4, stride: 1, pad: 'same' }],
  ['3x3 stride 1 valid, even 6x8', { x: [2, 6, 8, 2], k: [3, 3], co: 3, stride: 1, pad: 'valid' }],
  ['3x3 stride 2 same, even 8x8', { x: [2, 8, 8, 3], k: [3, 3], co: 2, stride: 2, pad: 'same' }],
  ['3x3 stride 2 same, odd 7x9 (asymmetric padding)', { x: [1, 7, 9, 2], k: [3, 3], co: 3, stride: 2, pad: 'same' }],
  ['3x3 stride 2 valid, odd 9x7 (unused remainder)', { x: [2, 9, 7, 2], k: [3, 3], co: 2, stride: 2, pad: 'valid' }],
  ['2x2 stride 2 same (U-Net up/down sampling)', { x: [2, 8, 6, 3], k: [2, 2], co: 5, stride: 2, pad: 'same' }],
  ['1x1 stride 1 (logit head)', { x: [3, 5, 4, 6], k: [1, 1], co: 1, stride: 1, pad: 'valid' }],
  ['5x3 stride 1 same, non-square kernel', { x: [1, 6, 7, 2], k: [5, 3], co: 2, stride: 1, pad: 'same' }],
];

describe('wasm convolution gradients', () => {
  it.each(cases)('%s: match finite differences and the cpu backend', async (_name, c) => {
    const xv = randomValues(c.x.reduce((a, b) => a * b, 1), 11);
    const wv = randomValues(c.k[0] * c.k[1] * c.x[3] * c.co, 12);
    const { oh, ow } = naiveConv2d(xv, wv, c);
    const rShape = [c.x[0], oh, ow, c.co];
    const rv = randomValues(rShape.reduce((a, b) => a * b, 1), 13);
    const reference = convGradsByFiniteDifference(xv, wv, rv, c);

    await useWasm();
    const wasm = await tfGrads(xv, wv, rv, c, rShape);
    await useCpu();
    const cpu = await tfGrads(xv, wv, rv, c, rShape);

    expect(relativeError(wasm.dx, reference.dx)).toBeLessThan(1e-4);
    expect(relativeError(wasm.dw, reference.dw)).toBeLessThan(1e-4);
    expect(relativeError(wasm.dx, cpu.dx)).toBeLessThan(1e-4);
    expect(relativeError(wasm.dw, cpu.dw)).toBeLessThan(1e-4);
  });

  it('conv2dTranspose forward (Conv2DBackpropInput) with stride 2 matches the cpu backend', async () => {
    const xv = Float32Array.from(randomValues(2 * 4 * 3 * 5, 21));
    const wv = Float32Array.from(randomValues(3 * 3 * 2 * 5, 22));
    const run = (): Float32Array =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [2, 4, 3, 5]);
        const w = tf.tensor4d(wv, [3, 3, 2, 5]);
        return tf.conv2dTranspose(x, w, [2, 8, 6, 2], 2, 'same').dataSync() as Float32Array;
      });
    await useWasm();
    const wasm = await expectNoLeaks(run);
    await useCpu();
    const cpu = run();
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-5);
  });

  it('uses our kernels on wasm (stock wasm lacks Conv2DBackpropFilter)', async () => {
    await useWasm();
    expect(wasmTrainingKernelsRegistered()).toBe(true);
  });
});
