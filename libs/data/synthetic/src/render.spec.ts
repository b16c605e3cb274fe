import { boxBlur } from './field';
import { MAX_DEPTH, MIN_DEPTH, renderSample, ricker, saltProbability, SyntheticSample } from './render';

// Bound once: global `Math.x` lookups are very slow inside jest's sandbox and these run per pixel.
const { min, max, sqrt, abs } = Math;

const SIZE = 101;
const N = SIZE * SIZE;

/** The competition metric, written naively: per image, the fraction of IoU thresholds 0.50..0.95 strictly exceeded; empty truth scores 1 only for an empty prediction. */
const IOU_THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
function tgsImageScore(truthPixels: number, truePositives: number, falsePositives: number): number {
  if (truthPixels === 0) return truePositives + falsePositives === 0 ? 1 : 0;
  const iou = truePositives / (truthPixels + falsePositives);
  return IOU_THRESHOLDS.filter((t) => iou > t).length / IOU_THRESHOLDS.length;
}

function saltPixels(s: SyntheticSample): number {
  let c = 0;
  for (const v of s.mask) c += v;
  return c;
}

/** Mann–Whitney AUC of `score` for label 1 vs 0 (ties get mid-ranks). */
function auc(scores: number[], labels: number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) j++;
    const midRank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (labels[order[k]] === 1) {
      rankSum += midRank;
      pos++;
    }
    i = j;
  }
  const neg = order.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

describe('ricker', () => {
  it('peaks at 1 at t = 0 and crosses zero at t = period / (π·√2)', () => {
    const period = 6;
    const w = ricker(period);
    const half = (w.length - 1) / 2;
    expect(w[half]).toBeCloseTo(1, 6);
    expect(w[half + 1]).toBeCloseTo(w[half - 1], 6);
    const zero = period / (Math.PI * Math.SQRT2); // ≈ 1.35 samples
    expect(w[half + 1]).toBeGreaterThan(0); // t = 1 < zero crossing
    expect(w[half + 2]).toBeLessThan(0); // t = 2 > zero crossing
    expect(zero).toBeGreaterThan(1);
    expect(zero).toBeLessThan(2);
  });
});

describe('saltProbability', () => {
  it.each([
    [MIN_DEPTH, 0.32],
    [500, 0.62],
    [MAX_DEPTH, 0.92],
  ])('p(salt | z = %d) = %d', (z, p) => {
    expect(saltProbability(z)).toBeCloseTo(p, 10);
  });
});

