/**
 * Renders one TGS-like sample: a seismic section (folded, faulted strata with amplitude noise)
 * with an optional salt body whose INTERIOR TEXTURE differs (chaotic, weakly layered, lower
 * amplitude) while its mean brightness matches the sediments, so brightness alone does not
 * separate salt from sediment — as in the real competition, a model has to learn texture.
 *
 * Each component draws from its own stream (mixSeed(seed, component)), so tuning one component
 * does not reshuffle the others.
 */
import { boxBlur, fractalField, standardize, topCountThreshold, ValueNoise, whiteNoise } from './field';
import { mixSeed, Rng } from '@segkit/random';

// Math members bound once: a global `Math.x` lookup per call is ~100x slower inside jest's vm
// sandbox (where the pipeline's tests render datasets), and these run per pixel.
const { PI, ceil, cos, exp, floor, hypot, log, max, min, round, sin } = Math;

export interface SyntheticSample {
  /** size*size row-major luminance, 0..255. */
  image: Uint8Array;
  /** size*size row-major, 1 = salt, 0 = sediment. */
  mask: Uint8Array;
  /** Depth of the section in feet, like the competition's `z` (integer, 50..950). */
  depth: number;
}

export const MIN_DEPTH = 50;
export const MAX_DEPTH = 950;

/** Component streams; values are arbitrary but fixed (changing one changes every dataset). */
const STREAM = { depth: 1, shape: 2, strata: 3, salt: 4, look: 5, noise: 6 } as const;

/**
 * Depth z in feet: N(500, 200²) truncated to [50, 950] by rejection, rounded — the real
 * competition's depths are a broad hump over ~50..960.
 */
export function sampleDepth(rng: Rng): number {
  for (;;) {
    const z = round(500 + 200 * rng.normal());
    if (z >= MIN_DEPTH && z <= MAX_DEPTH) return z;
  }
}

/**
 * Probability that a section at depth z contains salt: linear in depth,
 * p(z) = 0.32 + 0.6 · (z - 50) / 900, i.e. 0.32 at the top and 0.92 at the bottom, about 0.62
 * at the mean depth — so roughly 38 % of masks are empty and deeper sections hold salt more often.
 */
export function saltProbability(z: number): number {
  return 0.32 + (0.6 * (z - MIN_DEPTH)) / (MAX_DEPTH - MIN_DEPTH);
}

/** How much of the image the salt body covers, in pixels (1..n), drawn by salt-body kind. */
function sampleSaltPixels(rng: Rng, n: number): number {
  const kind = rng.next();
  if (kind < 0.07) return n; // the whole section is salt
  if (kind < 0.17) {
    // A sliver: log-uniform in [2, 1.5 % of the image], so a handful of pixels is common.
    const most = max(3, 0.015 * n);
    return min(n, round(exp(rng.uniform(log(2), log(most)))));
  }
  return max(1, round(rng.uniform(0.015, 0.995) * n));
}

/**
 * Salt mask: a smooth random field plus a shape bias (a linear ramp makes a body crossing the
 * section with a wavy boundary, a radial bowl makes a dome or pillow, none makes scattered
 * blobs) plus a little fine noise for jagged edges, thresholded at exactly `pixels` pixels.
 */
function renderMask(rng: Rng, size: number, pixels: number): Uint8Array {
  const n = size * size;
  const mask = new Uint8Array(n);
  if (pixels >= n) return mask.fill(1);
  const field = fractalField(rng, size, size, { cell: rng.uniform(0.3, 0.8) * size, octaves: 3, gain: 0.45 });
  const jagged = fractalField(rng, size, size, { cell: rng.uniform(1.5, 3.5), octaves: 1 });
  const jaggedAmp = rng.uniform(0.02, 0.08);
  const bias = rng.next();
  // Salt bodies in sections mostly enter from below or above: angles cluster around vertical.
  const theta = PI / 2 + rng.normal() * 0.6 + (rng.chance(0.3) ? PI : 0);
  const ramp = rng.uniform(1.5, 4.5);
  const cx = rng.uniform(-0.1, 1.1) * size;
  const cy = rng.uniform(-0.1, 1.1) * size;
  const bowl = rng.uniform(2, 5);
  const stretch = rng.uniform(0.5, 2);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      let b = 0;
      if (bias < 0.5) {
        b = (ramp * ((x - size / 2) * cos(theta) + (y - size / 2) * sin(theta))) / size;
      } else if (bias < 0.85) {
        b = (-bowl * hypot((x - cx) / stretch, (y - cy) * stretch)) / size;
      }
      field[i] += b + jaggedAmp * jagged[i];
    }
  }
  const threshold = topCountThreshold(field, pixels);
  for (let i = 0; i < n; i++) mask[i] = field[i] >= threshold ? 1 : 0;
  return mask;
}

