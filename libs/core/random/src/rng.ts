/**
 * Seeded randomness for everything that must be reproducible (synthetic data, folds, shuffling,
 * augmentation). Streams are derived from integer seeds through a 32-bit avalanche hash, so a
 * stream keyed by (seed, epoch, sample) never depends on how many numbers came before it: a
 * synthetic sample renders the same alone or in a batch, and a resumed training run draws
 * exactly what an uninterrupted one would.
 */

// Math members bound once: a global `Math.x` lookup per call is ~100x slower inside jest's vm
// sandbox (where tests render datasets), and these run per pixel.
const { PI, cos, floor, imul, log, sin, sqrt } = Math;

/**
 * "lowbias32" integer hash (C. Wellons, "Prospecting for hash functions", 2018):
 * x ^= x>>16; x *= 0x7feb352d; x ^= x>>15; x *= 0x846ca68b; x ^= x>>16.
 */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Combines integer parts (any safe integers, negative allowed) into one 32-bit seed.
 * Both 32-bit halves of each part are hashed so seeds differing only above 2^32 still differ.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = floor(p / 4294967296) >>> 0;
    h = hash32(h ^ hash32(lo));
    h = hash32(h ^ hash32(hi + 0x632be5ab));
  }
  return h;
}

/** mulberry32 (T. Ettinger, public domain): a small, fast 32-bit generator, uniform in [0, 1). */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Uniform integer in [a, b] (inclusive). */
  int(a: number, b: number): number {
    return a + floor(this.next() * (b - a + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Random sign, ±1. */
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }

  /**
   * Standard normal by Box–Muller (r = sqrt(-2 ln u), angle 2πv gives two independent normals
   * r·cos and r·sin; the second is kept for the next call). 1 - u keeps ln's argument in (0, 1].
   */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const r = sqrt(-2 * log(1 - this.next()));
    const a = 2 * PI * this.next();
    this.spare = r * sin(a);
    return r * cos(a);
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = floor(this.next() * (i + 1));
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

/** 0, 1, …, n−1 in an order drawn from `seed`. */
export function permutation(n: number, seed: number): Int32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  new Rng(seed).shuffle(idx);
  return Int32Array.from(idx);
}

/** A bare `() => uniform [0, 1)` function over a seeded {@link Rng}, for code that takes a source. */
export function uniformSource(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}
