/**
 * Smooth random fields and small image filters on Float32Array grids (row-major, w × h).
 * They are the building blocks of the strata, salt texture and salt shapes.
 */
import { Rng } from '@segkit/random';

// Math members bound once: a global `Math.x` lookup per call is ~100x slower inside jest's vm
// sandbox (where the pipeline's tests render datasets), and these run per pixel.
const { ceil, floor, max, min, sqrt } = Math;

/** Quintic fade 6t^5 - 15t^4 + 10t^3 (Perlin, "Improving Noise", 2002): C2-continuous lattice blending. */
function fade(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

/**
 * Value noise: uniform random values in [-1, 1] on a lattice with spacing `cellX` × `cellY`
 * pixels, blended with the quintic fade. `at(x, y)` accepts any real coordinates; outside the
 * lattice the border values are held, so callers may warp coordinates freely.
 */
export class ValueNoise {
  private readonly lattice: Float32Array;
  private readonly nx: number;
  private readonly ny: number;
  private readonly phaseX: number;
  private readonly phaseY: number;

  constructor(
    rng: Rng,
    w: number,
    h: number,
    private readonly cellX: number,
    private readonly cellY: number,
  ) {
    // One extra cell of margin on every side, plus a random phase, so the lattice does not line
    // up with the image border in every sample.
    this.nx = ceil(w / cellX) + 4;
    this.ny = ceil(h / cellY) + 4;
    this.lattice = new Float32Array(this.nx * this.ny);
    for (let i = 0; i < this.lattice.length; i++) this.lattice[i] = rng.uniform(-1, 1);
    this.phaseX = 1 + rng.next();
    this.phaseY = 1 + rng.next();
  }

  /** out[y·w + x] += amp · at(x, y) over the grid; hoists the per-row work out of the inner loop. */
  addTo(out: Float32Array, w: number, h: number, amp: number): void {
    const nx = this.nx;
    for (let y = 0; y < h; y++) {
      const v = min(max(y / this.cellY + this.phaseY, 0), this.ny - 1.000001);
      const j = floor(v);
      const fv = fade(v - j);
      const row = j * nx;
      for (let x = 0; x < w; x++) {
        const u = min(max(x / this.cellX + this.phaseX, 0), nx - 1.000001);
        const i = floor(u);
        const fu = fade(u - i);
        const a = this.lattice[row + i];
        const b = this.lattice[row + i + 1];
        const top = a + (b - a) * fu;
        const c = this.lattice[row + nx + i];
        const bottom = c + (this.lattice[row + nx + i + 1] - c) * fu;
        out[y * w + x] += amp * (top + (bottom - top) * fv);
      }
    }
  }

  at(x: number, y: number): number {
    let u = x / this.cellX + this.phaseX;
    let v = y / this.cellY + this.phaseY;
    u = min(max(u, 0), this.nx - 1.000001);
    v = min(max(v, 0), this.ny - 1.000001);
    const i = floor(u);
    const j = floor(v);
    const fu = fade(u - i);
    const fv = fade(v - j);
    const row = j * this.nx;
    const a = this.lattice[row + i];
    const b = this.lattice[row + i + 1];
    const c = this.lattice[row + this.nx + i];
    const d = this.lattice[row + this.nx + i + 1];
    const top = a + (b - a) * fu;
    const bottom = c + (d - c) * fu;
    return top + (bottom - top) * fv;
  }
}

/** Shifts and scales `f` in place to zero mean and unit standard deviation (a constant field becomes 0). */
export function standardize(f: Float32Array): Float32Array {
  let mean = 0;
  for (let i = 0; i < f.length; i++) mean += f[i];
  mean /= f.length;
  let ss = 0;
  for (let i = 0; i < f.length; i++) ss += (f[i] - mean) ** 2;
  const sd = sqrt(ss / f.length);
  const inv = sd > 1e-12 ? 1 / sd : 0;
  for (let i = 0; i < f.length; i++) f[i] = (f[i] - mean) * inv;
  return f;
}

export interface FractalOptions {
  /** Lattice spacing of the coarsest octave, in pixels (horizontal). */
  cell: number;
  octaves: number;
  /** Amplitude ratio between successive octaves (each octave halves the cell). */
  gain?: number;
  /** Horizontal / vertical cell ratio; > 1 stretches features horizontally (layer-like). */
  aspect?: number;
}

/**
 * Fractal (fBm) value noise, standardized: sum over octaves k of gain^k · noise(cell / 2^k),
 * then zero mean and unit variance so amplitudes are set by the caller.
 */
export function fractalField(rng: Rng, w: number, h: number, opts: FractalOptions): Float32Array {
  const gain = opts.gain ?? 0.5;
  const aspect = opts.aspect ?? 1;
  const out = new Float32Array(w * h);
  let amp = 1;
  let cell = opts.cell;
  for (let o = 0; o < opts.octaves; o++) {
    new ValueNoise(rng, w, h, max(cell, 0.5), max(cell / aspect, 0.5)).addTo(out, w, h, amp);
    amp *= gain;
    cell /= 2;
  }
  return standardize(out);
}

/** Independent standard normal values per pixel (uncorrelated speckle). */
export function whiteNoise(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** One pass of a running-sum box filter along a line of `len` values at `base + k·step`, edges clamped. */
function blurLine(src: ArrayLike<number>, dst: Float32Array, base: number, step: number, len: number, r: number): void {
  const norm = 1 / (2 * r + 1);
  const last = base + (len - 1) * step;
  let s = 0;
  for (let k = -r; k <= r; k++) s += src[base + min(len - 1, max(0, k)) * step];
  for (let k = 0; k < len; k++) {
    dst[base + k * step] = s * norm;
    const enter = k + r + 1;
    const leave = k - r;
    s += src[enter < len ? base + enter * step : last] - src[leave > 0 ? base + leave * step : base];
  }
}

/**
 * Separable box blur of radius r (window 2r+1) with edge clamping, O(w·h) by running sums;
 * returns a new field. Used to soften the salt boundary and to build rim and drag weights.
 */
export function boxBlur(f: Float32Array | Uint8Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) blurLine(f, tmp, y * w, 1, w, r);
  for (let x = 0; x < w; x++) blurLine(tmp, out, x, w, h, r);
  return out;
}

/** The value v such that exactly `count` entries of `f` are >= v (count in 1..f.length). */
export function topCountThreshold(f: Float32Array, count: number): number {
  return selectKth(Float32Array.from(f), f.length - count);
}

/** The k-th smallest value (0-based) of `a`, by Hoare's quickselect; reorders `a`. Expected O(n). */
export function selectKth(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}
