import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { PipelineConfig } from '@segkit/config';
import type { TrainSet } from '@segkit/data';
import type { MetricName } from '@segkit/metrics';
import { splitFold } from '@segkit/folds';
import { PseudoLabels, withPseudoLabels } from '@segkit/pseudo';
import { mixSeed, permutation } from '@segkit/random';
import { foldLayoutAt, Stage, stageLayout } from '@segkit/run';
import { FoldTrainResult, readFoldResult, readStageFingerprint, writeFoldResult, writeStageFingerprint } from './artifacts';
import { pseudoDataHash, stageFingerprint, trainDataHash } from './fingerprint';
import { runStage } from './stage';

export interface TrainFoldInput {
  config: PipelineConfig;
  train: TrainSet;
  folds: Map<string, number>;
  fold: number;
  /** This fold's artifact folder: stage checkpoints, best models, logs, `result.json`. */
  foldDir: string;
  /**
   * A pseudo-label round's extra training images (@segkit/pseudo) with their fingerprint: added
   * to the fold's training images, never to its validation images; part of both stages' fingerprints.
   */
  pseudo?: { labels: PseudoLabels; fingerprint: string };
  /** The competition metric each stage's best epoch is chosen by (tune.metric, else the layout's); default `tgs-map`. */
  metric?: MetricName;
  log?: (msg: string) => void;
}

/** The folder of a fold's best model after `stage` (tfjs layers format); the predict step reads stage 2's. */
export function bestModelDir(foldDir: string, stage: Stage): string {
  return stageLayout(foldDir, stage).best;
}

/** The fold's `result.json`; read it with readFoldResult. */
export function foldResultPath(foldDir: string): string {
  return foldLayoutAt(foldDir).result;
}

/**
 * Makes a stage folder belong to `fingerprint`: a folder trained from anything else is cleared,
 * with the fold's result and, for stage 1, stage 2 (which continues from it). Only this lib's own
 * files are touched; the fold's predictions belong to @segkit/predict, which checks them against
 * the weights' fingerprint itself.
 */
function claimStage(foldDir: string, fold: number, stage: Stage, fingerprint: string, log: (msg: string) => void): void {
  const layout = foldLayoutAt(foldDir);
  const previous = readStageFingerprint(foldDir, stage);
  if (previous === fingerprint) return;
  if (previous !== undefined || existsSync(layout.stage(stage).dir)) log(`fold ${fold} stage ${stage}: trained from another config or data; starting the stage afresh`);
  const stale = stage === 1 ? [layout.stage(1).dir, layout.stage(2).dir] : [layout.stage(2).dir];
  for (const path of [...stale, layout.result, layout.fingerprint]) rmSync(path, { recursive: true, force: true });
  mkdirSync(layout.stage(stage).dir, { recursive: true });
  writeStageFingerprint(foldDir, stage, fingerprint);
}

/** The fold's training images: all of its non-validation images, or a seeded subset of `train.maxTrainImages`. */
function cappedTrainIdx(config: PipelineConfig, allTrainIdx: number[], fold: number): number[] {
  const cap = config.train.maxTrainImages;
  if (cap === 0 || allTrainIdx.length <= cap) return allTrainIdx;
  return [...permutation(allTrainIdx.length, mixSeed(config.seed, fold, 7))]
    .slice(0, cap)
    .sort((a, b) => a - b)
    .map((i) => allTrainIdx[i]);
}

/**
 * Trains one fold through both stages: stage 1 (BCE by default) from scratch, stage 2 (Lovász
 * hinge on raw logits by default) from stage 1's best weights at its own, lower learning rate.
 * Each stage keeps its best checkpoint by its validation score in `metric` at logit 0 (p = 0.5),
 * which also drives the plateau schedule and early stopping. Each stage is
 * keyed by its own fingerprint (see stageFingerprint): a finished stage is never redone, an
 * interrupted one resumes from its last complete epoch, and a change to stage 2's settings alone
 * retrains stage 2 from the kept stage 1.
 */
export async function trainFold(input: TrainFoldInput): Promise<FoldTrainResult> {
  const { config, train, folds, fold, foldDir } = input;
  const log = input.log ?? (() => undefined);
  const layout = foldLayoutAt(foldDir);
  const dataHash = pseudoDataHash(trainDataHash(train), input.pseudo?.fingerprint);
  const metric = input.metric ?? 'tgs-map';
  const fingerprints = { 1: stageFingerprint(config, train, folds, fold, 1, dataHash, metric), 2: stageFingerprint(config, train, folds, fold, 2, dataHash, metric) };
  mkdirSync(foldDir, { recursive: true });
  claimStage(foldDir, fold, 1, fingerprints[1], log);
  claimStage(foldDir, fold, 2, fingerprints[2], log);
  if (existsSync(layout.result)) {
    const previous = readFoldResult(foldDir);
    if (previous.fingerprint === fingerprints[2] && existsSync(layout.fingerprint)) {
      log(`fold ${fold}: already trained (${layout.result})`);
      return previous;
    }
  }
  const { trainIdx: allTrainIdx, valIdx } = splitFold(train, folds, fold);
  let trainIdx = cappedTrainIdx(config, allTrainIdx, fold);
  let data = train;
  if (input.pseudo) {
    // Appended after the train images, which keep their indices (and so valIdx its meaning).
    const added = withPseudoLabels(train, input.pseudo.labels);
    data = added.set;
    trainIdx = [...trainIdx, ...added.pseudoIdx];
    log(`fold ${fold}: ${trainIdx.length - added.pseudoIdx.length} train + ${added.pseudoIdx.length} pseudo-labelled test / ${valIdx.length} validation images`);
  } else log(`fold ${fold}: ${trainIdx.length} train / ${valIdx.length} validation images`);

  const stage1 = await runStage(1, config.stage1, { ...input, metric, train: data, trainIdx, valIdx, log });
  const stage2 = await runStage(2, config.stage2, { ...input, metric, train: data, trainIdx, valIdx, log });
  const result: FoldTrainResult = {
    fold,
    nTrain: trainIdx.length,
    nVal: valIdx.length,
    stage1,
    stage2,
    seconds: stage1.seconds + stage2.seconds,
    fingerprint: fingerprints[2],
  };
  writeFoldResult(foldDir, result);
  return result;
}
