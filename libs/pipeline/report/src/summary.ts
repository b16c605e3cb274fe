import { z } from 'zod';
import { METRIC_NAMES } from '@segkit/metrics';
import { readJsonArtifact } from '@segkit/io';
import { runLayout } from '@segkit/run';
import type { ReportInput } from './types';

const score = z.number().min(0).max(1);
const count = z.number().int().nonnegative();
/** A number JSON may hold as null (a diverged loss: JSON has no NaN). */
const numberOrNull = z.number().nullable();

/** One epoch of a fold's curve, as in the trainer's log.jsonl (a diverged loss is null). */
const curveRowSchema = z
  .object({ epoch: z.number().int().positive(), stage: z.union([z.literal(1), z.literal(2)]), loss: numberOrNull, val_loss: numberOrNull, val_score: score, lr: z.number().nonnegative(), seconds: z.number().nonnegative() })
  .strict();

/** One fold in `summary.json`. */
const foldSummarySchema = z
  .object({
    fold: count,
    n_train: count,
    n_val: count,
    oof_score_stage1: score,
    oof_score_stage2: score,
    best_epoch_stage1: count,
    best_epoch_stage2: count,
    best_val_score_stage1: score,
    best_val_score_stage2: score,
    epochs_stage1: count,
    epochs_stage2: count,
    seconds: z.number().nonnegative(),
    /** Where the fold trained ("GPU 1", "wasm", ...); null when not recorded. */
    device: z.string().nullable(),
    /** Both stages' epochs. */
    curve: z.array(curveRowSchema),
  })
  .strict();
export type FoldSummary = z.infer<typeof foldSummarySchema>;

/**
 * The machine-readable result of a run (`report/summary.json`): snake_case keys (the training
 * curves' own names, `val_score`, as in the training logs), numbers as numbers, no images. Meant to
 * be diffed and compared across runs; `metric` names what `oof_score_*`, `test_score`, the folds'
 * `best_val_score_stage*` and curves' `val_score`, and the coverage bins' `score` measure.
 */
export const summarySchema = z
  .object({
    title: z.string(),
    created_at: z.string(),
    backend: z.string(),
    /** The competition metric of every OOF and test score here (tgs-map, dice, f2-objects). */
    metric: z.enum(METRIC_NAMES),
    oof_score_stage1: score,
    oof_score_stage2: score,
    /** oof_score_stage2 - oof_score_stage1: what stage 2 (Lovász fine-tuning) bought. */
    stage2_delta: z.number().min(-1).max(1),
    /** Number of folds whose validation score rose in stage 2. */
    folds_improved_by_stage2: count,
    oof_score_tuned: score,
    /** The TTA pairs behind oof_score_stage1 and behind oof_score_stage2 / oof_score_tuned (`identity` alone: no TTA). */
    oof_tta: z.object({ stage1: z.array(z.string()), stage2: z.array(z.string()) }).strict().optional(),
    all_empty_baseline: score,
    /** Signs that training failed (see the tune record's warnings); empty for a healthy run. */
    warnings: z.array(z.string()),
    /** True when a warning makes the submission worthless (worse than an empty one, or ignoring its input). */
    worthless: z.boolean(),
    /** The submission's score against known test masks; null when the test truth is unknown. */
    test_score: score.nullable(),
    logit_threshold: z.number(),
    prob_threshold: z.number().gt(0).lt(1),
    min_area: count,
    timings: z.record(z.number().nonnegative()),
    total_seconds: z.number().nonnegative(),
    folds: z.array(foldSummarySchema),
    /** `score` is null for a bin without images. */
    coverage_bins: z.array(z.object({ label: z.string(), count, score: score.nullable() }).strict()),
    confusion: z.object({ truth_empty_pred_empty: count, truth_empty_pred_non_empty: count, truth_non_empty_pred_empty: count, truth_non_empty_pred_non_empty: count }).strict(),
    worst: z.array(z.object({ id: z.string(), score, iou: score }).strict()),
    submission: z.object({ path: z.string(), rows: count, images: count, non_empty: count }).strict(),
    /** Every pseudo-label round (round 0 first), when the run had any: the test images it added and its ensembled OOF scores. */
    /** The model's input (e.g. "resized to 64×64") and the decoded cache's size in bytes per split, when recorded. */
    data_cache: z.object({ input: z.string(), train_bytes: count, test_bytes: count }).strict().optional(),
    /** How the folds were split: folds.k, folds.seed, folds.stratify, the id pattern kept whole (null: none) and its groups. */
    folds_split: z
      .object({ k: count, seed: z.number().int(), stratify: z.enum(['coverage', 'depth']), group_by: z.string().nullable(), groups: count.nullable() })
      .strict()
      .optional(),
    pseudo_rounds: z.array(z.object({ round: count, pseudo_labels: count, oof_score: score, oof_score_at_zero: score }).strict()).optional(),
  })
  .strict();