/** Ricker ("Mexican hat") wavelet with peak period `period` samples: (1 - 2π²f²t²)·exp(-π²f²t²), f = 1/period. */
export function ricker(period: number): Float32Array {
  const half = ceil(1.5 * period);
  const out = new Float32Array(2 * half + 1);
  const f2 = 1 / (period * period);
  for (let k = -half; k <= half; k++) {
    const a = PI * PI * f2 * k * k;
    out[k + half] = (1 - 2 * a) * exp(-a);
  }
  return out;
}

/**
 * A synthetic seismic trace along geological time: blocky impedance layers (exponential
 * thicknesses, Gaussian impedance steps with occasional strong contrasts), reflectivity = the
 * impedance difference, convolved with a Ricker wavelet (the convolutional model of a seismic
 * trace). Standardized.
 */
function seismicTrace(rng: Rng, length: number, meanThickness: number, period: number): Float32Array {
  const reflectivity = new Float32Array(length);
  let pos = 0;
  while (pos < length) {
    reflectivity[pos] = rng.normal() * (rng.chance(0.15) ? 2.5 : 1);
    pos += max(1, round(-meanThickness * log(1 - rng.next())));
  }
  const wavelet = ricker(period);
  const half = (wavelet.length - 1) / 2;
  const trace = new Float32Array(length);
  for (let t = 0; t < length; t++) {
    let s = 0;
    for (let k = -half; k <= half; k++) {
      const j = t - k;
      if (j >= 0 && j < length) s += reflectivity[j] * wavelet[k + half];
    }
    trace[t] = s;
  }
  return standardize(trace);
}

/** Linear interpolation in `trace` at real position t (clamped to the ends). */
function sampleTrace(trace: Float32Array, t: number): number {
  const u = min(max(t, 0), trace.length - 1.000001);
  const i = floor(u);
  return trace[i] + (trace[i + 1] - trace[i]) * (u - i);
}

/**
 * Sediment section: reflectors sampled along a layer-time field
 *   t(x, y) = y + dip·(x - c) + Σ A_k(y)·sin(2πx/λ_k + φ_k) + warp(x, y) + Σ throw·[beyond fault] + drag·near(salt)
 * (dip, folds whose amplitude changes with depth so layers converge and diverge, gentle warping,
 * steep normal faults and upward drag of layers against the salt flank). Two traces are mixed as
 * cos(φ)·a(t) + sin(φ)·b(t) with a slowly varying φ(x, y) so reflector character changes
 * laterally at constant variance, then amplitude-modulated. Standardized.
 */
function renderStrata(rng: Rng, size: number, depth: number, saltNear: Float32Array): Float32Array {
  const n = size * size;
  const offset = 2 * size;
  const deepness = (depth - MIN_DEPTH) / (MAX_DEPTH - MIN_DEPTH);
  // Deeper sections have lower-frequency content (attenuation), so longer wavelet periods.
  const period = max(2.5, 3 + 4 * deepness + rng.uniform(-1, 2.5));
  const thickness = rng.uniform(1.2, 5);
  const traceA = seismicTrace(rng, 5 * size, thickness, period);
  const traceB = seismicTrace(rng, 5 * size, thickness, period);
  const mix = new Float32Array(size * size);
  new ValueNoise(rng, size, size, rng.uniform(15, 50), rng.uniform(15, 50)).addTo(mix, size, size, 1);
  const dip = rng.normal() * 0.2;
  // Folds depend on x only (with a linear-in-y amplitude), so precompute t += foldA[x] + foldB[x]·y.
  const foldA = new Float32Array(size);
  const foldB = new Float32Array(size);
  for (let k = rng.int(1, 3); k > 0; k--) {
    const amp = rng.uniform(0, 0.08) * size;
    const slope = rng.uniform(-1, 1);
    const lambda = rng.uniform(0.6, 4) * size;
    const phase = rng.uniform(0, 2 * PI);
    for (let x = 0; x < size; x++) {
      const wave = amp * sin((2 * PI * x) / lambda + phase);
      foldA[x] += wave * (1 - slope / 2);
      foldB[x] += (wave * slope) / size;
    }
  }
  const warp = new Float32Array(size * size);
  new ValueNoise(rng, size, size, rng.uniform(15, 40), rng.uniform(15, 40)).addTo(warp, size, size, rng.uniform(0.5, 4));
  const faults = Array.from({ length: rng.chance(0.35) ? rng.int(1, 2) : 0 }, () => {
    const angle = rng.normal() * 0.35; // from vertical: faults are steep
    return { x0: rng.uniform(0.1, 0.9) * size, y0: size / 2, dx: sin(angle), dy: cos(angle), throw: rng.sign() * rng.uniform(3, 15) };
  });
  const drag = rng.sign() * rng.uniform(0, 12);
  const ampMod = new Float32Array(size * size).fill(1);
  new ValueNoise(rng, size, size, rng.uniform(15, 50), rng.uniform(8, 30)).addTo(ampMod, size, size, rng.uniform(0.2, 0.7));
  const out = new Float32Array(n);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      let t = offset + y + dip * (x - size / 2) + foldA[x] + foldB[x] * y + warp[i] + drag * saltNear[i];
      for (const f of faults) {
        // Signed distance to the fault plane; a 1-pixel smoothstep avoids aliasing along it.
        const d = (x - f.x0) * f.dy - (y - f.y0) * f.dx;
        const s = min(max(d + 0.5, 0), 1);
        t += f.throw * s * s * (3 - 2 * s);
      }
      const phi = (PI / 4) * (1 + mix[i]);
      const v = cos(phi) * sampleTrace(traceA, t) + sin(phi) * sampleTrace(traceB, t);
      out[i] = v * max(0.1, ampMod[i]);
    }
  }
  return standardize(out);
}

