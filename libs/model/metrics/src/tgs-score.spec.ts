import { IOU_THRESHOLDS, iou, tgsImageScore, tgsMeanAP } from './tgs-score';

describe('IOU_THRESHOLDS', () => {
  it('is 0.50, 0.55, …, 0.95', () => {
    expect(IOU_THRESHOLDS).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
  });
});

describe('iou', () => {
  it.each([
    // [intersection, pred, truth, expected]
    [0, 0, 0, 1], // both empty: perfect agreement
    [0, 3, 0, 0],
    [0, 0, 3, 0],
    [1, 2, 1, 0.5],
    [3, 4, 3, 0.75],
    [2, 3, 3, 0.5], // union 4
    [5, 5, 5, 1],
  ])('I=%d P=%d T=%d → %d', (i, p, t, expected) => {
    expect(iou(i, p, t)).toBe(expected);
  });
});

describe('tgsImageScore', () => {
  it.each([
    // [intersection, pred, truth, expected score, why]
    [0, 0, 0, 1, 'empty truth, empty prediction'],
    [0, 7, 0, 0, 'empty truth, non-empty prediction'],
    [0, 0, 9, 0, 'non-empty truth, empty prediction'],
    [0, 4, 4, 0, 'disjoint'],
    [1, 2, 1, 0, 'IoU exactly 0.5: not strictly above 0.5'],
    [3, 4, 3, 0.5, 'IoU 0.75: exceeds 0.50…0.70 strictly = 5 of 10'],
    [11, 20, 11, 0.1, 'IoU exactly 0.55: only 0.50 exceeded'],
    [19, 20, 19, 0.9, 'IoU exactly 0.95: all but 0.95'],
    [24, 25, 24, 1, 'IoU 0.96'],
    [51, 100, 51, 0.1, 'IoU 0.51'],
    [7, 7, 7, 1, 'identical masks'],
  ])('I=%d P=%d T=%d → %d (%s)', (i, p, t, expected) => {
    expect(tgsImageScore(i, p, t)).toBeCloseTo(expected, 12);
  });

  it('agrees with a float comparison against the thresholds on all small fractions', () => {
    for (let union = 1; union <= 60; union++) {
      for (let inter = 1; inter <= union; inter++) {
        // pred = union, truth = inter → union = pred + truth − inter = union
        const expected = IOU_THRESHOLDS.filter((t) => inter / union > t).length / 10;
        expect(tgsImageScore(inter, union, inter)).toBeCloseTo(expected, 12);
      }
    }
  });
});

describe('tgsMeanAP', () => {
  it('scores hand-made 2×2 images', () => {
    // image 0: truth {0,1}, pred {0,1}: IoU 1 → 1
    // image 1: truth {}, pred {3} → 0
    // image 2: truth {}, pred {} → 1
    // image 3: truth {0,1,2}, pred {0,1,2,3}: IoU 0.75 → 0.5
    const truths = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]);
    const preds = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 255]);
    const { mean, perImage } = tgsMeanAP(preds, truths, 4);
    expect(Array.from(perImage)).toEqual([1, 0, 1, 0.5]);
    expect(mean).toBeCloseTo(2.5 / 4, 12);
  });

  it('rejects mismatched buffers', () => {
    expect(() => tgsMeanAP(new Uint8Array(8), new Uint8Array(4), 4)).toThrow(/truths length/);
    expect(() => tgsMeanAP(new Uint8Array(6), new Uint8Array(6), 4)).toThrow(/multiple of pixels/);
    expect(() => tgsMeanAP(new Uint8Array(4), new Uint8Array(4), 0)).toThrow(/pixels/);
  });
});
