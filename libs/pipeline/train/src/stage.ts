/**
 * One training stage of one fold, in the order it happens:
 * - {@link openStage}: the model, optimizer and loop state to start from — stage 1 a fresh
 *   seeded U-Net, stage 2 stage 1's best weights, either one the last checkpoint when resuming;
 * - per epoch: the learning rate (stage-state.ts), {@link trainEpoch} and {@link validate}
 *   (epoch.ts), then {@link afterEpoch} decides what to keep: the best weights, a cosine
 *   snapshot, whether to stop early;
 * - after each epoch the console line, the curve (`log.jsonl`, `log.csv`) and a checkpoint;
 *   at the end the stage's result (`done.json`).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PipelineConfig, StageConfig } from '@segkit/config';
import { setEncoderFrozen } from '@segkit/encoders';
import { UserError } from '@segkit/io';
import { headsLoss, makeLoss } from '@segkit/losses';
import { metricInfo } from '@segkit/metrics';
import { buildUnet, encoderOverrides, getUnetConfig, loadModel, loadUnetEncoderWeights, saveModel } from '@segkit/models';
import { mixSeed } from '@segkit/random';
import { Stage, stageLayout } from '@segkit/run';
import { EpochRow, readStageDone, snapshotDirs, StageResult, stageValLogitsRecord, writeStageDone, writeStageLog, writeStageValLogits } from './artifacts';
import { averagingKind, isSwaMember, recomputeBatchNorm, WeightAverage } from './averaging';
import { latestCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint';
import { batchNormBatches, configCrop, divergence, EpochData, epochLabel, trainEpoch, validate } from './epoch';
import { isCycleEnd } from './schedule';
import { EncoderSplitAdam } from './encoder-optimizer';
import { afterEpoch, epochLine, freshStageState, learningRate, StageState, stageStateSchema, startFromStage1Best } from './stage-state';
import { adam } from '@segkit/backend';

export interface StageContext extends EpochData {
  /** The fold's artifact folder. */
  foldDir: string;
  log: (msg: string) => void;
}

interface OpenStage {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  state: StageState;
  /** The running weight average, when the stage averages its weights. */
  average?: WeightAverage;
}

/**
 * The model a finished stage hands on (stage 2 starts from stage 1's, predict uses stage 2's): its
 * averaged model when it has one (see stageResultSchema's `averaged`), else its best epoch's.
 */
export function stageOutputDir(foldDir: string, stage: Stage): string {
  const layout = stageLayout(foldDir, stage);
  return readStageDone(foldDir, stage)?.averaged ? layout.averaged : layout.best;
}

/** The stage's running average: restored with its checkpoint, else started from the model's weights. */
function openAverage(cfg: StageConfig, model: tf.LayersModel, state: StageState, saved: tf.Tensor[]): WeightAverage | undefined {
  const kind = averagingKind(cfg);
  try {
    if (!kind) return undefined;
    if (state.epoch < 0) return WeightAverage.start(kind, model);
    if (saved.length === 0) throw new Error(`the checkpoint after epoch ${state.epoch + 1} has no weight average`);
    return WeightAverage.restore(kind, model, saved, state.averageMembers);
  } finally {
    saved.forEach((t) => t.dispose());
  }
}