export type Summary = z.infer<typeof summarySchema>;

/** The report's files under a work directory: `index.html`, `summary.json`, `curves.csv`. */
export function reportPaths(workDir: string) {
  return runLayout(workDir).report;
}

/** A report's `summary.json` (in the work directory or in a copy of the report folder), validated. */
export function readSummary(path: string): Summary {
  return readJsonArtifact(path, summarySchema, 'report');
}

/** The content of `summary.json` (NaN losses of a diverged run are written as null by JSON). */
export function buildSummary(input: ReportInput): Summary {
  const c = input.confusion;
  return {
    title: input.title,
    created_at: input.createdAt,
    backend: input.backend,
    metric: input.metric,
    oof_score_stage1: input.oofScoreStage1,
    oof_score_stage2: input.oofScoreStage2,
    stage2_delta: input.oofScoreStage2 - input.oofScoreStage1,
    folds_improved_by_stage2: input.folds.filter((f) => f.oofScoreStage2 > f.oofScoreStage1).length,
    oof_score_tuned: input.oofScoreTuned,
    ...(input.oofTta ? { oof_tta: { stage1: [...input.oofTta.stage1], stage2: [...input.oofTta.stage2] } } : {}),
    all_empty_baseline: input.allEmptyBaseline,
    warnings: (input.warnings ?? []).map((w) => w.message),
    worthless: (input.warnings ?? []).some((w) => w.fatal),
    test_score: input.testScore ?? null,
    logit_threshold: input.logitThreshold,
    prob_threshold: input.probThreshold,
    min_area: input.minArea,
    timings: { ...input.timings },
    total_seconds: Object.values(input.timings).reduce((s, t) => s + t, 0),
    folds: input.folds.map((f) => ({
      fold: f.fold,
      n_train: f.nTrain,
      n_val: f.nVal,
      oof_score_stage1: f.oofScoreStage1,
      oof_score_stage2: f.oofScoreStage2,
      best_epoch_stage1: f.stage1.bestEpoch,
      best_epoch_stage2: f.stage2.bestEpoch,
      best_val_score_stage1: f.stage1.bestValScore,
      best_val_score_stage2: f.stage2.bestValScore,
      epochs_stage1: f.stage1.epochs,
      epochs_stage2: f.stage2.epochs,
      seconds: f.seconds,
      device: f.device ?? null,
      curve: f.history.map((r) => ({ ...r })),
    })),
    coverage_bins: input.coverageBins.map((b) => ({ label: b.label, count: b.count, score: b.count === 0 ? null : b.meanScore })),
    confusion: {
      truth_empty_pred_empty: c.truthEmptyPredEmpty,
      truth_empty_pred_non_empty: c.truthEmptyPredNonEmpty,
      truth_non_empty_pred_empty: c.truthNonEmptyPredEmpty,
      truth_non_empty_pred_non_empty: c.truthNonEmptyPredNonEmpty,
    },
    worst: input.worst.map((w) => ({ id: w.id, score: w.score, iou: w.iou })),
    submission: { path: input.submission.path, rows: input.submission.rows, images: input.submission.images, non_empty: input.submission.nonEmpty },
    ...(input.dataCache ? { data_cache: { input: input.dataCache.input, train_bytes: input.dataCache.trainBytes, test_bytes: input.dataCache.testBytes } } : {}),
    ...(input.split
      ? { folds_split: { k: input.split.k, seed: input.split.seed, stratify: input.split.stratify, group_by: input.split.groupBy ?? null, groups: input.split.groups ?? null } }
      : {}),
    ...(input.rounds && input.rounds.length > 0
      ? { pseudo_rounds: input.rounds.map((r) => ({ round: r.round, pseudo_labels: r.pseudoLabels, oof_score: r.oofScore, oof_score_at_zero: r.oofScoreAtZero })) }
      : {}),
  };
}
