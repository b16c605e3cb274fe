/**
 * One epoch's work on the model: a pass over the fold's training images (stopping on divergence
 * with a message naming fold, stage, epoch, step and lr), then the validation loss and score in the
 * run's competition metric.
 */
import * as tf from '@tensorflow/tfjs';
import type { PipelineConfig } from '@segkit/config';
import type { TrainSet } from '@segkit/data';
import { Progress, UserError } from '@segkit/io';
import type { HeadsLossFn, LossFn } from '@segkit/losses';
import { meanScoreFromStats, thresholdStats, type MetricName } from '@segkit/metrics';
import { forwardLogits, getUnetConfig, tiledLogits, unetOutputs } from '@segkit/models';
import { resolveCrop } from '@segkit/resize';
import { mixSeed, permutation, Rng } from '@segkit/random';
import type { Stage } from '@segkit/run';
import { TrainingCrop, trainingBatch } from './batches';

/** What an epoch reads: the config, the images, the fold's split and the metric validation scores. */
export interface EpochData {
  config: PipelineConfig;
  /** The competition metric of `val_score` (tune.metric, else the layout's): it picks each stage's best epoch, drives the plateau schedule and early stopping. */
  metric: MetricName;
  train: TrainSet;
  fold: number;
  trainIdx: number[];
  valIdx: number[];
}

/** input.mode "crop": the training crop (its size and bias); undefined in the other modes. */
export function configCrop(config: PipelineConfig): TrainingCrop | undefined {
  const crop = resolveCrop(config.input);
  return crop && { height: crop.height, width: crop.width, bias: crop.bias };
}

/** Where in training a number is: `fold f stage s epoch e/E`, the prefix of progress, log and error lines. */
export function epochLabel(fold: number, stage: Stage, epoch: number, epochs: number): string {
  return `fold ${fold} stage ${stage} epoch ${epoch + 1}/${epochs}`;
}

/**
 * One pass over the fold's training images in an order and with augmentations fixed by (seed,
 * fold, stage, epoch); returns the mean training loss. A non-finite loss or weight stops it. The
 * loss sees every output of the model by role (logits, gate, deep-supervision outputs; see headsLoss).
 */
export function trainEpoch(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  varList: tf.Variable[],
  lossFn: HeadsLossFn,
  data: EpochData,
  stage: Stage,
  epoch: number,
  epochs: number,
  lr: number,
  /** Called after every optimizer step (the stage's EMA of weights). */
  afterStep?: () => void,
): number {
  const { config, train, fold, trainIdx } = data;
  const bs = config.train.batchSize;
  const order = permutation(trainIdx.length, mixSeed(config.seed, fold, stage, epoch));
  const nBatches = Math.ceil(trainIdx.length / bs);
  const progress = new Progress(epochLabel(fold, stage, epoch, epochs), nBatches);
  const heads = getUnetConfig(model);
  const crop = configCrop(config);
  let sum = 0;
  let count = 0;
  for (let b = 0; b < nBatches; b++) {
    const idx = Array.from(order.subarray(b * bs, Math.min(order.length, (b + 1) * bs)), (i) => trainIdx[i]);
    const rng = new Rng(mixSeed(config.seed, fold, stage, epoch, b));
    const { x, y } = trainingBatch(train.images, train.masks, idx, train.height, train.width, config.train.augment, rng, train.channels ?? 1, crop);
    const cost = optimizer.minimize(() => lossFn(y, unetOutputs(heads, model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[])), true, varList);
    const value = cost ? cost.dataSync()[0] : NaN;
    cost?.dispose();
    x.dispose();
    y.dispose();
    afterStep?.();
    const where = `${epochLabel(fold, stage, epoch, epochs)} step ${b + 1}/${nBatches}`;
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
export function divergence(where: string, what: string, stage: Stage, lr: number): UserError {
  return new UserError(`${where}: training diverged (${what}); lower stage${stage}.lr (now ${lr}) in the config and rerun`);
}

/**
 * Validation loss (the stage's segmentation loss on the main logits) and score in the run's metric
 * (`data.metric`: the mean over the validation images of the metric's per-image score,
 * @segkit/metrics' thresholdStats and meanScoreFromStats) at logit 0, i.e. p = 0.5, of a model or
 * of the logit mean of several, with the logits themselves ((nVal, H, W) in `valIdx` order, no
 * TTA; input.mode "crop": full size, by tiledLogits). A model with an empty-mask gate is scored with its gate at logit 0 too: an image whose gate
 * logit is ≤ 0 counts as predicted empty.
 */
export function validate(model: tf.LayersModel | tf.LayersModel[], lossFn: LossFn, data: EpochData): { val_loss: number; val_score: number; logits: Float32Array } {
  const { config, train, valIdx, metric } = data;
  const pixels = train.height * train.width;
  // The train section's batch size: training's outcome depends on no other step's settings.
  const bs = config.train.batchSize;
  const gate = new Float32Array(valIdx.length);
  let gated = false;
  const crop = resolveCrop(config.input);
  // input.mode "crop": the model reads crops, so the full-size logits are blended from tiles (no gate read).
  const logits =
    crop
      ? tiledLogits(model, train.images, valIdx, train.height, train.width, crop, { batchSize: bs, channels: train.channels ?? 1 })
      : forwardLogits(model, train.images, valIdx, train.height, train.width, {
          batchSize: bs,
          channels: train.channels ?? 1,
          onGate: (g, start) => {
            gate.set(g, start);
            gated = true;
          },
        });
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
  const scored = gated ? logits.slice() : logits;
  if (gated) gate.forEach((g, k) => (g > 0 ? undefined : scored.fill(-1, k * pixels, (k + 1) * pixels)));
  const stats = thresholdStats(scored, truths, pixels, [0], { metric, width: train.width });
  return { val_loss: lossSum / valIdx.length, val_score: meanScoreFromStats(stats)[0], logits };
}

/** Batches of the fold's training images, in order, with training's augmentations from a seed of their own: what a BatchNorm recomputation sees. */
export function* batchNormBatches(data: EpochData, stage: Stage): Generator<tf.Tensor4D> {
  const { config, train, fold, trainIdx } = data;
  const bs = config.train.batchSize;
  const crop = configCrop(config);
  for (let start = 0, b = 0; start < trainIdx.length; start += bs, b++) {
    const rng = new Rng(mixSeed(config.seed, fold, stage, -1, b));
    const { x, y } = trainingBatch(train.images, train.masks, trainIdx.slice(start, start + bs), train.height, train.width, config.train.augment, rng, train.channels ?? 1, crop);
    y.dispose();
    yield x;
  }
}