/** The model, optimizer and loop state a stage starts, or resumes, from. */
async function openStage(stage: Stage, cfg: StageConfig, ctx: StageContext): Promise<OpenStage> {
  const { config, train, fold, foldDir, log } = ctx;
  const layout = stageLayout(foldDir, stage);
  mkdirSync(layout.checkpoints, { recursive: true });
  const { encoderWeights, ...unetConfig } = config.model;
  if (encoderWeights !== undefined && unetConfig.encoder === 'plain') {
    throw new UserError('model.encoderWeights needs a pretrained encoder: set model.encoder to resnet18, resnet34 or resnet50');
  }
  if (stage === 1) {
    const overridden = encoderOverrides(unetConfig);
    if (overridden !== undefined) log(`fold ${fold}: ${overridden}`);
  }
  const s1 = stage === 2 ? readStageDone(foldDir, 1) : undefined;
  // Stage 2's epoch-0 candidate is stage 1's output, scored as stage 1 scored it.
  const s1Score = s1 ? (s1.averaged?.valScore ?? s1.bestValScore) : undefined;
  if (stage === 2 && s1Score === undefined) throw new Error(`${stageLayout(foldDir, 1).done} is missing: stage 1 must finish before stage 2`);
  // input.mode "crop": the model reads the training crop's size (prediction tiles at that size).
  const crop = configCrop(config);
  const model =
    stage === 1
      ? buildUnet({ ...unetConfig, inputHeight: crop?.height ?? train.height, inputWidth: crop?.width ?? train.width, inChannels: train.channels ?? 1, seed: mixSeed(config.seed, fold) })
      : await loadModel(stageOutputDir(foldDir, 1));
  const pretrained = getUnetConfig(model)?.encoder !== undefined;
  // A pretrained encoder gets its own Adam (own rate, own moments); see EncoderSplitAdam.
  const optimizer: tf.Optimizer = pretrained ? new EncoderSplitAdam(cfg.lr, config.train.encoderLrScale) : adam(cfg.lr);
  try {
    if (stage === 1 && encoderWeights !== undefined) {
      const record = loadUnetEncoderWeights(model, resolve(encoderWeights));
      log(`fold ${fold}: ${config.model.encoder} encoder from ${encoderWeights} (sha-256 ${record.sha256.slice(0, 12)}…)`);
    }
    const resume = latestCheckpoint(layout.checkpoints, stageStateSchema);
    for (const d of resume.damaged) log(`warning: fold ${fold} stage ${stage}: removed the damaged checkpoint of epoch ${d.epoch + 1} (${d.reason})`);
    if (resume.damaged.length > 0) {
      log(`warning: fold ${fold} stage ${stage}: ${resume.state ? `resuming from the newest whole checkpoint, after epoch ${resume.state.epoch + 1}` : 'no whole checkpoint left: starting the stage over'}`);
    }
    if (resume.state) {
      const saved = await restoreCheckpoint(resume.binPath, model, optimizer);
      log(`fold ${fold} stage ${stage}: resuming after epoch ${resume.state.epoch + 1}/${cfg.epochs}`);
      return { model, optimizer, state: resume.state, average: openAverage(cfg, model, resume.state, saved) };
    }
    if (stage === 1) return { model, optimizer, state: freshStageState(cfg), average: openAverage(cfg, model, freshStageState(cfg), []) };
    await saveModel(model, layout.best);
    const state = startFromStage1Best(freshStageState(cfg), s1Score ?? -Infinity);
    return { model, optimizer, state, average: openAverage(cfg, model, state, []) };
  } catch (err) {
    model.dispose();
    optimizer.dispose();
    throw err;
  }
}

/**
 * Trains one stage to its last epoch or an early stop, keeping its best weights by validation TGS
 * mAP at logit 0 (p = 0.5) and, in stage 2 with a cosine schedule, each cycle's last weights. A
 * finished stage is returned as recorded; an interrupted one resumes after its last complete epoch.
 */
export async function runStage(stage: Stage, cfg: StageConfig, ctx: StageContext): Promise<StageResult> {
  const { fold, foldDir, log } = ctx;
  const layout = stageLayout(foldDir, stage);
  const done = readStageDone(foldDir, stage);
  if (done) {
    log(`fold ${fold} stage ${stage}: already done (kept from an earlier run)`);
    return done;
  }
  const opened = await openStage(stage, cfg, ctx);
  const { model, optimizer, average } = opened;
  let state = opened.state;
  const lossFn = makeLoss(cfg.loss);
  // With a gate or deep supervision, their terms join the stage's loss (the segmentation loss alone otherwise).
  const trainLoss = headsLoss(lossFn, { gateWeight: cfg.gate.weight, auxWeight: cfg.deepSupervision.weight, nonEmptyOnly: cfg.gate.nonEmptyOnly });
  const afterStep = average?.kind === 'ema' ? () => average.afterStep(model, cfg.ema.decay) : undefined;
  const pretrained = getUnetConfig(model)?.encoder !== undefined;
  try {
    for (let epoch = state.epoch + 1; epoch < cfg.epochs; epoch++) {
      const epochStart = Date.now();
      if (pretrained) setEncoderFrozen(model, encoderFrozen(ctx.config, stage, epoch));
      const varList = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const lr = learningRate(cfg, state, epoch);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const loss = trainEpoch(model, optimizer, varList, trainLoss, ctx, stage, epoch, cfg.epochs, lr, afterStep);
      const { val_loss, val_score, logits: valLogits } = validate(model, lossFn, ctx);
      // Finite training losses with non-finite validation logits (lr 1e6: loss 1e11) diverged too.
      if (!Number.isFinite(val_loss)) throw divergence(`${epochLabel(fold, stage, epoch, cfg.epochs)} validation`, `the validation loss became ${val_loss}`, stage, lr);
      const row: EpochRow = { epoch: epoch + 1, stage, loss, val_loss, val_score, lr, seconds: (Date.now() - epochStart) / 1000 };
      const outcome = afterEpoch(state, row, stage, cfg);
      const cycleEnd = cfg.schedule.kind === 'cosine' && isCycleEnd(epoch, cfg.epochs, cfg.schedule.cycles);
      if (average?.kind === 'swa' && isSwaMember(cfg, epoch, cycleEnd)) average.addMember(model);
      state = { ...outcome.state, averageMembers: average?.members ?? 0 };
      if (outcome.improved) {
        await saveModel(model, layout.best);
        // The kept model's OOF logits, so predict need not compute them again. A kill before the
        // checkpoint below reruns this epoch, which rewrites both to the same bits.
        writeStageValLogits(foldDir, stage, valLogits, ctx.train.height, ctx.train.width);
      }
      if (outcome.snapshot) await saveModel(model, layout.snapshot(row.epoch));
      log(epochLine(fold, cfg.epochs, row, outcome.improved, ctx.metric));
      writeStageLog(foldDir, stage, state.history);
      await saveCheckpoint(layout.checkpoints, model, optimizer, state, stageStateSchema, average?.tensors());
      if (outcome.stop) {
        log(`fold ${fold} stage ${stage}: early stop after ${row.epoch} epochs (no better validation ${metricInfo(ctx.metric).label} for ${cfg.earlyStoppingPatience})`);
        break;
      }
    }
    const averaged = average ? await finishAverage(stage, model, average, lossFn, ctx, state.bestValScore) : undefined;
    const result: StageResult = {
      stage,
      metric: ctx.metric,
      bestEpoch: state.bestEpoch,
      bestValScore: state.bestValScore,
      epochs: state.history.length,
      history: state.history,
      seconds: state.seconds,
      ...(averaged ? { averaged } : {}),
    };
    const valLogits = stageValLogitsRecord(foldDir, stage, ctx.valIdx.length);
    if (valLogits) result.valLogits = valLogits;
    writeStageDone(foldDir, result);
    return result;
  } finally {
    model.dispose();
    optimizer.dispose();
    average?.dispose();
  }
}

