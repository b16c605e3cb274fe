import { logit } from '@tgs/metrics';
import { linspace, tuneThreshold } from './tune';

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
    const r = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 5, refineSteps: 0, minAreas: [0] });
    expect(r.probThreshold).toBe(0.5);
    expect(r.map).toBe(1);
    expect(r.logitThreshold).toBeCloseTo(0, 12);
    expect(r.confusion).toEqual({ truthEmptyPredEmpty: 1, truthEmptyPredNonEmpty: 0, truthNonEmptyPredEmpty: 0, truthNonEmptyPredNonEmpty: 2 });
  });

  it('the coarse grid alone misses it, the fine search or a min area recovers it', () => {
    // grid 0.3, 0.7. At 0.3: image 0 predicts {.9,.6,.4} vs truth of 2 → IoU 2/3 exceeds 0.50…0.65
    // → 0.4; image 1 has a false positive → 0; image 2 full → 1; mean 1.4/3.
    // At 0.7: image 0 IoU 1/2 → 0; image 1 empty → 1; image 2 IoU 1/2 → 0; mean 1/3.
    const coarseOnly = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 0, minAreas: [0] });
    expect(coarseOnly.probThreshold).toBe(0.3);
    expect(coarseOnly.map).toBeCloseTo(1.4 / 3, 12);
    // Min area 2 empties image 1's single false-positive pixel at p = 0.3: (0.4 + 1 + 1) / 3.
    const withArea = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 0, minAreas: [0, 2] });
    expect(withArea.minArea).toBe(2);
    expect(withArea.map).toBeCloseTo(2.4 / 3, 12);
    const refined = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 2, refineSteps: 41, minAreas: [0] });
    expect(refined.map).toBe(1);
    expect(refined.probThreshold).toBeGreaterThan(0.45);
    expect(refined.probThreshold).toBeLessThan(0.55);
  });

  it('reports the p = 0.5 score and a curve over every evaluated threshold', () => {
    const r = tuneThreshold(logits, truths, 4, { probFrom: 0.3, probTo: 0.7, probSteps: 31, refineSteps: 21, minAreas: [0, 10] });
    expect(r.mapAtZero).toBe(1);
    expect(r.curve.length).toBeGreaterThanOrEqual(31);
    for (let k = 1; k < r.curve.length; k++) expect(r.curve[k].probThreshold).toBeGreaterThan(r.curve[k - 1].probThreshold);
    expect(r.minAreaCurve.map((m) => m.minArea)).toEqual([0, 10]);
    expect(r.perImage).toHaveLength(3);
  });
});
