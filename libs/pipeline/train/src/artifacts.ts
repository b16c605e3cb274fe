/**
 * The files @segkit/train owns under a fold folder (paths from @segkit/run's layout), their writers and
 * their validating readers: each stage's fingerprint and result (`done.json`), its training curve,
 * and the fold's `result.json` and `fingerprint.json`. Nobody else parses them; a damaged,
 * truncated or foreign file is a UserError naming the file and the field.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { atomicWriteFile, readJsonArtifact, readNpy, requireArtifact, UserError, writeJsonArtifact, writeNpy } from '@segkit/io';
import { METRIC_NAMES } from '@segkit/metrics';
import { foldLayoutAt, Stage, stageLayout } from '@segkit/run';

const stageNumber = z.union([z.literal(1), z.literal(2)]);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha-256 in hex');

/**
 * One epoch of a training curve. The same names, in this order, are the columns of `log.csv`,
 * the keys of `log.jsonl` and `summary.json`, and the words of the console line.
 */
export const epochRowSchema = z
  .object({
    /** 1-based. */
    epoch: z.number().int().positive(),
    stage: stageNumber,
    loss: z.number(),
    val_loss: z.number(),
    val_score: z.number().min(0).max(1),
    lr: z.number().nonnegative(),
    seconds: z.number().nonnegative(),
  })
  .strict();
export type EpochRow = z.infer<typeof epochRowSchema>;

