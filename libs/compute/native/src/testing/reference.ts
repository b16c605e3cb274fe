/**
 * Float64 references for kernel tests, written from the definitions and independent of tfjs: the
 * convolution, central finite differences, seeded inputs and the error measure the tests compare
 * with. Shared by the native kernels' and @segkit/backend's wasm kernels' tests (not production code).
 */
import { uniformSource } from '@segkit/random';

/** Deterministic values in [-1, 1) from the shared seeded source. */
export function randomValues(n: number, seed: number): Float64Array {
  const next = uniformSource(seed);
  return Float64Array.from({ length: n }, () => next() * 2 - 1);
}

/** max |a - b| / max(|b|, tiny): error relative to the reference's scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** A 2-D convolution: NHWC input `x`, kernel [kh, kw, x[3], co], square stride and dilation. */
export interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  stride: number;
  pad: 'same' | 'valid';
  dilation?: number;
}

/**
 * Output length and padding before, by TensorFlow's rule: 'valid' gives floor((n − span)/s) + 1
 * with span = (k − 1)·d + 1; 'same' gives ceil(n/s) with total padding
 * max((out − 1)·s + span − n, 0), the odd one at the bottom/right.
 */
export function convOutSize(n: number, k: number, s: number, d: number, pad: 'same' | 'valid'): { out: number; before: number } {
  const span = (k - 1) * d + 1;
  if (pad === 'valid') return { out: Math.floor((n - span) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + span - n, 0) / 2) };
}

/** y[b,i,j,o] = Σ_{p,q,c} x[b, i·s + p·d − top, j·s + q·d − left, c] · w[p,q,c,o], zero outside x. */
export function naiveConv2d(x: Float64Array, w: Float64Array, c: ConvCase): { y: Float64Array; oh: number; ow: number } {
  const [B, H, W, C] = c.x;
  const [KH, KW] = c.k;
  const d = c.dilation ?? 1;
  const h = convOutSize(H, KH, c.stride, d, c.pad);
  const v = convOutSize(W, KW, c.stride, d, c.pad);
  const y = new Float64Array(B * h.out * v.out * c.co);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < h.out; i++)
      for (let j = 0; j < v.out; j++)
        for (let o = 0; o < c.co; o++) {
          let acc = 0;
          for (let p = 0; p < KH; p++)
            for (let q = 0; q < KW; q++) {
              const r = i * c.stride + p * d - h.before;
              const s = j * c.stride + q * d - v.before;
              if (r < 0 || r >= H || s < 0 || s >= W) continue;
              for (let ch = 0; ch < C; ch++) acc += x[((b * H + r) * W + s) * C + ch] * w[((p * KW + q) * C + ch) * c.co + o];
            }
          y[((b * h.out + i) * v.out + j) * c.co + o] = acc;
        }
  return { y, oh: h.out, ow: v.out };
}

/**
 * ∂f/∂v by central differences (f(v + h) − f(v − h)) / 2h, h = 1e-3, one element at a time (`v` is
 * restored). Exact up to float64 rounding for an f linear in v, such as sum(conv(x, w) · r).
 */
export function finiteDifference(v: Float64Array, f: (p: Float64Array) => number): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const orig = v[i];
    v[i] = orig + 1e-3;
    const up = f(v);
    v[i] = orig - 1e-3;
    const down = f(v);
    v[i] = orig;
    g[i] = (up - down) / 2e-3;
  }
  return g;
}

/** Gradients of L = sum(conv(x, w) · r) with respect to x and w, by {@link finiteDifference}. */
export function convGradsByFiniteDifference(x: Float64Array, w: Float64Array, r: Float64Array, c: ConvCase): { dx: Float64Array; dw: Float64Array } {
  const loss = (xx: Float64Array, ww: Float64Array): number => naiveConv2d(xx, ww, c).y.reduce((acc, v, i) => acc + v * r[i], 0);
  return { dx: finiteDifference(x, (p) => loss(p, w)), dw: finiteDifference(w, (p) => loss(x, p)) };
}
