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
import { mkdirSync } from 'node:fs';
import type { StageConfig } from '@tgs/config';
import { makeLoss } from '@tgs/losses';
import { buildUnet, loadModel, saveModel } from '@tgs/models';
import { mixSeed } from '@tgs/random';
import { Stage, stageLayout } from '@tgs/run';
import { EpochRow, readStageDone, StageResult, writeStageDone, writeStageLog } from './artifacts';
import { latestCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint';
import { divergence, EpochData, epochLabel, trainEpoch, validate } from './epoch';
import { afterEpoch, epochLine, freshStageState, learningRate, StageState, stageStateSchema, startFromStage1Best } from './stage-state';

export interface StageContext extends EpochData {
  /** The fold's artifact folder. */
  foldDir: string;
  log: (msg: string) => void;
}

interface OpenStage {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  state: StageState;
}

/** The model, optimizer and loop state a stage starts, or resumes, from. */
async function openStage(stage: Stage, cfg: StageConfig, ctx: StageContext): Promise<OpenStage> {
  const { config, train, fold, foldDir, log } = ctx;
  const layout = stageLayout(foldDir, stage);
  mkdirSync(layout.checkpoints, { recursive: true });
  const model =
    stage === 1
      ? buildUnet({ ...config.model, inputHeight: train.height, inputWidth: train.width, seed: mixSeed(config.seed, fold) })
      : await loadModel(stageLayout(foldDir, 1).best);
  const optimizer = tf.train.adam(cfg.lr);
  try {
    const resume = latestCheckpoint(layout.checkpoints, stageStateSchema);
    for (const d of resume.damaged) log(`warning: fold ${fold} stage ${stage}: removed the damaged checkpoint of epoch ${d.epoch + 1} (${d.reason})`);
    if (resume.damaged.length > 0) {
      log(`warning: fold ${fold} stage ${stage}: ${resume.state ? `resuming from the newest whole checkpoint, after epoch ${resume.state.epoch + 1}` : 'no whole checkpoint left: starting the stage over'}`);
    }
    if (resume.state) {
      await restoreCheckpoint(resume.binPath, model, optimizer);
      log(`fold ${fold} stage ${stage}: resuming after epoch ${resume.state.epoch + 1}/${cfg.epochs}`);
      return { model, optimizer, state: resume.state };
    }
    if (stage === 1) return { model, optimizer, state: freshStageState(cfg) };
    const s1 = readStageDone(foldDir, 1);
    if (!s1) throw new Error(`${stageLayout(foldDir, 1).done} is missing: stage 1 must finish before stage 2`);
    await saveModel(model, layout.best);
    return { model, optimizer, state: startFromStage1Best(freshStageState(cfg), s1.bestValMap) };
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
  const { model, optimizer } = opened;
  let state = opened.state;
  const lossFn = makeLoss(cfg.loss);
  const varList = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  try {
    for (let epoch = state.epoch + 1; epoch < cfg.epochs; epoch++) {
      const epochStart = Date.now();
      const lr = learningRate(cfg, state, epoch);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const loss = trainEpoch(model, optimizer, varList, lossFn, ctx, stage, epoch, cfg.epochs, lr);
      const { val_loss, val_mAP } = validate(model, lossFn, ctx);
      // Finite training losses with non-finite validation logits (lr 1e6: loss 1e11) diverged too.
      if (!Number.isFinite(val_loss)) throw divergence(`${epochLabel(fold, stage, epoch, cfg.epochs)} validation`, `the validation loss became ${val_loss}`, stage, lr);
      const row: EpochRow = { epoch: epoch + 1, stage, loss, val_loss, val_mAP, lr, seconds: (Date.now() - epochStart) / 1000 };
      const outcome = afterEpoch(state, row, stage, cfg);
      state = outcome.state;
      if (outcome.improved) await saveModel(model, layout.best);
      if (outcome.snapshot) await saveModel(model, layout.snapshot(row.epoch));
      log(epochLine(fold, cfg.epochs, row, outcome.improved));
      writeStageLog(foldDir, stage, state.history);
      await saveCheckpoint(layout.checkpoints, model, optimizer, state, stageStateSchema);
      if (outcome.stop) {
        log(`fold ${fold} stage ${stage}: early stop after ${row.epoch} epochs (no better val mAP for ${cfg.earlyStoppingPatience})`);
        break;
      }
    }
    const result: StageResult = { stage, bestEpoch: state.bestEpoch, bestValMap: state.bestValMap, epochs: state.history.length, history: state.history, seconds: state.seconds };
    writeStageDone(foldDir, result);
    return result;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
