import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { z } from 'zod';
import type { PipelineConfig, StageConfig } from '@tgs/config';
import type { TrainSet } from '@tgs/data';
import { Progress, UserError } from '@tgs/io';
import { makeLoss, LossFn } from '@tgs/losses';
import { meanAPFromStats, thresholdStats } from '@tgs/metrics';
import { buildUnet, forwardLogits, loadModel, saveModel } from '@tgs/models';
import { mixSeed, permutation, Rng } from '@tgs/random';
import { trainingBatch } from './batches';
import { foldLayoutAt, Stage, stageLayout } from '@tgs/run';
import {
  EpochRow,
  epochRowSchema,
  FoldTrainResult,
  readFoldResult,
  readStageDone,
  readStageFingerprint,
  StageResult,
  writeFoldResult,
  writeStageDone,
  writeStageFingerprint,
  writeStageLog,
} from './artifacts';
import { latestCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint';
import { stageFingerprint, trainDataHash } from './fingerprint';
import { cosineLr, isCycleEnd, plateauStep } from './schedule';

/** Loop state saved with every epoch's checkpoint (validated when a stage resumes). */
const stageStateSchema = z
  .object({
    /** 0-based index of the last finished epoch; -1 before the first. */
    epoch: z.number().int().min(-1),
    bestValMap: z.number().nullable().transform((v) => v ?? -Infinity),
    bestEpoch: z.number().int().nonnegative(),
    plateau: z.object({ lr: z.number(), best: z.number().nullable().transform((v) => v ?? -Infinity), badEpochs: z.number().int().nonnegative() }).strict(),
    epochsWithoutImprovement: z.number().int().nonnegative(),
    history: z.array(epochRowSchema),
    seconds: z.number().nonnegative(),
  })
  .strict();
type StageState = z.infer<typeof stageStateSchema>;

export interface TrainFoldInput {
  config: PipelineConfig;
  train: TrainSet;
  folds: Map<string, number>;
  fold: number;
  /** This fold's artifact folder: stage checkpoints, best models, logs, `result.json`. */
  foldDir: string;
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
 * files are touched; the fold's predictions belong to @tgs/predict, which checks them against
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

/** Train and validation indices (into `train.ids`) of one fold; validation = images of that fold. */
export function splitFold(train: TrainSet, folds: Map<string, number>, fold: number): { trainIdx: number[]; valIdx: number[] } {
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  train.ids.forEach((id, i) => {
    const f = folds.get(id);
    if (f === undefined) throw new Error(`id ${id} has no fold in the folds file`);
    (f === fold ? valIdx : trainIdx).push(i);
  });
  if (valIdx.length === 0) throw new Error(`fold ${fold} has no validation images`);
  return { trainIdx, valIdx };
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
 * Each stage keeps its best checkpoint by validation TGS mAP at logit 0 (p = 0.5). Each stage is
 * keyed by its own fingerprint (see stageFingerprint): a finished stage is never redone, an
 * interrupted one resumes from its last complete epoch, and a change to stage 2's settings alone
 * retrains stage 2 from the kept stage 1.
 */
export async function trainFold(input: TrainFoldInput): Promise<FoldTrainResult> {
  const { config, train, folds, fold, foldDir } = input;
  const log = input.log ?? (() => undefined);
  const layout = foldLayoutAt(foldDir);
  const dataHash = trainDataHash(train);
  const fingerprints = { 1: stageFingerprint(config, train, folds, fold, 1, dataHash), 2: stageFingerprint(config, train, folds, fold, 2, dataHash) };
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
  const trainIdx = cappedTrainIdx(config, allTrainIdx, fold);
  log(`fold ${fold}: ${trainIdx.length} train / ${valIdx.length} validation images`);

  const stage1 = await runStage(1, config.stage1, { ...input, trainIdx, valIdx, log });
  const stage2 = await runStage(2, config.stage2, { ...input, trainIdx, valIdx, log });
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

interface StageContext extends TrainFoldInput {
  trainIdx: number[];
  valIdx: number[];
  log: (msg: string) => void;
}

function newModel(config: PipelineConfig, train: TrainSet, fold: number): tf.LayersModel {
  return buildUnet({ ...config.model, inputHeight: train.height, inputWidth: train.width, seed: mixSeed(config.seed, fold) });
}

async function runStage(stage: Stage, cfg: StageConfig, ctx: StageContext): Promise<StageResult> {
  const { config, train, fold, foldDir, log } = ctx;
  const layout = stageLayout(foldDir, stage);
  const done = readStageDone(foldDir, stage);
  if (done) {
    log(`fold ${fold} stage ${stage}: already done (kept from an earlier run)`);
    return done;
  }
  const ckptDir = layout.checkpoints;
  mkdirSync(ckptDir, { recursive: true });

  const model = stage === 1 ? newModel(config, train, fold) : await loadModel(bestModelDir(foldDir, 1));
  const optimizer = tf.train.adam(cfg.lr);
  const lossFn = makeLoss(cfg.loss);
  let state: StageState = {
    epoch: -1,
    bestValMap: -Infinity,
    bestEpoch: 0,
    plateau: { lr: cfg.lr, best: -Infinity, badEpochs: 0 },
    epochsWithoutImprovement: 0,
    history: [],
    seconds: 0,
  };
  const resume = latestCheckpoint(ckptDir, stageStateSchema);
  if (resume) {
    await restoreCheckpoint(resume.binPath, model, optimizer);
    state = resume.state;
    log(`fold ${fold} stage ${stage}: resuming after epoch ${state.epoch + 1}/${cfg.epochs}`);
  } else if (stage === 2) {
    // Stage 1's best weights are stage 2's epoch-0 candidate (same weights, same validation
    // score), so fine-tuning keeps them unless a Lovász epoch scores higher on validation.
    const s1 = readStageDone(foldDir, 1);
    if (!s1) throw new Error(`${stageLayout(foldDir, 1).done} is missing: stage 1 must finish before stage 2`);
    state.bestValMap = s1.bestValMap;
    state.plateau.best = s1.bestValMap;
    await saveModel(model, bestModelDir(foldDir, 2));
  }
  const varList = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);

  try {
    for (let epoch = state.epoch + 1; epoch < cfg.epochs; epoch++) {
      const epochStart = Date.now();
      const lr = learningRate(cfg, state, epoch);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const loss = trainEpoch(model, optimizer, varList, lossFn, ctx, stage, epoch, cfg.epochs, lr);
      const { val_loss, val_mAP } = validate(model, lossFn, ctx);
      // Finite training losses with non-finite validation logits (lr 1e6: loss 1e11) diverged too.
      if (!Number.isFinite(val_loss)) {
        throw divergence(`fold ${fold} stage ${stage} epoch ${epoch + 1}/${cfg.epochs} validation`, `the validation loss became ${val_loss}`, stage, lr);
      }
      const row: EpochRow = { epoch: epoch + 1, stage, loss, val_loss, val_mAP, lr, seconds: (Date.now() - epochStart) / 1000 };
      state.history.push(row);
      state.epoch = epoch;
      state.seconds += row.seconds;
      if (val_mAP > state.bestValMap) {
        state.bestValMap = val_mAP;
        state.bestEpoch = epoch + 1;
        state.epochsWithoutImprovement = 0;
        await saveModel(model, bestModelDir(foldDir, stage));
      } else {
        state.epochsWithoutImprovement++;
      }
      if (cfg.schedule.kind === 'plateau') {
        state.plateau = plateauStep(state.plateau, val_mAP, cfg.schedule.factor, cfg.schedule.patience, cfg.schedule.minLr);
      } else if (stage === 2 && cfg.schedule.kind === 'cosine' && isCycleEnd(epoch, cfg.epochs, cfg.schedule.cycles)) {
        // Snapshot ensembles (Huang et al. 2017): the weights at each warm restart's low point; see snapshotDirs.
        await saveModel(model, layout.snapshot(epoch + 1));
      }
      log(
        `fold ${fold} stage ${stage} epoch ${epoch + 1}/${cfg.epochs}: loss ${loss.toFixed(4)} val_loss ${val_loss.toFixed(4)} ` +
          `val_mAP ${val_mAP.toFixed(4)} lr ${lr.toExponential(2)} seconds ${row.seconds.toFixed(1)}${state.bestEpoch === epoch + 1 ? ' (best)' : ''}`,
      );
      writeStageLog(foldDir, stage, state.history);
      await saveCheckpoint(ckptDir, model, optimizer, state);
      if (cfg.earlyStoppingPatience > 0 && state.epochsWithoutImprovement >= cfg.earlyStoppingPatience) {
        log(`fold ${fold} stage ${stage}: early stop after ${epoch + 1} epochs (no better val mAP for ${cfg.earlyStoppingPatience})`);
        break;
      }
    }
    const result: StageResult = {
      stage,
      bestEpoch: state.bestEpoch,
      bestValMap: state.bestValMap,
      epochs: state.history.length,
      history: state.history,
      seconds: state.seconds,
    };
    writeStageDone(foldDir, result);
    return result;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

function learningRate(cfg: StageConfig, state: StageState, epoch: number): number {
  switch (cfg.schedule.kind) {
    case 'plateau':
      return state.plateau.lr;
    case 'cosine':
      return cosineLr(epoch, cfg.epochs, cfg.schedule.cycles, cfg.lr, cfg.schedule.minLr);
    case 'constant':
      return cfg.lr;
  }
}

/** One pass over the fold's training images in an order and with augmentations fixed by (seed, fold, stage, epoch). */
function trainEpoch(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  varList: tf.Variable[],
  lossFn: LossFn,
  ctx: StageContext,
  stage: 1 | 2,
  epoch: number,
  epochs: number,
  lr: number,
): number {
  const { config, train, fold, trainIdx } = ctx;
  const bs = config.train.batchSize;
  const order = permutation(trainIdx.length, mixSeed(config.seed, fold, stage, epoch));
  const nBatches = Math.ceil(trainIdx.length / bs);
  const progress = new Progress(`fold ${fold} stage ${stage} epoch ${epoch + 1}/${epochs}`, nBatches);
  let sum = 0;
  let count = 0;
  for (let b = 0; b < nBatches; b++) {
    const idx = Array.from(order.subarray(b * bs, Math.min(order.length, (b + 1) * bs)), (i) => trainIdx[i]);
    const rng = new Rng(mixSeed(config.seed, fold, stage, epoch, b));
    const { x, y } = trainingBatch(train.images, train.masks, idx, train.height, train.width, config.train.augment, rng);
    const cost = optimizer.minimize(() => lossFn(y, model.apply(x, { training: true }) as tf.Tensor), true, varList);
    const value = cost ? cost.dataSync()[0] : NaN;
    cost?.dispose();
    x.dispose();
    y.dispose();
    const where = `fold ${fold} stage ${stage} epoch ${epoch + 1}/${epochs} step ${b + 1}/${nBatches}`;
    if (!Number.isFinite(value)) throw divergence(where, `the loss became ${value}`, stage, lr);
    if (!weightsFinite(varList)) throw divergence(where, 'a weight became NaN or infinite', stage, lr);
    sum += value * idx.length;
    count += idx.length;
    progress.tick(1, `loss ${(sum / count).toFixed(4)}`);
  }
  return sum / count;
}

/** True when every weight is finite: x·0 is 0 for finite x and NaN for ±Inf and NaN, so one sum covers all. */
export function weightsFinite(vars: tf.Variable[]): boolean {
  if (vars.length === 0) return true;
  const probe = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(tf.mul(v, 0)))));
  const value = probe.dataSync()[0];
  probe.dispose();
  return Number.isFinite(value);
}

/** Training diverged: a user error (the learning rate is the usual cause), not a bug. */
function divergence(where: string, what: string, stage: 1 | 2, lr: number): UserError {
  return new UserError(`${where}: training diverged (${what}); lower stage${stage}.lr (now ${lr}) in the config and rerun`);
}

/** Validation loss (the stage's loss) and TGS mAP at logit 0, i.e. p = 0.5. */
function validate(model: tf.LayersModel, lossFn: LossFn, ctx: StageContext): { val_loss: number; val_mAP: number } {
  const { config, train, valIdx } = ctx;
  const pixels = train.height * train.width;
  // The train section's batch size: training's outcome depends on no other step's settings.
  const bs = config.train.batchSize;
  const logits = forwardLogits(model, train.images, valIdx, train.height, train.width, { batchSize: bs });
  const truths = new Uint8Array(valIdx.length * pixels);
  valIdx.forEach((i, k) => truths.set(train.masks.subarray(i * pixels, (i + 1) * pixels), k * pixels));
  let lossSum = 0;
  for (let start = 0; start < valIdx.length; start += bs) {
    const end = Math.min(valIdx.length, start + bs);
    const n = end - start;
    const batchLoss = tf.tidy(() => {
      const y = tf.tensor4d(Float32Array.from(truths.subarray(start * pixels, end * pixels)), [n, train.height, train.width, 1]);
      const x = tf.tensor4d(logits.subarray(start * pixels, end * pixels), [n, train.height, train.width, 1]);
      return lossFn(y, x);
    });
    lossSum += batchLoss.dataSync()[0] * n;
    batchLoss.dispose();
  }
  const stats = thresholdStats(logits, truths, pixels, [0]);
  return { val_loss: lossSum / valIdx.length, val_mAP: meanAPFromStats(stats)[0] };
}