/**
 * Puts the stage's average into the model (SWA: then recomputes BatchNorm's statistics on the
 * training images), validates it, and saves it as the stage's `averaged/` model. Also scores the
 * logit mean of the stage's cosine snapshots, if any, for the report's comparison. Undefined (no
 * averaged model) when no epoch was averaged, e.g. an early stop before SWA's last epochs.
 */
async function finishAverage(stage: Stage, model: tf.LayersModel, average: WeightAverage, lossFn: ReturnType<typeof makeLoss>, ctx: StageContext, bestValScore: number): Promise<StageResult['averaged']> {
  const { fold, foldDir, log } = ctx;
  const layout = stageLayout(foldDir, stage);
  rmSync(layout.averaged, { recursive: true, force: true });
  if (average.members === 0) {
    log(`fold ${fold} stage ${stage}: no epoch was averaged (the stage stopped before its SWA epochs); keeping its best epoch`);
    return undefined;
  }
  model.setWeights(average.tensors());
  if (average.kind === 'swa') recomputeBatchNorm(model, batchNormBatches(ctx, stage));
  const { val_score: valScore, logits } = validate(model, lossFn, ctx);
  let snapshotsValScore: number | undefined;
  const snapshots = stage === 2 ? snapshotDirs(foldDir) : [];
  if (snapshots.length > 0) {
    const models: tf.LayersModel[] = [];
    try {
      for (const [, dir] of snapshots) models.push(await loadModel(dir));
      snapshotsValScore = validate(models, lossFn, ctx).val_score;
    } finally {
      models.forEach((m) => m.dispose());
    }
  }
  await saveModel(model, layout.averaged);
  writeStageValLogits(foldDir, stage, logits, ctx.train.height, ctx.train.width);
  const what = average.kind === 'ema' ? `EMA over ${average.members} steps` : `SWA of ${average.members} epochs`;
  const snap = snapshotsValScore === undefined ? '' : `, snapshot ensemble ${snapshotsValScore.toFixed(4)}`;
  log(`fold ${fold} stage ${stage}: ${what}: val_score ${valScore.toFixed(4)} (${metricInfo(ctx.metric).label}; best epoch ${bestValScore.toFixed(4)}${snap})`);
  return { kind: average.kind, members: average.members, valScore, ...(snapshotsValScore === undefined ? {} : { snapshotsValScore }) };
}

/**
 * Whether the encoder is frozen in epoch `epoch` (0-based) of `stage`: `train.freezeEncoder` true
 * freezes it throughout; a number N freezes the first N epochs of training, counted through stage 1
 * and on into stage 2.
 */
export function encoderFrozen(config: PipelineConfig, stage: Stage, epoch: number): boolean {
  const freeze = config.train.freezeEncoder;
  if (typeof freeze === 'boolean') return freeze;
  const fromStart = stage === 1 ? epoch : config.stage1.epochs + epoch;
  return fromStart < freeze;
}
