/**
 * The report's input contract: everything the pipeline knows at its end, as plain data, typed by
 * the libs that own each part (train, tune, metrics, submit). `assembleReport` fills it in from
 * the owners' validated artifacts; this lib summarises and renders it.
 */
import type { CoverageBin, EmptyConfusion, MetricName } from '@segkit/metrics';
import type { SubmissionSummary } from '@segkit/submit';
import type { EpochRow, FoldTrainResult, StageResult } from '@segkit/train';
import type { HealthWarning, ThresholdPoint, TuneResult } from '@segkit/tune';

export type { CoverageBin, EmptyConfusion, EpochRow, SubmissionSummary, ThresholdPoint };

/** What the report shows of one stage of one fold. */
export type StageSummary = Pick<StageResult, 'bestEpoch' | 'bestValScore' | 'epochs' | 'averaged'>;

/** One fold of cross-validation: its training result and its OOF scores from the tune record. */
export interface FoldResult extends Pick<FoldTrainResult, 'fold' | 'nTrain' | 'nVal' | 'seconds'> {
  stage1: StageSummary;
  stage2: StageSummary;
  /** This fold's validation score (the report's metric) at logit 0 after stage 1. */
  oofScoreStage1: number;
  /** This fold's validation score at logit 0 after stage 2. */
  oofScoreStage2: number;
  /** Both stages, in training order. */
  history: EpochRow[];
  /** Where the fold trained, e.g. "GPU 1" or the backend name; absent when not recorded. */
  device?: string;
}

/** One point of the min-area sweep. */
export type MinAreaPoint = TuneResult['minAreaCurve'][number];

/**
 * One of the worst out-of-fold images at the chosen threshold. `image` is 0..255 luminance,
 * `truth` and `pred` are 0/1 masks; all row-major with `height * width` entries.
 */
export interface WorstImage {
  id: string;
  /** The competition's per-image score (the report's metric). */
  score: number;
  iou: number;
  height: number;
  width: number;
  /** The image's bytes, H·W·channels: luminance, or RGB interleaved when `channels` is 3. */
  image: Uint8Array;
  channels?: 1 | 3;
  truth: Uint8Array;
  pred: Uint8Array;
}

/** One pseudo-label round (@segkit/pseudo): how many test images it added and the OOF score its ensemble reached. */
export interface PseudoRound {
  /** 0: the run without pseudo-labels. */
  round: number;
  /** Pseudo-labelled test images its folds trained on besides the train images (0 in round 0). */
  pseudoLabels: number;
  /** Its ensembled stage-2 OOF score, tuned as the tune step tunes (threshold and min area on the same OOF). */
  oofScore: number;
  /** The same at logit 0 (p = 0.5) without a minimum area. */
  oofScoreAtZero: number;
}

/** How the folds were split: the folds step's settings and, when ids were grouped, the groups found. */
export interface FoldSplit {
  k: number;
  seed: number;
  /** What each fold is balanced on: `coverage` (mask-coverage classes) or `depth` (depth quantiles). */
  stratify: 'coverage' | 'depth';
  /** The id pattern (folds.groupBy, else the layout's) whose groups stay in one fold; absent: every image on its own. */
  groupBy?: string;
  /** The number of groups it found among the train ids. */
  groups?: number;
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
  /** The competition metric every OOF and test score here is in (see @segkit/metrics' METRICS). */
  metric: MetricName;
  /**
   * The TTA pairs behind each stage's OOF logits (the predict step's metadata, every fold's):
   * stage 1's are training's own validation logits (`identity`, no TTA), stage 2's and the tuned
   * score's come from predict (`identity`, `hflip` with predict.hflipTta). Absent when not known.
   */
  oofTta?: { stage1: string[]; stage2: string[] };
  /** Overall OOF score (all folds' validation images) at logit 0 after stage 1. */
  oofScoreStage1: number;
  /** Same after stage 2 (at logit 0). */
  oofScoreStage2: number;
  /** After threshold + min-area tuning on the OOF predictions (optimistic: tuned on the same data). */
  oofScoreTuned: number;
  /** The score of predicting every mask empty. */
  allEmptyBaseline: number;
  /**
   * Signs that training failed (collapsed predictions, a score below the all-empty baseline),
   * shown at the top of the report; `fatal` ones make the submission worthless.
   */
  warnings?: Pick<HealthWarning, 'message' | 'fatal'>[];
  logitThreshold: number;
  probThreshold: number;
  /** The threshold triplet's top threshold (probability), when the tuned point has one. */
  topProbThreshold?: number;
  /**
   * The empty-mask gate, when the models have one (from the tune record): its tuned threshold
   * (probability) when kept, the best OOF score without it and each gate threshold's table row.
   */
  gate?: { probThreshold?: number; scoreWithoutGate: number; table: NonNullable<TuneResult['gateTable']> };
  minArea: number;
  /** The run's bundle, relative to the report's folder, when it is beside the report: the report links to its browser demo. */
  demoBundle?: string;
  /** The sweep (coarse grid + fine search); the chosen point is `probThreshold`. */
  thresholdCurve: ThresholdPoint[];
  /** At the chosen threshold. */
  minAreaCurve: MinAreaPoint[];
  /** Coverage classes of the truth with the mean score of their images (NaN for an empty bin). */
  coverageBins: CoverageBin[];
  confusion: EmptyConfusion;
  /** e.g. the 12 worst OOF images at the chosen threshold. */
  worst: WorstImage[];
  submission: SubmissionSummary;
  /** Every pseudo-label round, round 0 first, when the run had any (`pseudo.rounds` > 0); the last is the one submitted. */
  rounds?: PseudoRound[];
  /** How the train images were split into folds, shown under the folds table and in summary.json's `folds_split`. */
  split?: FoldSplit;
  /**
   * The submission scored against known test masks, when there are any (the built-in synthetic
   * competition keeps them outside the data folder); absent for a real competition.
   */
  testScore?: number;
  /** How the model read the images (`input` settings, e.g. "resized to 64×64") and the decoded cache's size in bytes, per split. */
  dataCache?: { input: string; trainBytes: number; testBytes: number };
}
