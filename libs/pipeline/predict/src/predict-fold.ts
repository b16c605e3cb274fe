import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineConfig } from '@tgs/config';
import type { ImageSet, TrainSet } from '@tgs/data';
import { atomicWriteFile, atomicWriteJson, NpyWriter, Progress } from '@tgs/io';
import { loadModel } from '@tgs/models';
import type * as tf from '@tensorflow/tfjs';
import { bestModelDir, foldFingerprint, forwardLogits, splitFold, TtaPair } from '@tgs/train';
import { ttaPairs } from './tta';

/** Logits of the images at `indices`, streamed batch by batch into a `.npy` file (N, H, W) committed by rename. */
function streamLogits(
  path: string,
  label: string,
  model: tf.LayersModel,
  images: Uint8Array,
  indices: number[],
  height: number,
  width: number,
  opts: { batchSize: number; ttas: TtaPair[] },
): void {
  const writer = new NpyWriter(path, [indices.length, height, width]);
  try {
    const progress = new Progress(label, indices.length);
    forwardLogits(model, images, indices, height, width, {
      ...opts,
      onBatch: (v) => {
        writer.write(v);
        progress.tick(v.length / (height * width));
      },
    });
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * Files of one fold's predictions: float32 logits as numpy `.npy` arrays of shape (N, H, W), each
 * with its image ids, one per line in the array's order, in a sidecar text file.
 */
export function predictionPaths(foldDir: string) {
  const dir = join(foldDir, 'predict');
  return {
    dir,
    oofIds: join(dir, 'oof-ids.txt'),
    oofStage1: join(dir, 'oof-stage1.npy'),
    oofStage2: join(dir, 'oof-stage2.npy'),
    testIds: join(dir, 'test-ids.txt'),
    test: join(dir, 'test.npy'),
    meta: join(dir, 'meta.json'),
  };
}

export interface PredictionMeta {
  fold: number;
  height: number;
  width: number;
  nOof: number;
  nTest: number;
  testIds: string[];
  tta: string[];
  /** The fold's training fingerprint (see foldFingerprint) when these logits were written. */
  fingerprint: string;
}

export interface PredictFoldInput {
  config: PipelineConfig;
  train: TrainSet;
  test: ImageSet;
  folds: Map<string, number>;
  fold: number;
  foldDir: string;
  log?: (msg: string) => void;
}

/**
 * Out-of-fold logits of the fold's validation images after each stage (stage 1's best model and
 * stage 2's best model) and test logits of stage 2's best model, each averaged over the TTA pairs
 * in logit space. Test logits stream to disk batch by batch.
 */
export async function predictFold(input: PredictFoldInput): Promise<PredictionMeta> {
  const { config, train, test, folds, fold, foldDir } = input;
  const log = input.log ?? (() => undefined);
  const paths = predictionPaths(foldDir);
  const fingerprint = foldFingerprint(config, train, folds, fold);
  if (existsSync(paths.meta)) {
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as PredictionMeta;
    if (meta.fingerprint === fingerprint && meta.nTest === test.ids.length && meta.testIds.every((id, i) => id === test.ids[i])) {
      log(`fold ${fold}: predictions already written`);
      return meta;
    }
  }
  if (test.height !== train.height || test.width !== train.width) {
    throw new Error(`test images are ${test.height}×${test.width}, train images ${train.height}×${train.width}`);
  }
  const { valIdx } = splitFold(train, folds, fold);
  const ttas = ttaPairs(config.predict.hflipTta);
  const opts = { batchSize: config.predict.batchSize, ttas };
  const { height, width } = train;

  const allTest = Array.from({ length: test.ids.length }, (_, i) => i);
  for (const stage of [1, 2] as const) {
    const model = await loadModel(bestModelDir(foldDir, stage));
    try {
      streamLogits(stage === 1 ? paths.oofStage1 : paths.oofStage2, `fold ${fold} OOF stage ${stage}`, model, train.images, valIdx, height, width, opts);
      if (stage === 2) streamLogits(paths.test, `fold ${fold} test`, model, test.images, allTest, height, width, opts);
    } finally {
      model.dispose();
    }
  }
  atomicWriteFile(paths.oofIds, valIdx.map((i) => train.ids[i]).join('\n') + '\n');
  atomicWriteFile(paths.testIds, test.ids.join('\n') + '\n');
  const meta: PredictionMeta = { fold, height, width, nOof: valIdx.length, nTest: test.ids.length, testIds: test.ids, tta: ttas.map((t) => t.name), fingerprint };
  atomicWriteJson(paths.meta, meta);
  log(`fold ${fold}: ${valIdx.length} OOF and ${test.ids.length} test predictions (TTA: ${meta.tta.join(' + ')})`);
  return meta;
}
