import { assessHealth, firstDifferentMask } from './health';

// Four 2×2 images; fold 0 = images 0 and 1, fold 1 = images 2 and 3.
const P = 4;
const foldOf = [0, 0, 1, 1];
const logits = (...imgs: number[][]) => Float32Array.from(imgs.flat());

describe('firstDifferentMask', () => {
  it.each([
    [[[-1, -2, -3, -4], [-9, -1e9, -0.5, -7]], -1], // all empty, different logits
    [[[5, -1, -1, -1], [1e11, -1e11, -3, -2]], -1], // the same one-pixel mask
    [[[5, -1, -1, -1], [-5, 1, -1, -1]], 1],
  ])('%j → %d', (imgs, want) => {
    expect(firstDifferentMask(logits(...imgs), P, [0, 1])).toBe(want);
  });
});

describe('assessHealth', () => {
  const healthy = logits([1, -1, -1, -1], [-1, -1, -1, -1], [1, 1, -1, -1], [-1, -1, -1, 1]);

  it('says nothing about a model above the baseline whose masks vary', () => {
    expect(assessHealth({ oofLogits: healthy, pixels: P, foldOf, k: 2, tunedScore: 0.6, allEmptyBaseline: 0.4, metricLabel: 'mAP' })).toEqual([]);
  });

  it('flags one collapsed fold, not fatal while another fold still predicts', () => {
    const oof = logits([-1, -1, -1, -1], [-3, -2, -1, -9], [1, 1, -1, -1], [-1, -1, -1, 1]);
    const w = assessHealth({ oofLogits: oof, pixels: P, foldOf, k: 2, tunedScore: 0.6, allEmptyBaseline: 0.4, metricLabel: 'mAP' });
    expect(w).toEqual([
      {
        kind: 'collapsed',
        fold: 0,
        fatal: false,
        message:
          'fold 0: the validation predictions collapsed to a constant (all 2 masks at p = 0.5 are empty): the model ignores its input; training diverged (lower the learning rate) or is far too short',
      },
    ]);
  });

  it('every fold collapsed (a diverged lr 1e6 run) and below the baseline: fatal', () => {
    const oof = logits([1e11, 1e11, 1e11, 1e11], [2e11, 3, 1, 9], [1e10, 1e10, 1e10, 1e10], [1, 1, 1, 1]);
    const w = assessHealth({ oofLogits: oof, pixels: P, foldOf, k: 2, tunedScore: 0.19, allEmptyBaseline: 0.35, metricLabel: 'mAP' });
    expect(w.map((x) => [x.kind, x.fold, x.fatal])).toEqual([
      ['collapsed', 0, true],
      ['collapsed', 1, true],
      ['below-baseline', undefined, true],
    ]);
    expect(w[0].message).toContain('are full');
    expect(w[2].message).toBe('the tuned OOF mAP 0.1900 is below the all-empty baseline 0.3500: this submission scores worse than predicting no masks at all');
  });

  it('a tuned score equal to the baseline is a warning, not a failure', () => {
    const w = assessHealth({ oofLogits: healthy, pixels: P, foldOf, k: 2, tunedScore: 0.3958, allEmptyBaseline: 0.3958, metricLabel: 'mAP' });
    expect(w.map((x) => [x.kind, x.fatal])).toEqual([['at-baseline', false]]);
  });
});