/**
 * Salt interior: chaotic, low-coherence energy — short, randomly oriented events (anisotropic
 * fractal noise) with a faint, strongly warped layering, as salt appears on migrated sections.
 * Standardized; the caller sets its (lower) amplitude.
 */
function renderSaltTexture(rng: Rng, size: number): Float32Array {
  const chaos = fractalField(rng, size, size, { cell: rng.uniform(1.5, 4.5), octaves: 2, gain: 0.6, aspect: rng.uniform(1, 2.5) });
  // Chaotic reflections: a trace sampled along a layer time so strongly warped that only short,
  // randomly tilted event segments survive.
  const ghostTrace = seismicTrace(rng, 5 * size, rng.uniform(2, 5), rng.uniform(3, 7));
  const warp = new Float32Array(size * size);
  new ValueNoise(rng, size, size, rng.uniform(5, 12), rng.uniform(5, 12)).addTo(warp, size, size, rng.uniform(5, 14));
  const ghost = rng.uniform(0.1, 0.8);
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      out[i] = chaos[i] + ghost * sampleTrace(ghostTrace, 2 * size + y + warp[i]);
    }
  }
  return standardize(out);
}

/**
 * Renders sample `seed` at `size`×`size`: pure and deterministic (same arguments, same bytes).
 * The salt interior's mean equals the sediments' up to a small random offset and its amplitude
 * is lower, so the brightness histograms of salt and sediment overlap heavily.
 */
export function renderSample(seed: number, size: number): SyntheticSample {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`renderSample: seed must be a safe integer, got ${seed}`);
  if (!Number.isInteger(size) || size < 8) throw new RangeError(`renderSample: size must be an integer >= 8, got ${size}`);
  const n = size * size;
  const stream = (s: number) => new Rng(mixSeed(seed, s));

  const depthRng = stream(STREAM.depth);
  const depth = sampleDepth(depthRng);
  const hasSalt = depthRng.chance(saltProbability(depth));

  const shapeRng = stream(STREAM.shape);
  const mask = hasSalt ? renderMask(shapeRng, size, sampleSaltPixels(shapeRng, n)) : new Uint8Array(n);

  // Wide neighbourhood of the salt (for layer drag) and a 1-pixel soft edge (for blending).
  const saltNear = hasSalt ? boxBlur(mask, size, size, max(2, round(size / 12))) : new Float32Array(n);
  const strata = renderStrata(stream(STREAM.strata), size, depth, saltNear);

  const look = stream(STREAM.look);
  const image = new Uint8Array(n);
  const out = new Float32Array(n);
  const noiseRng = stream(STREAM.noise);
  const speckle = whiteNoise(noiseRng, n);
  const speckleAmp = look.uniform(0.08, 0.35);
  if (hasSalt) {
    const salt = renderSaltTexture(stream(STREAM.salt), size);
    const saltAmp = look.uniform(0.3, 0.75);
    const saltOffset = look.normal() * 0.08;
    const soft = boxBlur(mask, size, size, 1);
    const rimAmp = look.chance(0.35) ? look.sign() * look.uniform(0.6, 1.6) : 0;
    const rimSoft = rimAmp !== 0 ? boxBlur(mask, size, size, look.int(1, 2)) : soft;
    for (let i = 0; i < n; i++) {
      const s = soft[i];
      const rim = 4 * rimSoft[i] * (1 - rimSoft[i]);
      out[i] = (1 - s) * strata[i] + s * (saltOffset + saltAmp * salt[i]) + rimAmp * rim;
    }
  } else {
    out.set(strata);
  }
  // Per-image gain and brightness, like the competition's differently processed sections.
  const mean = look.uniform(95, 160);
  const contrast = look.uniform(16, 45);
  for (let i = 0; i < n; i++) {
    const v = mean + contrast * (out[i] + speckleAmp * speckle[i]);
    image[i] = v <= 0 ? 0 : v >= 255 ? 255 : round(v);
  }
  return { image, mask, depth };
}
