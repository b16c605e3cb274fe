import * as tf from '@tensorflow/tfjs';
import { wasmTrainingKernelsRegistered } from './register';
import { expectNoLeaks, randomValues, relativeError, useCpu, useWasm } from '../testing/helpers';

/**
 * Independent float64 reference: the forward convolution written from its definition, with
 * TensorFlow's padding rule for 'same' (total = max((out-1)*s + k - in, 0), the extra on the
 * bottom/right), and gradients by central finite differences of L = sum(conv(x, w) * r). L is
 * linear in x and in w, so central differences are exact up to float64 rounding.
 */
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  stride: number;
  pad: 'same' | 'valid';
}

function outSize(n: number, k: number, s: number, pad: 'same' | 'valid'): { out: number; before: number } {
  if (pad === 'valid') return { out: Math.floor((n - k) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return { out, before: Math.floor(total / 2) };
}

function naiveConv(x: Float64Array, w: Float64Array, c: Case): { y: Float64Array; oh: number; ow: number } {
  const [B, H, W, C] = c.x;
  const [KH, KW] = c.k;
  const h = outSize(H, KH, c.stride, c.pad);
  const v = outSize(W, KW, c.stride, c.pad);
  const y = new Float64Array(B * h.out * v.out * c.co);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < h.out; i++)
      for (let j = 0; j < v.out; j++)
        for (let o = 0; o < c.co; o++) {
          let acc = 0;
          for (let p = 0; p < KH; p++)
            for (let q = 0; q < KW; q++) {
              const r = i * c.stride + p - h.before;
              const s = j * c.stride + q - v.before;
              if (r < 0 || r >= H || s < 0 || s >= W) continue;
              for (let ch = 0; ch < C; ch++) acc += x[((b * H + r) * W + s) * C + ch] * w[((p * KW + q) * C + ch) * c.co + o];
            }
          y[((b * h.out + i) * v.out + j) * c.co + o] = acc;
        }
  return { y, oh: h.out, ow: v.out };
}

function finiteDifferenceGrads(x: Float64Array, w: Float64Array, r: Float64Array, c: Case): { dx: Float64Array; dw: Float64Array } {
  const loss = (xx: Float64Array, ww: Float64Array): number => naiveConv(xx, ww, c).y.reduce((acc, v, i) => acc + v * r[i], 0);
  const grad = (v: Float64Array, f: (p: Float64Array) => number): Float64Array => {
    const g = new Float64Array(v.length);
    const h = 1e-3;
    for (let i = 0; i < v.length; i++) {
      const orig = v[i];
      v[i] = orig + h;
      const up = f(v);
      v[i] = orig - h;
      const down = f(v);
      v[i] = orig;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  };
  return { dx: grad(x, (p) => loss(p, w)), dw: grad(w, (p) => loss(x, p)) };
}

async function tfGrads(xv: Float64Array, wv: Float64Array, rv: Float64Array, c: Case, rShape: number[]): Promise<{ dx: Float32Array; dw: Float32Array }> {
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

const cases: [string, Case][] = [
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
    const { oh, ow } = naiveConv(xv, wv, c);
    const rShape = [c.x[0], oh, ow, c.co];
    const rv = randomValues(rShape.reduce((a, b) => a * b, 1), 13);
    const reference = finiteDifferenceGrads(xv, wv, rv, c);

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
