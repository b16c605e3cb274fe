import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineConfig, StageConfig } from '@tgs/config';
import type { TrainSet } from '@tgs/data';
import { atomicWriteFile, atomicWriteJson, Progress, UserError } from '@tgs/io';
import { makeLoss, LossFn } from '@tgs/losses';
import { meanAPFromStats, thresholdStats } from '@tgs/metrics';
import { buildUnet, loadModel, saveModel } from '@tgs/models';
import { mixSeed, permutation, Rng } from '@tgs/random';
import { forwardLogits, trainingBatch } from './batches';
import { latestCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint';
import { cosineLr, isCycleEnd, plateauStep, PlateauState } from './schedule';

/**
 * One epoch of a training curve. The same names, in this order, are the columns of `log.csv`,
 * the keys of `log.jsonl` and `summary.json`, and the words of the console line.
 */
export interface EpochRow {
  /** 1-based. */
  epoch: number;
  stage: 1 | 2;
  loss: number;
  val_loss: number;
  val_mAP: number;
  lr: number;
  seconds: number;
}

export interface StageResult {
  stage: 1 | 2;
  /** 1-based epoch of the kept weights; 0 in stage 2 when no epoch beat stage 1's best (its weights are kept). */
  bestEpoch: number;
  bestValMap: number;
  epochs: number;
  history: EpochRow[];
  seconds: number;
}

export interface FoldTrainResult {
  fold: number;
  nTrain: number;
  nVal: number;
  stage1: StageResult;
  stage2: StageResult;
  seconds: number;
}

/** Loop state saved with every epoch's checkpoint. */
interface StageState {
  epoch: number;
  bestValMap: number;
  bestEpoch: number;
  plateau: PlateauState;
  epochsWithoutImprovement: number;
  history: EpochRow[];
  seconds: number;
}

export interface TrainFoldInput {
  config: PipelineConfig;
  train: TrainSet;
  folds: Map<string, number>;
  fold: number;
  /** This fold's artifact folder: stage checkpoints, best models, logs, `result.json`. */
  foldDir: string;
  log?: (msg: string) => void;
}

/** Where each stage keeps its artifacts; the predict step reads `bestModelDir`. */
export function stageDir(foldDir: string, stage: 1 | 2): string {
  return join(foldDir, `stage${stage}`);
}
export function bestModelDir(foldDir: string, stage: 1 | 2): string {
  return join(stageDir(foldDir, stage), 'best');
}
/** Stage 2's weights at the end of the cosine cycle that ended with `epoch` (1-based). */
export function snapshotDir(foldDir: string, epoch: number): string {
  return join(stageDir(foldDir, 2), `snapshot-${epoch}`);
}

/** The stage-2 cycle-end snapshots a trained fold has, oldest first, as [epoch, dir]. */
export function snapshotDirs(foldDir: string): Array<[number, string]> {
  const dir = stageDir(foldDir, 2);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^snapshot-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(dir, m[0], 'model.json')))
    .map((m) => [Number(m[1]), join(dir, m[0])] as [number, string])
    .sort((a, b) => a[0] - b[0]);
}

/** A stage's training curve, rewritten after every epoch: one JSON object per line, and the same rows as CSV. */
export function stageLogPaths(foldDir: string, stage: 1 | 2): { jsonl: string; csv: string } {
  return { jsonl: join(stageDir(foldDir, stage), 'log.jsonl'), csv: join(stageDir(foldDir, stage), 'log.csv') };
}

/** The columns of a training-curve CSV, in {@link EpochRow}'s order. */
export const CURVE_COLUMNS = ['epoch', 'stage', 'loss', 'val_loss', 'val_mAP', 'lr', 'seconds'] as const;

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

export function foldResultPath(foldDir: string): string {
  return join(foldDir, 'result.json');
}

/**
 * What a fold's artifacts were trained from: the whole config, the fold's validation ids and the
 * train images and masks (sha-256). Checkpoints, best models and results are reused (resume,
 * "already trained") only when it matches; otherwise the fold starts afresh.
 */
export function foldFingerprint(config: PipelineConfig, train: TrainSet, folds: Map<string, number>, fold: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(config));
  h.update(`\nfold ${fold}\n`);
  h.update(train.ids.map((id) => `${id}:${folds.get(id) === fold ? 'val' : 'train'}`).join(','));
  h.update(train.images);
  h.update(train.masks);
  return h.digest('hex');
}

