/**
 * The tune step's record, `<work>/tune/tune.json` (owner: this lib; path from @segkit/run's layout):
 * the tuned point with its curves, plus the OOF scores the report shows (overall and per fold,
 * after each stage, and the all-empty baseline) and the health warnings. Nobody else parses it.
 */
import { z } from 'zod';
import { readJsonArtifact, writeJsonArtifact } from '@segkit/io';
import { METRIC_NAMES, metricInfo, perImageScoresFromStats, thresholdStats } from '@segkit/metrics';
import { runLayout } from '@segkit/run';
import { assessHealth } from './health';
import { FullSizeTruths, fullSizeThresholdStats } from './full-size';
import { OofStats, TuneOptions, TuneScoring, tuneThreshold } from './tune';

const score = z.number().min(0).max(1);
const count = z.number().int().nonnegative();

export const tuneRecordSchema = z
  .object({
    /** The competition metric every score of the record is in (see @segkit/metrics' METRICS). */
    metric: z.enum(METRIC_NAMES),
    logitThreshold: z.number(),
    probThreshold: z.number().gt(0).lt(1),
    minArea: count,
    /** OOF score at the chosen threshold and minimum area. */
    score,
    /** OOF score at logit 0 (p = 0.5) without a minimum area. */
    scoreAtZero: score,
    curve: z.array(z.object({ probThreshold: z.number().gt(0).lt(1), logitThreshold: z.number(), score }).strict()).min(1),
    minAreaCurve: z.array(z.object({ minArea: count, score }).strict()).min(1),
    coverageBins: z.array(
      z
        .object({
          coverageClass: count,
          label: z.string(),
          count,
          // JSON has no NaN: an empty bin's mean is written as null and read back as NaN.
          meanScore: score.nullable().transform((v) => v ?? NaN),
        })
        .strict(),
    ),
    confusion: z.object({ truthEmptyPredEmpty: count, truthEmptyPredNonEmpty: count, truthNonEmptyPredEmpty: count, truthNonEmptyPredNonEmpty: count }).strict(),
    /** Per-image scores at the chosen point, in train order. */
    perImage: z.array(score),
    /** The threshold triplet's top threshold, when it differs from `logitThreshold` (then the bottom one); see triplet.ts. */
    topLogitThreshold: z.number().optional(),
    topProbThreshold: z.number().gt(0).lt(1).optional(),
    /** The empty-mask gate's threshold, when the gate is kept: an image whose gate logit is ≤ it is predicted empty (see gate.ts). */
    gateLogitThreshold: z.number().optional(),
    gateProbThreshold: z.number().gt(0).lt(1).optional(),
    /** With a gate: the best OOF score without it, and each gate threshold's score and split of empty / non-empty truths. */
    scoreWithoutGate: score.optional(),
    gateTable: z
      .array(
        z
          .object({
            logitThreshold: z.number(),
            probThreshold: z.number().gt(0).lt(1),
            score,
            truthEmptyGateEmpty: count,
            truthEmptyGateKept: count,
            truthNonEmptyGateEmpty: count,
            truthNonEmptyGateKept: count,
          })
          .strict(),
      )
      .optional(),
    /** OOF score at logit 0 (p = 0.5), no minimum area, after stage 1 and after stage 2. */
    oofScoreStage1: score,
    oofScoreStage2: score,
    perFold: z.array(z.object({ fold: count, oofScoreStage1: score, oofScoreStage2: score }).strict()),
    /** The score of predicting every mask empty: the share of train images whose truth is empty (every metric scores empty/empty 1, else 0). */
    allEmptyBaseline: score,
    /** Signs that training failed (see assessHealth). */
    warnings: z.array(
      z
        .object({
          kind: z.enum(['collapsed', 'below-baseline', 'at-baseline']),
          fold: count.optional(),
          fatal: z.boolean(),
          message: z.string(),
        })
        .strict(),
    ),
  })
  .strict();
export type TuneRecord = z.infer<typeof tuneRecordSchema>;

