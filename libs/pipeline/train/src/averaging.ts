/**
 * Weight averaging within a training stage, the two ways segmentation winners used it:
 * - EMA (Polyak averaging, as timm's ModelEmaV2): after every optimizer step every weight of the
 *   model — BatchNorm's moving statistics included — is folded into a shadow copy,
 *   s ← d·s + (1 − d)·w, so after n steps from s₀ with weights w₁…wₙ at a constant d
 *   sₙ = dⁿ·s₀ + (1 − d)·Σᵢ dⁿ⁻ⁱ·wᵢ. The decay of step k (1-based) is min(d, (1 + k)/(10 + k)),
 *   TensorFlow's ExponentialMovingAverage with num_updates: on a short stage (a few dozen steps)
 *   dⁿ·s₀ would otherwise keep a large share of the starting weights, random ones in stage 1.
 * - SWA (Izmailov et al. 2018): the plain mean of the weights at chosen epoch ends (the stage's last
 *   epochs, or stage 2's cosine cycle ends), kept as a running mean m ← m + (w − m)/(k + 1) over the
 *   k members so far; afterwards BatchNorm's statistics are recomputed on training batches (the
 *   averaged weights see other activations than any member did; see {@link recomputeBatchNorm}).
 * The running average is saved with every checkpoint, so a stage killed and resumed averages the
 * same weights to the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import type { StageConfig } from '@segkit/config';

export type AveragingKind = 'ema' | 'swa';

/** s ← d·s + (1 − d)·w for each pair, in place; `decay` d in [0, 1). */
export function emaStep(shadow: readonly tf.Variable[], weights: readonly tf.Tensor[], decay: number): void {
  if (shadow.length !== weights.length) throw new Error(`emaStep: ${shadow.length} shadow weights for ${weights.length} weights`);
  if (!(decay >= 0 && decay < 1)) throw new Error(`emaStep: decay must be in [0, 1), got ${decay}`);
  tf.tidy(() => shadow.forEach((s, i) => s.assign(tf.add(tf.mul(s, decay), tf.mul(weights[i], 1 - decay)))));
}

/** m ← m + (w − m)/(k + 1) for each pair, in place: the mean of k members becomes the mean of k + 1. */
export function swaStep(mean: readonly tf.Variable[], weights: readonly tf.Tensor[], members: number): void {
  if (mean.length !== weights.length) throw new Error(`swaStep: ${mean.length} averaged weights for ${weights.length} weights`);
  if (!Number.isInteger(members) || members < 0) throw new Error(`swaStep: members must be a non-negative integer, got ${members}`);
  tf.tidy(() => mean.forEach((m, i) => m.assign(tf.add(m, tf.div(tf.sub(weights[i], m), members + 1)))));
}

/** The decay of EMA step k (1-based): min(d, (1 + k)/(10 + k)), so early steps forget the starting weights fast. */
export function emaDecay(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

/** The averaging a stage's settings ask for, or undefined when it keeps only its best epoch. */
export function averagingKind(cfg: StageConfig): AveragingKind | undefined {
  if (cfg.ema.decay > 0) return 'ema';
  if (cfg.swa.epochs > 0 || cfg.swa.snapshots) return 'swa';
  return undefined;
}

/**
 * Whether the end of 0-based `epoch` adds the weights to a stage's SWA mean: one of the last
 * `swa.epochs` epochs of the schedule, or (with `swa.snapshots`) a cosine cycle end.
 */
export function isSwaMember(cfg: StageConfig, epoch: number, cycleEnd: boolean): boolean {
  if (cfg.swa.snapshots) return cycleEnd;
  return cfg.swa.epochs > 0 && epoch >= cfg.epochs - cfg.swa.epochs;
}

/** The running average of a stage: its variables (one per model weight, in the model's order) and how many members or steps it holds. */
export class WeightAverage {
  private constructor(
    readonly kind: AveragingKind,
    readonly vars: tf.Variable[],
    public members: number,
  ) {}

  /** A fresh average starting from the model's current weights (EMA's s₀; SWA's values are replaced by its first member). */
  static start(kind: AveragingKind, model: tf.LayersModel): WeightAverage {
    return new WeightAverage(kind, model.weights.map((w) => tf.variable(w.read(), false)), 0);
  }

  /** An average restored from a checkpoint's tensors (copied; the caller keeps ownership of `values`). */
  static restore(kind: AveragingKind, model: tf.LayersModel, values: readonly tf.Tensor[], members: number): WeightAverage {
    if (values.length !== model.weights.length) throw new Error(`checkpoint has ${values.length} averaged weights, the model has ${model.weights.length}`);
    return new WeightAverage(kind, values.map((v) => tf.variable(v, false)), members);
  }

  /** EMA: folds the model's weights after an optimizer step in, at the step's decay (see {@link emaDecay}). */
  afterStep(model: tf.LayersModel, decay: number): void {
    emaStep(this.vars, model.weights.map((w) => w.read()), emaDecay(decay, this.members + 1));
    this.members++;
  }

  /** SWA: adds the model's weights at an epoch end as one more member. */
  addMember(model: tf.LayersModel): void {
    swaStep(this.vars, model.weights.map((w) => w.read()), this.members);
    this.members++;
  }

  /** The averaged values, for a checkpoint (live variables: not to be disposed by the caller). */
  tensors(): tf.Tensor[] {
    return this.vars;
  }

  dispose(): void {
    this.vars.forEach((v) => v.dispose());
  }
}

/** The BatchNormalization layers of a model, nested models included. */
function batchNormLayers(layers: readonly tf.layers.Layer[]): Array<tf.layers.Layer & { momentum: number }> {
  const out: Array<tf.layers.Layer & { momentum: number }> = [];
  for (const layer of layers) {
    if (layer.getClassName() === 'BatchNormalization') out.push(layer as tf.layers.Layer & { momentum: number });
    const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (Array.isArray(inner)) out.push(...batchNormLayers(inner));
  }
  return out;
}

/**
 * Recomputes every BatchNorm layer's moving mean and variance as the plain average, over the given
 * batches, of the batch statistics the layer sees in training mode (PyTorch's `update_bn` with
 * momentum None). tfjs updates m ← m − (m − x)·(1 − momentum); with momentum 1 − 1/k at the k-th
 * batch that is m ← m + (x − m)/k, the running mean. Only the moving statistics change (training
 * mode's forward pass writes nothing else). Returns the number of BatchNorm layers.
 */
export function recomputeBatchNorm(model: tf.LayersModel, batches: Iterable<tf.Tensor4D>): number {
  const layers = batchNormLayers(model.layers);
  if (layers.length === 0) return 0;
  const momenta = layers.map((l) => l.momentum);
  try {
    let k = 0;
    for (const x of batches) {
      k++;
      for (const l of layers) l.momentum = 1 - 1 / k;
      tf.tidy(() => {
        model.apply(x, { training: true });
      });
      x.dispose();
    }
  } finally {
    layers.forEach((l, i) => (l.momentum = momenta[i]));
  }
  return layers.length;
}