/** Clears a fold folder trained from something else, then records the current fingerprint. */
function claimFoldDir(foldDir: string, fingerprint: string, log: (msg: string) => void): void {
  const path = join(foldDir, 'fingerprint.json');
  if (existsSync(path)) {
    const previous = (JSON.parse(readFileSync(path, 'utf8')) as { fingerprint: string }).fingerprint;
    if (previous === fingerprint) return;
    log(`${foldDir}: trained from another config or data; starting the fold afresh`);
  }
  for (const entry of ['stage1', 'stage2', 'result.json', 'predict']) rmSync(join(foldDir, entry), { recursive: true, force: true });
  atomicWriteJson(path, { fingerprint });
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

/**
 * Trains one fold through both stages: stage 1 (BCE by default) from scratch, stage 2 (Lovász
 * hinge on raw logits by default) from stage 1's best weights at its own, lower learning rate.
 * Each stage keeps its best checkpoint by validation TGS mAP at logit 0 (p = 0.5). Finished stages
 * are never redone and an interrupted stage resumes from its last complete epoch.
 */
export async function trainFold(input: TrainFoldInput): Promise<FoldTrainResult> {
  const { config, train, folds, fold, foldDir } = input;
  const log = input.log ?? (() => undefined);
  claimFoldDir(foldDir, foldFingerprint(config, train, folds, fold), log);
  if (existsSync(foldResultPath(foldDir))) {
    log(`fold ${fold}: already trained (${foldResultPath(foldDir)})`);
    return JSON.parse(readFileSync(foldResultPath(foldDir), 'utf8')) as FoldTrainResult;
  }
  const { trainIdx: allTrainIdx, valIdx } = splitFold(train, folds, fold);
  const cap = config.train.maxTrainImages;
  const trainIdx = cap > 0 && allTrainIdx.length > cap ? [...permutation(allTrainIdx.length, mixSeed(config.seed, fold, 7))].slice(0, cap).sort((a, b) => a - b).map((i) => allTrainIdx[i]) : allTrainIdx;
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
  };
  atomicWriteJson(foldResultPath(foldDir), result);
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

async function runStage(stage: 1 | 2, cfg: StageConfig, ctx: StageContext): Promise<StageResult> {
  const { config, train, fold, foldDir, log } = ctx;
  const dir = stageDir(foldDir, stage);
  const donePath = join(dir, 'done.json');
  if (existsSync(donePath)) {
    log(`fold ${fold} stage ${stage}: already done`);
    return JSON.parse(readFileSync(donePath, 'utf8')) as StageResult;
  }
  mkdirSync(dir, { recursive: true });
  const ckptDir = join(dir, 'checkpoints');
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
  const resume = latestCheckpoint<StageState>(ckptDir);
  if (resume) {
    await restoreCheckpoint(resume.binPath, model, optimizer);
    state = resume.state;
    log(`fold ${fold} stage ${stage}: resuming after epoch ${state.epoch + 1}/${cfg.epochs}`);
  } else if (stage === 2) {
    // Stage 1's best weights are stage 2's epoch-0 candidate (same weights, same validation
    // score), so fine-tuning keeps them unless a Lovász epoch scores higher on validation.
    const s1 = JSON.parse(readFileSync(join(stageDir(foldDir, 1), 'done.json'), 'utf8')) as StageResult;
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
        await saveModel(model, snapshotDir(foldDir, epoch + 1));
      }
      log(
        `fold ${fold} stage ${stage} epoch ${epoch + 1}/${cfg.epochs}: loss ${loss.toFixed(4)} val_loss ${val_loss.toFixed(4)} ` +
          `val_mAP ${val_mAP.toFixed(4)} lr ${lr.toExponential(2)} seconds ${row.seconds.toFixed(1)}${state.bestEpoch === epoch + 1 ? ' (best)' : ''}`,
      );
      atomicWriteFile(stageLogPaths(foldDir, stage).jsonl, state.history.map((r) => JSON.stringify(r)).join('\n') + '\n');
      atomicWriteFile(stageLogPaths(foldDir, stage).csv, curvesCsv(state.history));
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
    atomicWriteJson(donePath, result);
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
  const bs = config.predict.batchSize;
  const logits = forwardLogits(model, train.images, valIdx, train.height, train.width, { batchSize: bs }) as Float32Array;
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

