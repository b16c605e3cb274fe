/**
 * A small hand-built `ReportInput` for tests: 2 folds of 2 images, 3x2 worst image. Every number
 * is chosen so expected outputs can be worked out by hand.
 */
import type { ReportInput } from './types';

export function handInput(): ReportInput {
  return {
    title: 'exp <b>one</b>',
    createdAt: '2026-01-02T03:04:05.000Z',
    backend: 'cpu',
    config: { name: 'exp', note: '</pre><script>alert(1)</script>', lr: 0.001 },
    timings: { train: 90, predict: 30 },
    folds: [
      {
        fold: 0,
        nTrain: 2,
        nVal: 2,
        stage1: { bestEpoch: 2, bestValMap: 0.5, epochs: 2 },
        stage2: { bestEpoch: 1, bestValMap: 0.75, epochs: 1 },
        oofMapStage1: 0.5,
        oofMapStage2: 0.75,
        history: [
          { stage: 1, epoch: 1, loss: 0.9, val_loss: 1.0, val_mAP: 0.25, lr: 0.001, seconds: 10 },
          { stage: 1, epoch: 2, loss: 0.5, val_loss: 0.6, val_mAP: 0.5, lr: 0.0005, seconds: 10 },
          { stage: 2, epoch: 1, loss: 0.8, val_loss: 0.9, val_mAP: 0.75, lr: 0.0001, seconds: 12 },
        ],
        seconds: 40,
        device: 'GPU 1',
      },
      {
        fold: 1,
        nTrain: 2,
        nVal: 2,
        stage1: { bestEpoch: 1, bestValMap: 0.5, epochs: 1 },
        stage2: { bestEpoch: 1, bestValMap: 0.25, epochs: 1 },
        oofMapStage1: 0.5,
        oofMapStage2: 0.25,
        history: [
          { stage: 1, epoch: 1, loss: 0.7, val_loss: 0.8, val_mAP: 0.5, lr: 0.001, seconds: 10 },
          { stage: 2, epoch: 1, loss: 0.6, val_loss: 0.7, val_mAP: 0.25, lr: 0.0001, seconds: 12 },
        ],
        seconds: 50,
      },
    ],
    oofMapStage1: 0.5,
    oofMapStage2: 0.625,
    oofMapTuned: 0.75,
    allEmptyBaseline: 0.25,
    logitThreshold: 0,
    probThreshold: 0.5,
    minArea: 10,
    thresholdCurve: [
      { probThreshold: 0.25, logitThreshold: Math.log(1 / 3), map: 0.5 },
      { probThreshold: 0.5, logitThreshold: 0, map: 0.625 },
      { probThreshold: 0.75, logitThreshold: Math.log(3), map: 0.375 },
    ],
    minAreaCurve: [
      { minArea: 0, map: 0.625 },
      { minArea: 10, map: 0.75 },
    ],
    coverageBins: [
      { label: 'empty', count: 1, map: 1 },
      { label: '(0,10%]', count: 3, map: 0.5 },
    ],
    confusion: { truthEmptyPredEmpty: 1, truthEmptyPredNonEmpty: 0, truthNonEmptyPredEmpty: 1, truthNonEmptyPredNonEmpty: 2 },
    worst: [
      {
        id: '<script>x</script>',
        score: 0,
        iou: 0.25,
        height: 3,
        width: 2,
        image: Uint8Array.from([0, 50, 100, 150, 200, 250]),
        truth: Uint8Array.from([1, 1, 1, 1, 0, 0]),
        pred: Uint8Array.from([0, 1, 0, 0, 0, 0]),
      },
    ],
    submission: { path: 'runs/a&b/submission.csv', rows: 10, nonEmpty: 4 },
  };
}
