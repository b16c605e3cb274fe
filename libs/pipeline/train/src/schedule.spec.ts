import { cosineLr, isCycleEnd, plateauStep, PlateauState } from './schedule';

describe('cosineLr', () => {
  // lr0 = 1, min = 0, 8 epochs, 2 cycles → period 4: cos(0)=1 → 1; cos(π/4) → (1+√2/2)/2; cos(π/2) → 0.5; cos(3π/4) → (1−√2/2)/2
  it.each([
    [0, 1],
    [1, (1 + Math.SQRT1_2) / 2],
    [2, 0.5],
    [3, (1 - Math.SQRT1_2) / 2],
    [4, 1],
    [6, 0.5],
  ])('epoch %p -> %p', (epoch, lr) => expect(cosineLr(epoch, 8, 2, 1, 0)).toBeCloseTo(lr, 12));
  it('respects minLr', () => expect(cosineLr(2, 4, 1, 1e-3, 1e-4)).toBeCloseTo(1e-4 + 0.5 * 9e-4 * 1, 12));
  it('marks cycle ends', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].filter((e) => isCycleEnd(e, 8, 2))).toEqual([3, 7]);
  });
});

describe('plateauStep', () => {
  it('halves the lr after `patience` epochs without improvement', () => {
    let s: PlateauState = { lr: 1, best: -Infinity, badEpochs: 0 };
    const lrs: number[] = [];
    for (const score of [0.5, 0.6, 0.6, 0.55, 0.59, 0.58, 0.7]) {
      s = plateauStep(s, score, 0.5, 2, 0.2);
      lrs.push(s.lr);
    }
    // improvements at 0.5, 0.6; then 3 bad epochs → reduce at the third; then 0.58 bad; 0.7 better.
    expect(lrs).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5]);
  });
  it('never goes below minLr', () => {
    const s = plateauStep({ lr: 0.3, best: 1, badEpochs: 5 }, 0, 0.5, 0, 0.2);
    expect(s.lr).toBe(0.2);
  });
});
