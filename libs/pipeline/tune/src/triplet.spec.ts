import { thresholdStats, tgsImageScore } from '@segkit/metrics';
import { bestTriplet, tripletMeanScores, tripletPerImage } from './triplet';
import { tuneThreshold } from './tune';

/*
 * Four 2×2 images (pixels = 4), logits by hand:
 *   A: truth empty,        logits [0.5, −3, −3, −3]  a faint false positive
 *   B: truth [1, 1, 0, 0], logits [3, 0.2, −3, −3]   a sure pixel and a faint one, both salt
 *   C: truth empty,        logits all −3
 *   D: truth [1, 0, 0, 0], logits [2, −3, −3, −3]
 * One threshold t: t < 0.2 gives A a false positive (0) and B IoU 1; 0.2 ≤ t < 0.5 both wrong
 * (A 0, B IoU ½ → 0); 0.5 ≤ t < 2 empties A but leaves B at IoU ½ (0): at best 3 of 4. A min area
 * cannot tell A (1 pixel) from D (1 pixel). The triplet top ∈ (0.5, 2), bottom < 0.2 gets all four.
 */
const truths = Uint8Array.from([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
const logits = Float32Array.from([0.5, -3, -3, -3, 3, 0.2, -3, -3, -3, -3, -3, -3, 2, -3, -3, -3]);

/** The triplet's rule written out on one image's pixels: the mask's area (mask into `out`). */
function naiveMask(lg: Float32Array, bottom: number, minArea: number, out: Uint8Array, top: number): number {
  const aboveTop = Array.from(lg).filter((v) => v > top).length;
  const keep = aboveTop >= Math.max(1, minArea);
  lg.forEach((v, p) => (out[p] = keep && v > bottom ? 1 : 0));
  return out.reduce((s, v) => s + v, 0);
}

describe('the threshold triplet on a hand-made OOF set', () => {
  // Thresholds (logits): index 0 → −1, 1 → 0, 2 → 0.3, 3 → 1.
  const stats = thresholdStats(logits, truths, 4, [-1, 0, 0.3, 1]);

  it('scores each bottom threshold at a fixed top (by hand)', () => {
    // Top 1: A dropped (1), B kept (max 3), C (1), D kept. Bottom −1 or 0: B = {3, 0.2} → 1, D → 1: mean 1.
    // Bottom 0.3: B = {3} → IoU ½ → 0: mean ¾. Bottom 1: the same ¾.
    expect(Array.from(tripletMeanScores(stats, 3, 0))).toEqual([1, 1, 0.75, 0.75]);
    // Top = bottom is the usual rule: at 0 A is a false positive and B perfect → ¾.
    expect(tripletMeanScores(stats, 1, 0)[1]).toBe(0.75);
    // Min area 2 above top 1: no image has two pixels above it → all empty: A 1, B 0, C 1, D 0.
    expect(Array.from(tripletMeanScores(stats, 3, 2))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('finds top 1, bottom −1 and tells which images it empties', () => {
    expect(bestTriplet(stats, [0, 1, 2, 3], [0, 1, 2, 3], [0, 2])).toEqual({ topIndex: 3, bottomIndex: 0, minArea: 0, score: 1 });
    const { scores, predEmpty } = tripletPerImage(stats, 3, 0, 0);
    expect(Array.from(scores)).toEqual([1, 1, 1, 1]);
    expect(Array.from(predEmpty)).toEqual([1, 0, 1, 0]);
  });

  it('keeps the usual rule when no other top scores strictly higher', () => {
    // Tops restricted to the bottoms themselves: only top = bottom points exist.
    const best = bestTriplet(stats, [1], [1], [0]);
    expect(best).toEqual({ topIndex: 1, bottomIndex: 1, minArea: 0, score: 0.75 });
  });

  it('tuneThreshold with topProbs picks the triplet; without, the pair (by hand)', () => {
    const opts = { probFrom: 0.3, probTo: 0.7, probSteps: 5, refineSteps: 0, minAreas: [0, 2] };
    const pair = tuneThreshold(logits, truths, 4, opts, { metric: 'tgs-map' });
    expect(pair.score).toBe(0.75);
    expect(pair.topLogitThreshold).toBeUndefined();
    // Grid p = 0.3…0.7 → logits −0.85, −0.41, 0, 0.41, 0.85. Top 0.7 (0.85) drops A, keeps B and D;
    // bottom 0.3 (−0.85) draws B whole.
    const triplet = tuneThreshold(logits, truths, 4, { ...opts, topProbs: [0.8] }, { metric: 'tgs-map' });
    expect(triplet.score).toBe(1);
    expect(triplet.probThreshold).toBe(0.3);
    expect(triplet.topProbThreshold).toBe(0.7);
    expect(triplet.minArea).toBe(0);
    expect(Array.from(triplet.perImage)).toEqual([1, 1, 1, 1]);
    expect(triplet.confusion).toEqual({ truthEmptyPredEmpty: 2, truthEmptyPredNonEmpty: 0, truthNonEmptyPredEmpty: 0, truthNonEmptyPredNonEmpty: 2 });
    expect(triplet.minAreaCurve).toEqual([
      { minArea: 0, score: 1 },
      { minArea: 2, score: 0.5 },
    ]);
    // The rule written out on the pixels agrees.
    const out = new Uint8Array(4);
    const areas = [0, 1, 2, 3].map((i) => naiveMask(logits.subarray(i * 4, i * 4 + 4), triplet.logitThreshold, 0, out, triplet.topLogitThreshold ?? NaN));
    expect(areas).toEqual([0, 2, 0, 1]);
  });
});

describe('bestTriplet against a brute force over binarized masks', () => {
  it('finds the same best score on seeded random logits', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 9;
    const pixels = 9;
    const truth = new Uint8Array(n * pixels);
    const lg = new Float32Array(n * pixels);
    for (let i = 0; i < n; i++) {
      const salt = i % 3 !== 0;
      for (let p = 0; p < pixels; p++) {
        truth[i * pixels + p] = salt && p < 3 + (i % 4) ? 1 : 0;
        lg[i * pixels + p] = (truth[i * pixels + p] ? 1 : -1) + (rand() - 0.5) * 3.5;
      }
    }
    const thresholds = [-1, -0.5, 0, 0.5, 1, 1.5];
    const minAreas = [0, 2, 4];
    const stats = thresholdStats(lg, truth, pixels, thresholds);
    const all = thresholds.map((_, j) => j);
    const best = bestTriplet(stats, all, all, minAreas);
    // Naive: binarize every image at every (top, min area, bottom) and score the masks.
    let naive = -1;
    const mask = new Uint8Array(pixels);
    for (const top of thresholds) {
      for (const a of minAreas) {
        for (const bottom of thresholds) {
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const area = naiveMask(lg.subarray(i * pixels, (i + 1) * pixels), bottom, a, mask, top);
            let inter = 0;
            let tArea = 0;
            for (let p = 0; p < pixels; p++) {
              inter += mask[p] & truth[i * pixels + p];
              tArea += truth[i * pixels + p];
            }
            sum += tgsImageScore(inter, area, tArea);
          }
          naive = Math.max(naive, sum / n);
        }
      }
    }
    expect(best.score).toBeCloseTo(naive, 12);
    // And the chosen point scores what it claims, by the same brute force.
    const { scores } = tripletPerImage(stats, best.topIndex, best.bottomIndex, best.minArea);
    expect(scores.reduce((s, v) => s + v, 0) / n).toBeCloseTo(best.score, 12);
  });
});
