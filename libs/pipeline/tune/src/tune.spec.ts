import { logit } from '@segkit/metrics';
import { linspace, thresholdGrid, tuneThreshold, TuneScoring } from './tune';

const TGS: TuneScoring = { metric: 'tgs-map' };

describe('linspace', () => {
  it('linspace(0.3, 0.7, 31) has step 0.01333… and hits both ends', () => {
    const g = linspace(0.3, 0.7, 31);
    expect(g).toHaveLength(31);
    expect(g[0]).toBe(0.3);
    expect(g[30]).toBeCloseTo(0.7, 15);
    expect(g[1] - g[0]).toBeCloseTo(0.4 / 30, 15);
  });
});

describe('tuneThreshold', () => {
  // Three 1×4 images. Truth: [1,1,0,0], [0,0,0,0], [1,1,1,1].
  // Logits (as probabilities): image 0 = [.9,.6,.4,.1]; image 1 = [.45,.1,.1,.1]; image 2 = [.8,.8,.55,.55].
  const truths = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const probs = [0.9, 0.6, 0.4, 0.1, 0.45, 0.1, 0.1, 0.1, 0.8, 0.8, 0.55, 0.55];
  const logits = Float32Array.from(probs.map(logit));

  it('finds a threshold in (0.45, 0.55) where every image is perfect (by hand)', () => {
    // p ≤ 0.45: image 1 gets a false positive (score 0). p ≥ 0.55: image 2 drops to IoU 0.5 → 0.
    // In between: image 0 = {.9,.6} = truth, image 1 empty, image 2 full → mAP 1.
    const r = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 5, refineSteps: 0, minAreas: [0] }, TGS);
    expect(r.probThreshold).toBe(0.5);
    expect(r.score).toBe(1);
    expect(r.logitThreshold).toBeCloseTo(0, 12);
    expect(r.confusion).toEqual({ truthEmptyPredEmpty: 1, truthEmptyPredNonEmpty: 0, truthNonEmptyPredEmpty: 0, truthNonEmptyPredNonEmpty: 2 });
  });

  it('the coarse grid alone misses it, the fine search or a min area recovers it', () => {
    // The same images with the middle probabilities moved up so the perfect interval, [0.6, 0.68),
    // holds no grid point: image 0 = [.9,.75,.55,.1]; image 1 = [.6,.1,.1,.1]; image 2 = [.85,.85,.68,.68].
    const shifted = Float32Array.from([0.9, 0.75, 0.55, 0.1, 0.6, 0.1, 0.1, 0.1, 0.85, 0.85, 0.68, 0.68].map(logit));
    // Grid 0.3, 0.7 plus p = 0.5, which is always a candidate.
    // At 0.3 and at 0.5: image 0 predicts {.9,.75,.55} vs truth of 2 → IoU 2/3 exceeds 0.50…0.65 → 0.4;
    // image 1 has a false positive → 0; image 2 full → 1; mean 1.4/3.
    // At 0.7: image 0 exact → 1; image 1 empty → 1; image 2 IoU 1/2 → 0; mean 2/3.
    const coarseOnly = tuneThreshold(shifted, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 0, minAreas: [0] }, TGS);
    expect(coarseOnly.probThreshold).toBe(0.7);
    expect(coarseOnly.score).toBeCloseTo(2 / 3, 12);
    expect(coarseOnly.scoreAtZero).toBeCloseTo(1.4 / 3, 12);
    expect(coarseOnly.curve.map((p) => p.probThreshold)).toEqual([0.3, 0.5, 0.7]);
    // Min area 2 empties image 1's single false-positive pixel at p = 0.3 and 0.5: (0.4 + 1 + 1) / 3,
    // the tie going to the lower threshold.
    const withArea = tuneThreshold(shifted, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 0, minAreas: [0, 2] }, TGS);
    expect(withArea.minArea).toBe(2);
    expect(withArea.probThreshold).toBe(0.3);
    expect(withArea.score).toBeCloseTo(2.4 / 3, 12);
    const refined = tuneThreshold(shifted, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 41, minAreas: [0] }, TGS);
    expect(refined.score).toBe(1);
    expect(refined.probThreshold).toBeGreaterThanOrEqual(0.6);
    expect(refined.probThreshold).toBeLessThan(0.68);
  });

  it('always considers no minimum area', () => {
    // Grid {0.3, 0.5, 0.7}: only min area 10 was asked for, which empties every 1×4 mask (score 1/3),
    // but no minimum area at p = 0.5 scores 1.
    const r = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 0, minAreas: [10] }, TGS);
    expect([r.minArea, r.probThreshold, r.score]).toEqual([0, 0.5, 1]);
    expect(r.minAreaCurve.map((m) => m.minArea)).toEqual([0, 10]);
  });

  it('reports the p = 0.5 score and a curve over every evaluated threshold', () => {
    const r = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 31, refineSteps: 21, minAreas: [0, 10] }, TGS);
    expect(r.scoreAtZero).toBe(1);
    expect(r.curve.length).toBeGreaterThanOrEqual(31);
    for (let k = 1; k < r.curve.length; k++) expect(r.curve[k].probThreshold).toBeGreaterThan(r.curve[k - 1].probThreshold);
    expect(r.minAreaCurve.map((m) => m.minArea)).toEqual([0, 10]);
    expect(r.perImage).toHaveLength(3);
  });

  it('tunes on the competition metric: Dice prefers another coarse point than the TGS mAP (by hand)', () => {
    // At 0.3: image 0 Dice 2·2/(3+2) = 0.8, image 1 a false positive 0, image 2 full 1 → 0.6.
    // At 0.5 (always a candidate): every image exact → 1; the grid without it is 0.3 and 0.7.
    // At 0.7: image 0 {.9}: 2/3; image 1 empty/empty 1; image 2 {.8,.8} of 4: 2·2/6 = 2/3 → 7/9.
    const dice = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 0, minAreas: [0] }, { metric: 'dice' });
    expect(dice.metric).toBe('dice');
    expect(dice.curve.map((p) => [p.probThreshold, +p.score.toFixed(12)])).toEqual([
      [0.3, 0.6],
      [0.5, 1],
      [0.7, +(7 / 9).toFixed(12)],
    ]);
    expect([dice.probThreshold, dice.score]).toEqual([0.5, 1]);
  });
});

