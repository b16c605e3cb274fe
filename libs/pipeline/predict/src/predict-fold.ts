import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineConfig } from '@tgs/config';
import type { ImageSet, TrainSet } from '@tgs/data';
import { atomicWriteFile, atomicWriteJson, NpyWriter, Progress, UserError } from '@tgs/io';
import { exportInferenceModel, InferenceModel, loadInferenceModel, loadModel, saveInferenceModel } from '@tgs/models';
import { bestModelDir, foldFingerprint, forwardLogits, LogitsModel, snapshotDirs, splitFold, stageDir, TtaPair } from '@tgs/train';
import { ttaPairs } from './tta';

/** Logits of the images at `indices`, streamed batch by batch into a `.npy` file (N, H, W) committed by rename. */
function streamLogits(
  path: string,
  label: string,
  model: LogitsModel | LogitsModel[],
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
    /** The stage-2 models behind oof-stage2 and test, exported to stock tfjs layers: `models/<name>/model.json`. */
    models: join(dir, 'models'),
    meta: join(dir, 'meta.json'),
  };
}

/**
 * Exports the fold's stage-2 models to stock-layer inference models under `predict/models/`: its
 * best model (`best`), or with `predict.snapshots` every cycle-end snapshot (`snapshot-<epoch>`).
 * Returns their names in the order their logits are averaged.
 */
async function exportFoldModels(config: PipelineConfig, foldDir: string): Promise<string[]> {
  const sources: Array<[string, string]> = config.predict.snapshots
    ? snapshotDirs(foldDir).map(([epoch, dir]) => [`snapshot-${epoch}`, dir])
    : [['best', bestModelDir(foldDir, 2)]];
  if (sources.length === 0) {
    throw new UserError(`${stageDir(foldDir, 2)}: no cycle-end snapshots; predict.snapshots needs stage 2 to finish at least one cosine cycle`);
  }
  const modelsDir = predictionPaths(foldDir).models;
  rmSync(modelsDir, { recursive: true, force: true });
  for (const [name, dir] of sources) {
    const model = await loadModel(dir);
    try {
      const { model: exported } = await exportInferenceModel(model);
      await saveInferenceModel(exported, join(modelsDir, name));
      exported.dispose();
    } finally {
      model.dispose();
    }
  }
  return sources.map(([name]) => name);
}

/** Loads a fold's exported models by name (see {@link PredictionMeta.models}). */
export async function loadFoldModels(modelsDir: string, names: string[]): Promise<InferenceModel[]> {
  const out: InferenceModel[] = [];
  try {
    for (const name of names) out.push(await loadInferenceModel(join(modelsDir, name)));
  } catch (err) {
    out.forEach((m) => m.dispose());
    throw err;
  }
  return out;
}

export interface PredictionMeta {
  fold: number;
  height: number;
  width: number;
  nOof: number;
  nTest: number;
  testIds: string[];
  tta: string[];
  /** The exported stage-2 models under `predict/models/` whose mean gives oof-stage2 and test. */
  models: string[];
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
 * Out-of-fold logits of the fold's validation images after each stage (stage 1's best model; stage
 * 2's exported best model or snapshot mean) and test logits of stage 2's, each averaged over the TTA
 * pairs in logit space. Test logits stream to disk batch by batch.
 */
export async function predictFold(input: PredictFoldInput): Promise<PredictionMeta> {
  const { config, train, test, folds, fold, foldDir } = input;
  const log = input.log ?? (() => undefined);
  const paths = predictionPaths(foldDir);
  const fingerprint = foldFingerprint(config, train, folds, fold);
  if (existsSync(paths.meta)) {
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as PredictionMeta;
    if (
      meta.fingerprint === fingerprint &&
      Array.isArray(meta.models) &&
      meta.nTest === test.ids.length &&
      meta.testIds.every((id, i) => id === test.ids[i])
    ) {
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
  const stage1 = await loadModel(bestModelDir(foldDir, 1));
  try {
    streamLogits(paths.oofStage1, `fold ${fold} OOF stage 1`, stage1, train.images, valIdx, height, width, opts);
  } finally {
    stage1.dispose();
  }
  const names = await exportFoldModels(config, foldDir);
  const models = await loadFoldModels(paths.models, names);
  try {
    streamLogits(paths.oofStage2, `fold ${fold} OOF stage 2`, models, train.images, valIdx, height, width, opts);
    streamLogits(paths.test, `fold ${fold} test`, models, test.images, allTest, height, width, opts);
  } finally {
    models.forEach((m) => m.dispose());
  }
  atomicWriteFile(paths.oofIds, valIdx.map((i) => train.ids[i]).join('\n') + '\n');
  atomicWriteFile(paths.testIds, test.ids.join('\n') + '\n');
  const meta: PredictionMeta = { fold, height, width, nOof: valIdx.length, nTest: test.ids.length, testIds: test.ids, tta: ttas.map((t) => t.name), models: names, fingerprint };
  atomicWriteJson(paths.meta, meta);
  log(`fold ${fold}: ${valIdx.length} OOF and ${test.ids.length} test predictions (TTA: ${meta.tta.join(' + ')}; stage 2 model${names.length > 1 ? 's' : ''}: ${names.join(', ')})`);
  return meta;
}
