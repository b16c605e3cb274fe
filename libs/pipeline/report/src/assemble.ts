/**
 * The report's input, assembled from what the run's owners hand over (each already read and
 * validated by its owner's reader): the folds' training results (@segkit/train), the tune record
 * (@segkit/tune), the ensembled OOF logits (@segkit/ensemble), the submission summary (@segkit/submit) and
 * the step timings and devices (@segkit/run).
 */
import type { TrainSet } from '@segkit/data';
import { iou, thresholdStats } from '@segkit/metrics';
import { binarize, SubmissionSummary } from '@segkit/submit';
import type { FoldTrainResult } from '@segkit/train';
import type { TuneRecord } from '@segkit/tune';
import type { FoldResult, FoldSplit, PseudoRound, ReportInput, WorstImage } from './types';

/** Where a fold trained: the backend description and, on a multi-GPU machine, its device. */
export interface FoldDevice {
  backend: string;
  device?: string;
}

export interface AssembleInput {
  /** The experiment's name, the report's title. */
  name: string;
  /** The full parsed config, shown as JSON. */
  config: unknown;
  /** The train set the folds were trained on, in the order of the OOF logits. */
  train: Pick<TrainSet, 'ids' | 'images' | 'masks' | 'height' | 'width' | 'channels'>;
  tuned: TuneRecord;
  /** Stage 2's ensembled OOF logits, N·H·W in train order (what the record was tuned on). */
  oofLogits: Float32Array;
  /** Every fold's training result, in fold order. */
  folds: FoldTrainResult[];
  /** Where each fold trained, by fold; undefined where not recorded. */
  devices: (FoldDevice | undefined)[];
  /** Seconds of work a step recorded (`data`, `predict-fold-0`, ...); 0 for none. */
  stepSeconds: (step: string) => number;
  submission: SubmissionSummary;
  /** Every pseudo-label round, round 0 first, when the run had any. */
  rounds?: PseudoRound[];
  /** How the folds were split (shown under the folds table). */
  split?: FoldSplit;
  /** The submission scored against known test masks, when there are any. */
  testScore?: number;
  /** The TTA pairs behind each stage's OOF logits (the folds' prediction metadata), when known. */
  oofTta?: { stage1: string[]; stage2: string[] };
  /** How the model read the images and the decoded cache's size per split (see ReportInput.dataCache). */
  dataCache?: { input: string; trainBytes: number; testBytes: number };
  /** The run's bundle relative to the report's folder (`../bundle`) when it is beside the report. */
  demoBundle?: string;
  /** How many of the worst OOF images to show (default 12). */
  worstCount?: number;
  /** ISO time (default now). */
  createdAt?: string;
}

/**
 * The `count` OOF images with the lowest score at the tuned point (ties by train order), with
 * their image, truth and predicted mask and the prediction's IoU with the truth.
 */
export function worstImages(oofLogits: Float32Array, train: AssembleInput['train'], tuned: Pick<TuneRecord, 'perImage' | 'logitThreshold' | 'minArea' | 'topLogitThreshold'>, count: number): WorstImage[] {
  const pixels = train.height * train.width;
  const channels = train.channels ?? 1;
  const order = tuned.perImage.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return order.slice(0, count).map(([score, i]) => {
    const logits = oofLogits.subarray(i * pixels, (i + 1) * pixels);
    const truth = train.masks.slice(i * pixels, (i + 1) * pixels);
    const pred = new Uint8Array(pixels);
    const predArea = binarize(logits, tuned.logitThreshold, tuned.minArea, pred, tuned.topLogitThreshold);
    const stats = thresholdStats(logits, truth, pixels, [tuned.logitThreshold]);
    // binarize empties a mask below the minimum area; its intersection goes with it.
    const intersection = predArea === 0 ? 0 : stats.intersection[0];
    return {
      id: train.ids[i],
      score,
      iou: iou(intersection, predArea, stats.truthArea[0]),
      height: train.height,
      width: train.width,
      image: train.images.slice(i * pixels * channels, (i + 1) * pixels * channels),
      ...(channels === 3 ? { channels } : {}),
      truth,
      pred,
    };
  });
}

