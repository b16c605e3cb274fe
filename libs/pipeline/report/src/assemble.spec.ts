import type { FoldTrainResult } from '@segkit/train';
import type { TuneRecord } from '@segkit/tune';
import { assembleReport, foldRow, stepTimings, worstImages } from './assemble';

// Four 1×2 train images. Truth: a [1,1], b [1,0], c [0,0], d [1,0].
const train = {
  ids: ['a', 'b', 'c', 'd'],
  images: Uint8Array.from([10, 11, 20, 21, 30, 31, 40, 41]),
  masks: Uint8Array.from([1, 1, 1, 0, 0, 0, 1, 0]),
  height: 1,
  width: 2,
};
// At logit 0 with min area 2: a full (exact), b full (IoU 1/2), c one pixel → emptied (exact),
// d one pixel on its salt → emptied, so nothing of it is left (IoU 0, not 1).
const oofLogits = Float32Array.from([2, 2, 2, 2, -1, 3, 3, -1]);
const tuned = { perImage: [1, 0, 1, 0], logitThreshold: 0, minArea: 2 };

describe('worstImages', () => {
  it('takes the lowest scores first (ties in train order), with masks and IoU (by hand)', () => {
    const worst = worstImages(oofLogits, train, tuned, 3);
    expect(worst.map((w) => [w.id, w.score, w.iou])).toEqual([
      ['b', 0, 0.5],
      ['d', 0, 0],
      ['a', 1, 1],
    ]);
    expect([...worst[0].pred]).toEqual([1, 1]);
    expect([...worst[0].truth]).toEqual([1, 0]);
    expect([...worst[0].image]).toEqual([20, 21]);
    expect([...worst[1].pred]).toEqual([0, 0]);
    expect(worst.every((w) => w.height === 1 && w.width === 2)).toBe(true);
  });
});

const stage = (s: 1 | 2, bestValScore: number, seconds: number) => ({
  stage: s,
  bestEpoch: 1,
  bestValScore,
  epochs: 1,
  history: [{ epoch: 1, stage: s, loss: 0.5, val_loss: 0.6, val_score: bestValScore, lr: 0.001, seconds }],
  seconds,
});
const fold = (k: number, seconds: number): FoldTrainResult => ({ fold: k, nTrain: 2, nVal: 2, stage1: stage(1, 0.5, 3), stage2: stage(2, 0.75, 4), seconds, fingerprint: 'f'.repeat(64) }) as FoldTrainResult;

describe('stepTimings', () => {
  it('sums train and predict over the folds and reads the other steps (by hand)', () => {
    const recorded: Record<string, number> = { data: 1, folds: 2, 'predict-fold-0': 5, 'predict-fold-1': 6, ensemble: 7, tune: 8 };
    expect(stepTimings([fold(0, 10), fold(1, 20)], (s) => recorded[s] ?? 0)).toEqual({ data: 1, folds: 2, train: 30, predict: 11, ensemble: 7, tune: 8, submit: 0 });
  });
});

describe('foldRow', () => {
  const perFold = [{ fold: 1, oofScoreStage1: 0.25, oofScoreStage2: 0.5 }];
  it("puts a fold's training result next to its OOF scores, the device before the backend", () => {
    const row = foldRow(fold(1, 20), { perFold }, { backend: 'wasm', device: 'GPU 1' });
    expect(row).toMatchObject({ fold: 1, nTrain: 2, nVal: 2, oofScoreStage1: 0.25, oofScoreStage2: 0.5, seconds: 20, device: 'GPU 1' });
    expect(row.stage2).toEqual({ bestEpoch: 1, bestValScore: 0.75, epochs: 1 });
    expect(row.history.map((r) => r.stage)).toEqual([1, 2]);
    expect(foldRow(fold(1, 20), { perFold }, { backend: 'wasm' }).device).toBe('wasm');
    expect(foldRow(fold(1, 20), { perFold }, undefined).device).toBeUndefined();
  });
  it('a fold the tune record does not know is an error (tuned with other folds)', () => {
    expect(() => foldRow(fold(0, 20), { perFold }, undefined)).toThrow('no OOF scores for fold 0');
  });
});

describe('assembleReport', () => {
  it("fills the report input from the owners' data", () => {
    const record = {
      metric: 'tgs-map',
      logitThreshold: 0,
      probThreshold: 0.5,
      minArea: 2,
      score: 0.5,
      scoreAtZero: 0.5,
      curve: [{ probThreshold: 0.5, logitThreshold: 0, score: 0.5 }],
      minAreaCurve: [{ minArea: 2, score: 0.5 }],
      coverageBins: [],
      confusion: { truthEmptyPredEmpty: 1, truthEmptyPredNonEmpty: 0, truthNonEmptyPredEmpty: 1, truthNonEmptyPredNonEmpty: 2 },
      perImage: tuned.perImage,
      oofScoreStage1: 0.25,
      oofScoreStage2: 0.5,
      perFold: [0, 1].map((f) => ({ fold: f, oofScoreStage1: 0.25, oofScoreStage2: 0.5 })),
      allEmptyBaseline: 0.25,
      warnings: [{ kind: 'at-baseline', fatal: false, message: 'no better than empty' }],
    } as TuneRecord;
    const input = assembleReport({
      name: 'exp',
      config: { name: 'exp' },
      train,
      tuned: record,
      oofLogits,
      folds: [fold(0, 10), fold(1, 20)],
      devices: [{ backend: 'wasm' }, undefined],
      stepSeconds: () => 1,
      submission: { path: '/w/submission.csv', rows: 3, images: 3, nonEmpty: 1 },
      testScore: 0.75,
      createdAt: '2026-01-01T00:00:00.000Z',
      worstCount: 2,
    });
    expect(input).toMatchObject({ title: 'exp: OOF evaluation', backend: 'wasm, unknown', oofScoreTuned: 0.5, testScore: 0.75, warnings: [{ message: 'no better than empty', fatal: false }] });
    expect(input.worst.map((w) => w.id)).toEqual(['b', 'd']);
    expect(input.folds.map((f) => f.device)).toEqual(['wasm', undefined]);
    expect(input.timings.train).toBe(30);
  });
});
