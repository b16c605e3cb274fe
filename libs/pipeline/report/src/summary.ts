import type { EpochRow } from '@tgs/train';
import type { ReportInput } from './types';
import { validateReportInput } from './validate';

/** One fold in `summary.json`. */
export interface FoldSummary {
  fold: number;
  n_train: number;
  n_val: number;
  oof_mAP_stage1: number;
  oof_mAP_stage2: number;
  best_epoch_stage1: number;
  best_epoch_stage2: number;
  best_val_mAP_stage1: number;
  best_val_mAP_stage2: number;
  epochs_stage1: number;
  epochs_stage2: number;
  seconds: number;
  /** Where the fold trained ("GPU 1", "wasm", ...); null when not recorded. */
  device: string | null;
  /** Both stages' epochs, as in the trainer's log.jsonl (a diverged loss is null). */
  curve: EpochRow[];
}

/**
 * The machine-readable result of a run (`summary.json`): snake_case keys, numbers as numbers, no
 * images. Meant to be diffed and compared across runs.
 */
export interface Summary {
  title: string;
  created_at: string;
  backend: string;
  oof_mAP_stage1: number;
  oof_mAP_stage2: number;
  /** oof_mAP_stage2 - oof_mAP_stage1: what stage 2 (Lovász fine-tuning) bought. */
  stage2_delta: number;
  /** Number of folds whose validation mAP rose in stage 2. */
  folds_improved_by_stage2: number;
  oof_mAP_tuned: number;
  all_empty_baseline: number;
  /** Signs that training failed (see ReportInput.warnings); empty for a healthy run. */
  warnings: string[];
  /** True when a warning makes the submission worthless (worse than an empty one, or ignoring its input). */
  worthless: boolean;
  /** The submission's mAP against known test masks; null when the test truth is unknown. */
  test_mAP: number | null;
  logit_threshold: number;
  prob_threshold: number;
  min_area: number;
  timings: Record<string, number>;
  total_seconds: number;
  folds: FoldSummary[];
  /** `mAP` is null for a bin without images. */
  coverage_bins: { label: string; count: number; mAP: number | null }[];
  confusion: {
    truth_empty_pred_empty: number;
    truth_empty_pred_non_empty: number;
    truth_non_empty_pred_empty: number;
    truth_non_empty_pred_non_empty: number;
  };
  worst: { id: string; score: number; iou: number }[];
  submission: { path: string; rows: number; non_empty: number };
}

/** The content of `summary.json`. Validates first (throws `ReportInputError`). */
export function buildSummary(input: ReportInput): Summary {
  validateReportInput(input);
  const c = input.confusion;
  return {
    title: input.title,
    created_at: input.createdAt,
    backend: input.backend,
    oof_mAP_stage1: input.oofMapStage1,
    oof_mAP_stage2: input.oofMapStage2,
    stage2_delta: input.oofMapStage2 - input.oofMapStage1,
    folds_improved_by_stage2: input.folds.filter((f) => f.oofMapStage2 > f.oofMapStage1).length,
    oof_mAP_tuned: input.oofMapTuned,
    all_empty_baseline: input.allEmptyBaseline,
    warnings: (input.warnings ?? []).map((w) => w.message),
    worthless: (input.warnings ?? []).some((w) => w.fatal),
    test_mAP: input.testMap ?? null,
    logit_threshold: input.logitThreshold,
    prob_threshold: input.probThreshold,
    min_area: input.minArea,
    timings: { ...input.timings },
    total_seconds: Object.values(input.timings).reduce((s, t) => s + t, 0),
    folds: input.folds.map((f) => ({
      fold: f.fold,
      n_train: f.nTrain,
      n_val: f.nVal,
      oof_mAP_stage1: f.oofMapStage1,
      oof_mAP_stage2: f.oofMapStage2,
      best_epoch_stage1: f.stage1.bestEpoch,
      best_epoch_stage2: f.stage2.bestEpoch,
      best_val_mAP_stage1: f.stage1.bestValMap,
      best_val_mAP_stage2: f.stage2.bestValMap,
      epochs_stage1: f.stage1.epochs,
      epochs_stage2: f.stage2.epochs,
      seconds: f.seconds,
      device: f.device ?? null,
      curve: f.history.map((r) => ({ ...r })),
    })),
    coverage_bins: input.coverageBins.map((b) => ({ label: b.label, count: b.count, mAP: b.count === 0 ? null : b.map })),
    confusion: {
      truth_empty_pred_empty: c.truthEmptyPredEmpty,
      truth_empty_pred_non_empty: c.truthEmptyPredNonEmpty,
      truth_non_empty_pred_empty: c.truthNonEmptyPredEmpty,
      truth_non_empty_pred_non_empty: c.truthNonEmptyPredNonEmpty,
    },
    worst: input.worst.map((w) => ({ id: w.id, score: w.score, iou: w.iou })),
    submission: { path: input.submission.path, rows: input.submission.rows, non_empty: input.submission.nonEmpty },
  };
}