/**
 * Seconds of work per step. Train and predict are summed over folds (folds run in parallel, so
 * the wall time is less); training's comes from the folds' results.
 */
export function stepTimings(folds: readonly Pick<FoldTrainResult, 'fold' | 'seconds'>[], stepSeconds: (step: string) => number): Record<string, number> {
  return {
    data: stepSeconds('data'),
    folds: stepSeconds('folds'),
    train: folds.reduce((s, f) => s + f.seconds, 0),
    predict: folds.reduce((s, f) => s + stepSeconds(`predict-fold-${f.fold}`), 0),
    ensemble: stepSeconds('ensemble'),
    tune: stepSeconds('tune'),
    submit: stepSeconds('submit'),
  };
}

/** One row of the folds table: the fold's training result next to its OOF scores from the tune record. */
export function foldRow(f: FoldTrainResult, tuned: Pick<TuneRecord, 'perFold'>, device: FoldDevice | undefined): FoldResult {
  const pf = tuned.perFold.find((p) => p.fold === f.fold);
  if (!pf) throw new Error(`the tune record has no OOF scores for fold ${f.fold}: it was tuned with other folds`);
  const stage = (s: FoldTrainResult['stage1']) => ({ bestEpoch: s.bestEpoch, bestValScore: s.bestValScore, epochs: s.epochs, ...(s.averaged ? { averaged: s.averaged } : {}) });
  return {
    fold: f.fold,
    nTrain: f.nTrain,
    nVal: f.nVal,
    stage1: stage(f.stage1),
    stage2: stage(f.stage2),
    oofScoreStage1: pf.oofScoreStage1,
    oofScoreStage2: pf.oofScoreStage2,
    history: [...f.stage1.history, ...f.stage2.history],
    seconds: f.seconds,
    device: device?.device ?? device?.backend,
  };
}

export function assembleReport(input: AssembleInput): ReportInput {
  const { tuned } = input;
  const backends = input.folds.map((f) => input.devices[f.fold]?.backend ?? 'unknown');
  return {
    title: `${input.name}: OOF evaluation`,
    createdAt: input.createdAt ?? new Date().toISOString(),
    backend: [...new Set(backends)].join(', '),
    config: input.config,
    ...(input.demoBundle === undefined ? {} : { demoBundle: input.demoBundle }),
    timings: stepTimings(input.folds, input.stepSeconds),
    folds: input.folds.map((f) => foldRow(f, tuned, input.devices[f.fold])),
    metric: tuned.metric,
    ...(input.oofTta === undefined ? {} : { oofTta: input.oofTta }),
    oofScoreStage1: tuned.oofScoreStage1,
    oofScoreStage2: tuned.oofScoreStage2,
    oofScoreTuned: tuned.score,
    allEmptyBaseline: tuned.allEmptyBaseline,
    warnings: tuned.warnings.map((w) => ({ message: w.message, fatal: w.fatal })),
    logitThreshold: tuned.logitThreshold,
    probThreshold: tuned.probThreshold,
    ...(tuned.topProbThreshold === undefined ? {} : { topProbThreshold: tuned.topProbThreshold }),
    ...(tuned.gateTable === undefined || tuned.scoreWithoutGate === undefined
      ? {}
      : { gate: { ...(tuned.gateProbThreshold === undefined ? {} : { probThreshold: tuned.gateProbThreshold }), scoreWithoutGate: tuned.scoreWithoutGate, table: tuned.gateTable } }),
    minArea: tuned.minArea,
    thresholdCurve: tuned.curve,
    minAreaCurve: tuned.minAreaCurve,
    coverageBins: tuned.coverageBins,
    confusion: tuned.confusion,
    worst: worstImages(input.oofLogits, input.train, tuned, input.worstCount ?? 12),
    submission: input.submission,
    ...(input.rounds && input.rounds.length > 0 ? { rounds: input.rounds } : {}),
    ...(input.split ? { split: input.split } : {}),
    testScore: input.testScore,
    ...(input.dataCache ? { dataCache: input.dataCache } : {}),
  };
}
