import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileSha256 } from '@segkit/encoders';
import { configSliceHash, PipelineConfig } from '@segkit/config';
import type { TrainSet } from '@segkit/data';
import type { MetricName } from '@segkit/metrics';
import { Stage, TRAIN_STAGE_CONFIG } from '@segkit/run';

/** sha-256 of the train ids, images (and their channels, when 3) and masks: what training reads of the data. */
export function trainDataHash(train: TrainSet): string {
  return createHash('sha256')
    .update(`${train.height}x${train.width}${train.channels === 3 ? 'x3' : ''}\n`)
    .update(train.ids.join('\n'))
    .update(train.images)
    .update(train.masks)
    .digest('hex');
}

/**
 * What training reads of the data in a pseudo-label round: the train data's hash and the
 * pseudo-labels' fingerprint (@segkit/pseudo); without pseudo-labels the train data's hash alone,
 * so a run without them keeps its fingerprints.
 */
export function pseudoDataHash(trainHash: string, pseudoFingerprint: string | undefined): string {
  return pseudoFingerprint === undefined ? trainHash : createHash('sha256').update(`train ${trainHash}\npseudo ${pseudoFingerprint}\n`).digest('hex');
}

const shaMemo = new Map<string, string>();

/** sha-256 of the encoder weights file (resolved from the working directory), once per process. */
function encoderWeightsSha256(path: string): string {
  const full = resolve(path);
  let sha = shaMemo.get(full);
  if (sha === undefined) {
    sha = fileSha256(full);
    shaMemo.set(full, sha);
  }
  return sha;
}

/**
 * What a stage's weights are trained from. Stage 1: the config sections it reads
 * (TRAIN_STAGE_CONFIG of @segkit/run — seed, folds, model, train, stage1 — with defaults filled in),
 * the fold, its validation ids, the train pixels (`dataHash`, see {@link trainDataHash}) and the
 * content of `model.encoderWeights` when set, and the metric choosing its best epoch when it is not
 * TGS mAP (which keys as it did before the metric was a choice).
 * Stage 2: its own section and stage 1's fingerprint, since it starts from stage 1's best weights.
 * A stage's checkpoints, best model and result are reused only when its fingerprint matches, so a
 * change to stage 2 alone keeps stage 1; nothing else (predict, ensemble, tune, the name) enters.
 */
export function stageFingerprint(
  config: PipelineConfig,
  train: TrainSet,
  folds: Map<string, number>,
  fold: number,
  stage: Stage,
  dataHash = trainDataHash(train),
  metric: MetricName = 'tgs-map',
): string {
  const h = createHash('sha256');
  if (stage === 2) {
    h.update(`stage 2\nfrom ${stageFingerprint(config, train, folds, fold, 1, dataHash, metric)}\nconfig ${configSliceHash(config, TRAIN_STAGE_CONFIG[2])}\n`);
  } else {
    h.update(`stage 1 fold ${fold}\nconfig ${configSliceHash(config, TRAIN_STAGE_CONFIG[1])}\ndata ${dataHash}\n`);
    if (metric !== 'tgs-map') h.update(`metric ${metric}\n`);
    // The pretrained encoder's weights by content: the same path with other bytes retrains.
    const weights = config.model.encoderWeights;
    if (weights !== undefined) h.update(`encoderWeights ${encoderWeightsSha256(weights)}\n`);
    h.update('val ');
    h.update(train.ids.filter((id) => folds.get(id) === fold).join(','));
  }
  return h.digest('hex');
}
