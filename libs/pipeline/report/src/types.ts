/**
 * The report's input contract: everything the pipeline knows at its end, as plain data. The
 * pipeline fills it in; this lib only validates, summarises and renders it.
 */

import type { EpochRow } from '@tgs/train';

/** One epoch of training for one fold, as logged by the trainer (epochs 1-based). */
export type { EpochRow };

/** Per-stage outcome of one fold's training. */
export interface StageResult {
  bestEpoch: number;
  bestValMap: number;
  epochs: number;
}

/** One fold of cross-validation. */
export interface FoldResult {
  fold: number;
  nTrain: number;
  nVal: number;
  stage1: StageResult;
  stage2: StageResult;
  /** This fold's validation mAP at logit 0 after stage 1. */
  oofMapStage1: number;
  /** This fold's validation mAP at logit 0 after stage 2. */
  oofMapStage2: number;
  /** Both stages, in training order. */
  history: EpochRow[];
  seconds: number;
  /** Where the fold trained, e.g. "GPU 1" or the backend name; absent in reports of older runs. */
  device?: string;
}

/** One point of the threshold sweep; `logitThreshold = log(p / (1 - p))`. */
export interface ThresholdPoint {
  probThreshold: number;
  logitThreshold: number;
  map: number;
}

/**
 * One of the worst out-of-fold images at the chosen threshold. `image` is 0..255 luminance,
 * `truth` and `pred` are 0/1 masks; all row-major with `height * width` entries.
 */
export interface WorstImage {
  id: string;
  /** The competition's per-image score: mean over IoU thresholds 0.5..0.95 of [IoU > t]. */
  score: number;
  iou: number;
  height: number;
  width: number;
  image: Uint8Array;
  truth: Uint8Array;
  pred: Uint8Array;
}

export interface MinAreaPoint {
  minArea: number;
  map: number;
}

export interface CoverageBin {
  /** e.g. 'empty', '(0%, 10%]'. */
  label: string;
  count: number;
  /** Mean per-image score of the bin's images; NaN is accepted when `count` is 0 (no images, no mean). */
  map: number;
}

/** Empty / non-empty agreement between truth and prediction over all OOF images. */
export interface EmptyConfusion {
  truthEmptyPredEmpty: number;
  truthEmptyPredNonEmpty: number;
  truthNonEmptyPredEmpty: number;
  truthNonEmptyPredNonEmpty: number;
}

export interface SubmissionInfo {
  path: string;
  rows: number;
  nonEmpty: number;
}

export interface ReportInput {
  /** e.g. the experiment name. */
  title: string;
  /** ISO time. */
  createdAt: string;
  /** e.g. "wasm (XNNPACK + training kernels)". */
  backend: string;
  /** The full parsed config, shown as JSON. */
  config: unknown;
  /** Seconds per step: train, predict, ensemble, tune, submit, ... */
  timings: Record<string, number>;
  folds: FoldResult[];
  /** Overall OOF mAP (all folds' validation images) at logit 0 after stage 1. */
  oofMapStage1: number;
  /** Same after stage 2 (at logit 0). */
  oofMapStage2: number;
  /** After threshold + min-area tuning on the OOF predictions (optimistic: tuned on the same data). */
  oofMapTuned: number;
  /** mAP of predicting every mask empty. */
  allEmptyBaseline: number;
  /**
   * Signs that training failed (collapsed predictions, a score below the all-empty baseline),
   * shown at the top of the report; `fatal` ones make the submission worthless.
   */
  warnings?: { message: string; fatal: boolean }[];
  logitThreshold: number;
  probThreshold: number;
  minArea: number;
  /** The sweep (coarse grid + fine search); the chosen point is `probThreshold`. */
  thresholdCurve: ThresholdPoint[];
  /** At the chosen threshold. */
  minAreaCurve: MinAreaPoint[];
  coverageBins: CoverageBin[];
  confusion: EmptyConfusion;
  /** e.g. the 12 worst OOF images at the chosen threshold. */
  worst: WorstImage[];
  submission: SubmissionInfo;
  /**
   * The submission scored against known test masks, when there are any (the built-in synthetic
   * competition keeps them outside the data folder); absent for a real competition.
   */
  testMap?: number;
}