export interface TuneOofInput {
  /** Ensembled OOF logits after each stage, N·H·W in train order. */
  oofStage1: Float32Array;
  oofStage2: Float32Array;
  /** 0/1 truth masks, N·H·W in train order. */
  truths: Uint8Array;
  pixels: number;
  /** The fold of each train image, in train order. */
  foldOf: ArrayLike<number | undefined>;
  k: number;
  options: TuneOptions;
  /** The competition's metric and what it needs (see TuneScoring). */
  scoring: TuneScoring;
  /**
   * A resized train set (input.mode "resize"): the logits and `truths` are at the model's size,
   * and every score is computed at each image's own size against these full-size truths instead.
   */
  fullSize?: FullSizeTruths;
  /** The ensembled OOF gate logits (N,) in train order, when the models have an empty-mask gate; searched with `options.gateProbs`. */
  gate?: Float32Array;
}

/** Per-image scores at logit 0 (p = 0.5), no minimum area: one pass, reduced per fold below. */
function scoresAtZero(logits: Float32Array, statsOf: OofStats): Float64Array {
  return perImageScoresFromStats(statsOf(logits, [0]), 0);
}

function mean(values: ArrayLike<number>, pick: (i: number) => boolean = () => true): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (!pick(i)) continue;
    sum += values[i];
    n++;
  }
  return sum / n;
}

/**
 * The tune record of a run: stage 2's OOF logits tuned (see tuneThreshold), both stages scored at
 * logit 0 overall and per fold, the all-empty baseline (an all-empty prediction scores 1 exactly
 * on the images whose truth is empty) and the health warnings of assessHealth.
 */
export function tuneOof(input: TuneOofInput): TuneRecord {
  const { oofStage1, oofStage2, truths, pixels, foldOf, k } = input;
  const n = truths.length / pixels;
  if (oofStage1.length !== truths.length || oofStage2.length !== truths.length) {
    throw new Error(`OOF logits cover ${oofStage1.length / pixels} and ${oofStage2.length / pixels} images, the train set has ${n}`);
  }
  if (foldOf.length !== n) throw new Error(`foldOf has ${foldOf.length} entries for ${n} images`);
  const { scoring, fullSize } = input;
  const statsOf: OofStats = fullSize ? (l, t) => fullSizeThresholdStats(l, fullSize, t, scoring) : (l, t) => thresholdStats(l, truths, pixels, t, scoring);
  const options: TuneOptions = input.gate ? { ...input.options, gate: input.gate } : input.options;
  if (input.gate && input.gate.length !== n) throw new Error(`OOF gate logits cover ${input.gate.length} images, the train set has ${n}`);
  const result = tuneThreshold(oofStage2, truths, pixels, options, scoring, statsOf);
  const stage1 = scoresAtZero(oofStage1, statsOf);
  const stage2 = scoresAtZero(oofStage2, statsOf);
  const perFold = Array.from({ length: k }, (_, fold) => {
    const inFold = (i: number) => foldOf[i] === fold;
    if (!stage1.some((_, i) => inFold(i))) throw new Error(`fold ${fold} has no OOF images`);
    return { fold, oofScoreStage1: mean(stage1, inFold), oofScoreStage2: mean(stage2, inFold) };
  });
  const truthEmpty = result.confusion.truthEmptyPredEmpty + result.confusion.truthEmptyPredNonEmpty;
  const allEmptyBaseline = truthEmpty / n;
  return {
    ...result,
    perImage: Array.from(result.perImage),
    oofScoreStage1: mean(stage1),
    oofScoreStage2: mean(stage2),
    perFold,
    allEmptyBaseline,
    warnings: assessHealth({ oofLogits: oofStage2, pixels, foldOf, k, tunedScore: result.score, allEmptyBaseline, metricLabel: metricInfo(scoring.metric).label }),
  };
}

export function tuneRecordPath(workDir: string): string {
  return runLayout(workDir).tune.record;
}

export function writeTuneRecord(workDir: string, record: TuneRecord): void {
  writeJsonArtifact(tuneRecordPath(workDir), tuneRecordSchema, record, 'tune');
}

export function readTuneRecord(workDir: string): TuneRecord {
  return readJsonArtifact(tuneRecordPath(workDir), tuneRecordSchema, 'tune');
}