export const stageResultSchema = z
  .object({
    stage: stageNumber,
    /** The competition metric every validation score of the stage is in (`val_score`, `bestValScore`); absent in results from before it was recorded, which scored TGS mAP. */
    metric: z.enum(METRIC_NAMES).optional(),
    /** 1-based epoch of the kept weights; 0 in stage 2 when no epoch beat stage 1's best (its weights are kept). */
    bestEpoch: z.number().int().nonnegative(),
    bestValScore: z.number().min(0).max(1),
    epochs: z.number().int().nonnegative(),
    history: z.array(epochRowSchema),
    seconds: z.number().nonnegative(),
    /**
     * The stage's averaged model (`averaged/`), when its settings ask for one: it is the stage's
     * output (stage 2 starts from stage 1's, predict uses stage 2's). Validation score at p = 0.5 of
     * it, beside the best epoch's (`bestValScore`) and, when the stage kept cosine snapshots, of their
     * logit-mean ensemble.
     */
    averaged: z
      .object({
        kind: z.enum(['ema', 'swa']),
        /** SWA: the epochs averaged; EMA: the optimizer steps folded in. */
        members: z.number().int().positive(),
        valScore: z.number().min(0).max(1),
        snapshotsValScore: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /**
     * The stage's output model's validation logits from training's own validation pass (no TTA),
     * `val-logits.npy`: its number of images and the file's sha-256. Absent in stages that kept no
     * model of their own (stage 2 when no epoch beat stage 1) and in folds trained before it was kept.
     */
    valLogits: z.object({ n: z.number().int().positive(), sha256 }).strict().optional(),
  })
  .strict();
export type StageResult = z.infer<typeof stageResultSchema>;

export const foldTrainResultSchema = z
  .object({
    fold: z.number().int().nonnegative(),
    nTrain: z.number().int().nonnegative(),
    nVal: z.number().int().positive(),
    stage1: stageResultSchema,
    stage2: stageResultSchema,
    seconds: z.number().nonnegative(),
    /** What the fold's final (stage-2) weights were trained from; see stageFingerprint. */
    fingerprint: sha256,
  })
  .strict();
export type FoldTrainResult = z.infer<typeof foldTrainResultSchema>;

const fingerprintSchema = z.object({ fingerprint: sha256 }).strict();

const producer = (foldDir: string) => `train step (${foldLayoutAt(foldDir).dir})`;

/** The fold's training result, validated. */
export function readFoldResult(foldDir: string): FoldTrainResult {
  return readJsonArtifact(foldLayoutAt(foldDir).result, foldTrainResultSchema, producer(foldDir));
}

/**
 * Writes the fold's result, then its `fingerprint.json` (what its final weights were trained from;
 * the file the predict step's Nx inputs and prediction fingerprint follow).
 */
export function writeFoldResult(foldDir: string, result: FoldTrainResult): void {
  const layout = foldLayoutAt(foldDir);
  writeJsonArtifact(layout.result, foldTrainResultSchema, result, producer(foldDir));
  writeJsonArtifact(layout.fingerprint, fingerprintSchema, { fingerprint: result.fingerprint }, producer(foldDir));
}

/** The fingerprint of the fold's trained weights (see writeFoldResult); a UserError when the fold is not trained. */
export function readWeightsFingerprint(foldDir: string): string {
  return readJsonArtifact(foldLayoutAt(foldDir).fingerprint, fingerprintSchema, producer(foldDir)).fingerprint;
}

/** The fingerprint a stage folder was claimed with, or undefined when it has none. */
export function readStageFingerprint(foldDir: string, stage: Stage): string | undefined {
  const path = stageLayout(foldDir, stage).fingerprint;
  return existsSync(path) ? readJsonArtifact(path, fingerprintSchema, producer(foldDir)).fingerprint : undefined;
}

export function writeStageFingerprint(foldDir: string, stage: Stage, fingerprint: string): void {
  writeJsonArtifact(stageLayout(foldDir, stage).fingerprint, fingerprintSchema, { fingerprint }, producer(foldDir));
}

/** A finished stage's result, or undefined while the stage has not finished. */
export function readStageDone(foldDir: string, stage: Stage): StageResult | undefined {
  const path = stageLayout(foldDir, stage).done;
  return existsSync(path) ? readJsonArtifact(path, stageResultSchema, producer(foldDir)) : undefined;
}

export function writeStageDone(foldDir: string, result: StageResult): void {
  writeJsonArtifact(stageLayout(foldDir, result.stage).done, stageResultSchema, result, producer(foldDir));
}

/**
 * Writes the validation logits of the model the stage keeps (see stageLayout's `valLogits`),
 * (n, H, W) float32, atomically; called right after that model is saved.
 */
export function writeStageValLogits(foldDir: string, stage: Stage, logits: Float32Array, height: number, width: number): void {
  writeNpy(stageLayout(foldDir, stage).valLogits, logits, [logits.length / (height * width), height, width]);
}

/** The record `done.json` keeps of the stage's validation logits, or undefined when it kept none. */
export function stageValLogitsRecord(foldDir: string, stage: Stage, n: number): StageResult['valLogits'] {
  const path = stageLayout(foldDir, stage).valLogits;
  return existsSync(path) ? { n, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') } : undefined;
}

/**
 * A finished stage's validation logits (no TTA), (n, H, W) in the fold's validation order, checked
 * against `done.json` (sha-256) and the expected shape; undefined when the stage kept none (not
 * finished, trained before they were kept, or stage 2 without an epoch of its own). A file that
 * does not match is a UserError naming it.
 */
export function readStageValLogits(foldDir: string, stage: Stage, expected: { n: number; height: number; width: number }): Float32Array | undefined {
  const record = readStageDone(foldDir, stage)?.valLogits;
  if (!record) return undefined;
  const path = requireArtifact(stageLayout(foldDir, stage).valLogits, producer(foldDir));
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (sha !== record.sha256) throw new UserError(`${path}: its sha-256 differs from the one ${stageLayout(foldDir, stage).done} records; rerun the ${producer(foldDir)}`);
  const { shape, data } = readNpy(path);
  const want = [expected.n, expected.height, expected.width];
  if (shape.length !== 3 || shape.some((d, i) => d !== want[i])) {
    throw new UserError(`${path}: shape (${shape.join(', ')}), expected (${want.join(', ')}) for the fold's validation images; rerun the ${producer(foldDir)}`);
  }
  return data;
}

/** The columns of a training-curve CSV, in {@link EpochRow}'s order. */
export const CURVE_COLUMNS = ['epoch', 'stage', 'loss', 'val_loss', 'val_score', 'lr', 'seconds'] as const;

/**
 * Training curves as CSV: a header of `leading` column names then {@link CURVE_COLUMNS}, one row per
 * epoch. Numbers are written as JavaScript prints them (shortest round-trip form), so the CSV holds
 * exactly the values of log.jsonl.
 */
export function curvesCsv(rows: readonly EpochRow[], leading: { name: string; values: readonly (string | number)[] } | undefined = undefined): string {
  const header = [...(leading ? [leading.name] : []), ...CURVE_COLUMNS].join(',');
  const lines = rows.map((r, i) => [...(leading ? [leading.values[i]] : []), ...CURVE_COLUMNS.map((c) => r[c])].join(','));
  return [header, ...lines].join('\n') + '\n';
}

/** A stage's training curve, rewritten after every epoch: `log.jsonl` (one row per line) and `log.csv`. */
export function writeStageLog(foldDir: string, stage: Stage, history: readonly EpochRow[]): void {
  const layout = stageLayout(foldDir, stage);
  atomicWriteFile(layout.log, history.map((r) => JSON.stringify(r)).join('\n') + '\n');
  atomicWriteFile(layout.logCsv, curvesCsv(history));
}

/** The stage-2 cycle-end snapshots a trained fold has, oldest first, as [epoch, dir]. */
export function snapshotDirs(foldDir: string): Array<[number, string]> {
  const layout = stageLayout(foldDir, 2);
  if (!existsSync(layout.dir)) return [];
  const out: Array<[number, string]> = [];
  for (const name of readdirSync(layout.dir)) {
    const epoch = layout.snapshotEpoch(name);
    // A snapshot counts once its model is complete (tfjs writes model.json with the weights).
    if (epoch !== undefined && existsSync(join(layout.snapshot(epoch), 'model.json'))) out.push([epoch, layout.snapshot(epoch)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}