describe('renderSample', () => {
  it('returns size² luminance and 0/1 mask arrays and an integer depth in range', () => {
    for (const size of [101, 32]) {
      const s = renderSample(17, size);
      expect(s.image).toBeInstanceOf(Uint8Array);
      expect(s.mask).toBeInstanceOf(Uint8Array);
      expect(s.image).toHaveLength(size * size);
      expect(s.mask).toHaveLength(size * size);
      expect(s.mask.every((v) => v === 0 || v === 1)).toBe(true);
      expect(Number.isInteger(s.depth) && s.depth >= MIN_DEPTH && s.depth <= MAX_DEPTH).toBe(true);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = renderSample(99, SIZE);
    const b = renderSample(99, SIZE);
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(true);
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).toBe(true);
    expect(a.depth).toBe(b.depth);
    const c = renderSample(100, SIZE);
    expect(Buffer.from(a.image).equals(Buffer.from(c.image))).toBe(false);
  });

  it('rejects a non-integer seed or a tiny size', () => {
    expect(() => renderSample(1.5, SIZE)).toThrow(/seed/);
    expect(() => renderSample(1, 4)).toThrow(/size/);
  });

  describe('population statistics (400 samples)', () => {
    const samples = Array.from({ length: 400 }, (_, i) => renderSample(10_000 + i, SIZE));
    const coverage = samples.map((s) => saltPixels(s) / N);
    const salted = samples.filter((_, i) => coverage[i] > 0);

    it('has 30–45 % empty masks, like the competition (~38 %)', () => {
      const emptyFraction = coverage.filter((c) => c === 0).length / samples.length;
      expect(emptyFraction).toBeGreaterThanOrEqual(0.3);
      expect(emptyFraction).toBeLessThanOrEqual(0.45);
    });

    it('spreads coverage from a few pixels to the full image', () => {
      const nonEmpty = coverage.filter((c) => c > 0);
      expect(nonEmpty.filter((c) => c < 0.02).length).toBeGreaterThanOrEqual(10);
      expect(nonEmpty.filter((c) => c * N <= 10).length).toBeGreaterThanOrEqual(2); // slivers of a few pixels
      expect(nonEmpty.filter((c) => c > 0.95).length).toBeGreaterThanOrEqual(10);
      expect(nonEmpty.filter((c) => c === 1).length).toBeGreaterThanOrEqual(3);
      for (const [lo, hi] of [[0.1, 0.3], [0.3, 0.5], [0.5, 0.7], [0.7, 0.9]]) {
        expect(nonEmpty.filter((c) => c >= lo && c < hi).length).toBeGreaterThanOrEqual(10);
      }
    });

    it('puts some partial salt bodies against the image border', () => {
      const touching = salted.filter((s) => {
        if (saltPixels(s) === N) return false;
        for (let k = 0; k < SIZE; k++) {
          if (s.mask[k] || s.mask[(SIZE - 1) * SIZE + k] || s.mask[k * SIZE] || s.mask[k * SIZE + SIZE - 1]) return true;
        }
        return false;
      });
      expect(touching.length / salted.length).toBeGreaterThan(0.4);
    });

    it('correlates depth with salt: deeper sections hold salt more often', () => {
      const z = samples.map((s) => s.depth);
      const hasSalt = coverage.map((c) => (c > 0 ? 1 : 0));
      const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
      const mz = mean(z);
      const ms = mean(hasSalt);
      let cov = 0;
      let vz = 0;
      let vs = 0;
      for (let i = 0; i < z.length; i++) {
        cov += (z[i] - mz) * (hasSalt[i] - ms);
        vz += (z[i] - mz) ** 2;
        vs += (hasSalt[i] - ms) ** 2;
      }
      const r = cov / sqrt(vz * vs);
      // Expected point-biserial r ≈ 0.6·sd(z)/900 / sqrt(p(1-p)) ≈ 0.27; |r| > 0.1 is ~2 standard errors.
      expect(r).toBeGreaterThan(0.12);
      expect(min(...z)).toBeGreaterThanOrEqual(MIN_DEPTH);
      expect(max(...z)).toBeLessThanOrEqual(MAX_DEPTH);
    });

    it('varies brightness and contrast per image', () => {
      const stats = samples.map((s) => {
        let m = 0;
        for (const v of s.image) m += v;
        m /= N;
        let v2 = 0;
        for (const v of s.image) v2 += (v - m) ** 2;
        return { mean: m, sd: sqrt(v2 / N) };
      });
      const means = stats.map((s) => s.mean);
      const sds = stats.map((s) => s.sd);
      expect(max(...means) - min(...means)).toBeGreaterThan(40);
      expect(max(...sds) / min(...sds)).toBeGreaterThan(2);
      expect(min(...means)).toBeGreaterThan(60); // centred mid-grey, not saturated
      expect(max(...means)).toBeLessThan(200);
    });

    it('gives salt and sediment overlapping mean brightness', () => {
      // Per partially-covered image: |mean(salt) - mean(sediment)| in units of the image's spread.
      const gaps = salted
        .filter((s) => {
          const c = saltPixels(s);
          return c > 0.05 * N && c < 0.95 * N;
        })
        .map((s) => {
          let ms = 0;
          let md = 0;
          let cs = 0;
          let all = 0;
          let all2 = 0;
          for (let i = 0; i < N; i++) {
            all += s.image[i];
            all2 += s.image[i] ** 2;
            if (s.mask[i]) {
              ms += s.image[i];
              cs++;
            } else md += s.image[i];
          }
          const sd = sqrt(all2 / N - (all / N) ** 2);
          return abs(ms / cs - md / (N - cs)) / sd;
        })
        .sort((a, b) => a - b);
      expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(0.25);
    });

    it('defeats a global brightness threshold while a texture feature separates salt', () => {
      // Best single global threshold on brightness, searched over 0..256 and both polarities,
      // scored with the competition metric; per-image histograms make the search cheap.
      const hists = samples.map((s) => {
        const salt = new Float64Array(256);
        const sediment = new Float64Array(256);
        for (let i = 0; i < N; i++) (s.mask[i] ? salt : sediment)[s.image[i]]++;
        return { salt, sediment, truth: saltPixels(s) };
      });
      let bestBrightness = 0;
      for (const bright of [true, false]) {
        for (let t = 0; t <= 256; t++) {
          let score = 0;
          for (const h of hists) {
            let tp = 0;
            let fp = 0;
            for (let v = 0; v < 256; v++) {
              if (bright ? v >= t : v < t) {
                tp += h.salt[v];
                fp += h.sediment[v];
              }
            }
            score += tgsImageScore(h.truth, tp, fp);
          }
          bestBrightness = max(bestBrightness, score / samples.length);
        }
      }
      const allEmptyBaseline = hists.filter((h) => h.truth === 0).length / samples.length;
      // The best brightness threshold is (up to a hair) the trivial "predict nothing" answer.
      expect(bestBrightness).toBeLessThan(allEmptyBaseline + 0.03);
      expect(bestBrightness).toBeLessThan(0.5);

      // Per-pixel separability on partially-covered images: brightness is near chance, while a
      // one-line texture feature — the share of horizontal gradient energy in a 9x9 window
      // (strata vary vertically, salt is chaotic in every direction) — separates well.
      const brightness: number[] = [];
      const texture: number[] = [];
      const labels: number[] = [];
      for (const s of salted) {
        const c = saltPixels(s);
        if (c < 0.05 * N || c > 0.95 * N) continue;
        const gx = new Float32Array(N);
        const gy = new Float32Array(N);
        for (let y = 0; y < SIZE; y++) {
          for (let x = 0; x < SIZE; x++) {
            const dx = s.image[y * SIZE + min(SIZE - 1, x + 1)] - s.image[y * SIZE + max(0, x - 1)];
            const dy = s.image[min(SIZE - 1, y + 1) * SIZE + x] - s.image[max(0, y - 1) * SIZE + x];
            gx[y * SIZE + x] = dx * dx;
            gy[y * SIZE + x] = dy * dy;
          }
        }
        const ex = boxBlur(gx, SIZE, SIZE, 4);
        const ey = boxBlur(gy, SIZE, SIZE, 4);
        for (let i = 0; i < N; i += 7) {
          brightness.push(s.image[i]);
          texture.push(ex[i] / (ex[i] + ey[i] + 1e-6));
          labels.push(s.mask[i]);
        }
      }
      const brightnessAuc = auc(brightness, labels);
      const textureAuc = auc(texture, labels);
      expect(max(brightnessAuc, 1 - brightnessAuc)).toBeLessThan(0.6);
      expect(textureAuc).toBeGreaterThan(0.8);
      // Measured: see the README numbers; printed for reference when run verbosely.
      if (process.env.SYNTHETIC_VERBOSE) {
        process.stdout.write(
          `brightness TGS score ${bestBrightness.toFixed(3)} (all-empty ${allEmptyBaseline.toFixed(3)}), pixel AUC brightness ${brightnessAuc.toFixed(3)} texture ${textureAuc.toFixed(3)}\n`,
        );
      }
    });
  });
});