describe('thresholdGrid', () => {
  it('always holds p = 0.5 exactly, also when rounding put a near-duplicate beside it', () => {
    // 0.4866… + 0.01333… rounds to 0.49999999999999994, the end of the default fine grid around 0.4867.
    const near = linspace(0.3, 0.7, 31)[14] + 0.4 / 30;
    expect(near).not.toBe(0.5);
    expect(thresholdGrid([0.3, near, 0.7])).toEqual([0.3, 0.5, 0.7]);
    expect(thresholdGrid([0.5 + 1e-13, 0.2])).toEqual([0.2, 0.5]);
    expect(thresholdGrid([0.4, 0.4 + 1e-13, 0.6])).toEqual([0.4, 0.5, 0.6]);
    expect(thresholdGrid([0.5 - 2e-12])).toEqual([0.5 - 2e-12, 0.5]);
  });
});

describe('tuneThreshold on every coarse optimum × refine setting', () => {
  // One-pixel images whose logits straddle logit(target) by ±δ: the positives (truth 1) are right
  // exactly when t < logit(target) + δ, the negatives (truth 0) when t ≥ logit(target) − δ, so every
  // image is right exactly on [logit(target) − δ, logit(target) + δ) and the coarse optimum is target.
  const delta = 1e-4;
  const positives = 3;
  const negatives = 2;
  function straddling(target: number): { logits: Float32Array; truths: Uint8Array } {
    const l = logit(target);
    const logits = Float32Array.from([...Array(positives).fill(l + delta), ...Array(negatives).fill(l - delta)]);
    const truths = Uint8Array.from([...Array(positives).fill(1), ...Array(negatives).fill(0)]);
    return { logits, truths };
  }
  /** The mean TGS score at logit 0, counted by hand: a one-pixel image is right or wrong. */
  function scoreAtZero(logits: Float32Array, truths: Uint8Array): number {
    let right = 0;
    for (let i = 0; i < logits.length; i++) if (logits[i] > 0 === (truths[i] === 1)) right++;
    return right / logits.length;
  }
  const grids: [number, number, number][] = [
    [0.3, 0.7, 31], // the default
    [0.3, 0.7, 2],
    [0.3, 0.7, 4], // 0.5 is not a coarse point
    [0.1, 0.9, 7],
    [0.05, 0.95, 10],
    [0.49, 0.51, 3],
    [0.4, 0.6, 30],
    [0.45, 0.55, 41],
  ];
  const refines = [0, 1, 2, 3, 5, 20, 21, 40];
  const cases = grids.flatMap(([probFrom, probTo, probSteps]) =>
    refines.flatMap((refineSteps) => linspace(probFrom, probTo, probSteps).map((target, c) => ({ probFrom, probTo, probSteps, refineSteps, target, c }))),
  );

  it(`scores p = 0.5 and finds the optimum in all ${cases.length} cases`, () => {
    for (const { probFrom, probTo, probSteps, refineSteps, target, c } of cases) {
      const { logits, truths } = straddling(target);
      const r = tuneThreshold(logits, truths, 1, { probFrom, probTo, probSteps, refineSteps, minAreas: [0, 10] }, TGS);
      const where = `grid ${probFrom}…${probTo}/${probSteps}, refine ${refineSteps}, coarse optimum #${c} (p = ${target})`;
      expect([where, r.scoreAtZero]).toEqual([where, scoreAtZero(logits, truths)]);
      expect([where, r.score]).toEqual([where, 1]);
      expect([where, Math.abs(r.logitThreshold - logit(target)) <= delta]).toEqual([where, true]);
      expect([where, r.curve.some((p) => p.probThreshold === 0.5 && p.logitThreshold === 0)]).toEqual([where, true]);
    }
  });
});
