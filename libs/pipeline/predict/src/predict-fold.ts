import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { configSliceHash, PipelineConfig } from '@segkit/config';
import type { ImageSet, TestImages, TrainSet } from '@segkit/data';
import { NpyWriter, Progress, UserError, writeIdsFile, writeNpy } from '@segkit/io';
import { exportInferenceModel, forwardLogits, identityTta, tiledLogits, TileSettings, InferenceModel, loadInferenceModel, loadModel, LogitsModel, saveInferenceModel, TtaPair, ttaPairs } from '@segkit/models';
import { predictLayout, stageLayout, STEPS } from '@segkit/run';
import { resolveCrop } from '@segkit/resize';
import { splitFold } from '@segkit/folds';
import { readStageDone, readStageValLogits, readWeightsFingerprint, snapshotDirs, stageOutputDir } from '@segkit/train';
import { PredictionMeta, readPredictionMetaIfAny, writeFoldGate, writePredictionMeta } from './artifacts';

/** The forward passes' settings; `tile` (input.mode "crop"): full-size logits blended from tiles of the model's size (tiledLogits). */
type PredictOptions = { batchSize: number; ttas: TtaPair[]; channels: 1 | 3; tile?: TileSettings };

/**
 * Logits of full-size images by tiles, `opts.batchSize` images at a time, each batch's handed to
 * `onBatch` as forwardLogits hands its own (no gate: a tile's gate does not score the image).
 */
function tiledBatches(model: LogitsModel | LogitsModel[], images: Uint8Array, indices: number[], height: number, width: number, tile: TileSettings, opts: PredictOptions, onBatch: (v: Float32Array) => void): void {
  for (let start = 0; start < indices.length; start += opts.batchSize) {
    onBatch(tiledLogits(model, images, indices.slice(start, start + opts.batchSize), height, width, tile, { batchSize: opts.batchSize, ttas: opts.ttas, channels: opts.channels }));
  }
}

/**
 * Logits of the images at `indices`, streamed batch by batch into a `.npy` file (N, H, W) committed
 * by rename. Returns the models' gate logits (N,) when they have an empty-mask gate.
 */
function streamLogits(
  path: string,
  label: string,
  model: LogitsModel | LogitsModel[],
  images: Uint8Array,
  indices: number[],
  height: number,
  width: number,
  opts: PredictOptions,
): Float32Array | undefined {
  const writer = new NpyWriter(path, [indices.length, height, width]);
  let gate: Float32Array | undefined;
  try {
    const progress = new Progress(label, indices.length);
    const onBatch = (v: Float32Array): void => {
      writer.write(v);
      progress.tick(v.length / (height * width));
    };
    if (opts.tile) tiledBatches(model, images, indices, height, width, opts.tile, opts, onBatch);
    else forwardLogits(model, images, indices, height, width, { ...opts, onBatch, onGate: (g, start) => (gate ??= new Float32Array(indices.length)).set(g, start) });
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
  return gate;
}

/** Test images read, predicted and written per chunk (rounded up to whole prediction batches). */
const TEST_CHUNK_IMAGES = 256;

/** The test set's logits streamed to a `.npy` (N, H, W) committed by rename, its images read a chunk at a time. */
function streamTestLogits(path: string, label: string, model: LogitsModel[], test: TestSource, chunk: number, opts: PredictOptions): Float32Array | undefined {
  const { height, width } = test;
  const writer = new NpyWriter(path, [test.ids.length, height, width]);
  let gate: Float32Array | undefined;
  try {
    const progress = new Progress(label, test.ids.length);
    let offset = 0;
    for (const { n, images } of testChunks(test, chunk)) {
      const first = offset;
      const onBatch = (v: Float32Array): void => {
        writer.write(v);
        progress.tick(v.length / (height * width));
      };
      const indices = Array.from({ length: n }, (_, k) => k);
      if (opts.tile) tiledBatches(model, images, indices, height, width, opts.tile, opts, onBatch);
      else forwardLogits(model, images, indices, height, width, { ...opts, onBatch, onGate: (g, start) => (gate ??= new Float32Array(test.ids.length)).set(g, first + start) });
      offset += n;
    }
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
  return gate;
}

/**
 * Exports the fold's stage-2 models to stock-layer inference models under `predict/models/`: its
 * averaged model (`averaged`) when stage 2 averaged its weights, else its best model (`best`) or,
 * with `predict.snapshots`, every cycle-end snapshot (`snapshot-<epoch>`). Returns their names in
 * the order their logits are averaged.
 */
async function exportFoldModels(config: PipelineConfig, foldDir: string): Promise<string[]> {
  const averaged = readStageDone(foldDir, 2)?.averaged !== undefined;
  const sources: Array<[string, string]> = averaged
    ? [['averaged', stageOutputDir(foldDir, 2)]]
    : config.predict.snapshots
      ? snapshotDirs(foldDir).map(([epoch, dir]) => [`snapshot-${epoch}`, dir])
      : [['best', stageOutputDir(foldDir, 2)]];
  if (sources.length === 0) {
    throw new UserError(`${stageLayout(foldDir, 2).dir}: no cycle-end snapshots; predict.snapshots needs stage 2 to finish at least one cosine cycle`);
  }
  const modelsDir = predictLayout(foldDir).models;
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

/**
 * sha-256 of an image set's size (and channels, when 3), ids and pixels, in its order (the pixels
 * whole, or as the chunks `images` yields in order: the same digest).
 */
export function imagesHash(ids: readonly string[], height: number, width: number, images: Uint8Array | Iterable<Uint8Array>, channels: 1 | 3 = 1): string {
  const h = createHash('sha256').update(`${height}x${width}${channels === 3 ? 'x3' : ''}\n`).update(ids.join('\n')).update('\n');
  for (const chunk of images instanceof Uint8Array ? [images] : images) h.update(chunk);
  return h.digest('hex');
}

/** The test images as chunks to stream: an in-memory set wrapped, or the cache opened by @segkit/data's openTestSet. */
type TestSource = Pick<TestImages, 'ids' | 'height' | 'width' | 'sizes' | 'read'> & { channels?: 1 | 3 };
function testSource(test: ImageSet | TestImages): TestSource {
  if (!('images' in test)) return test;
  const values = test.height * test.width * (test.channels ?? 1);
  return { ids: test.ids, height: test.height, width: test.width, channels: test.channels, sizes: test.sizes, read: (start, n) => test.images.subarray(start * values, (start + n) * values) };
}

/** The test images chunk by chunk: (start, n, pixels), `chunk` images at a time. */
function* testChunks(test: TestSource, chunk: number): Generator<{ start: number; n: number; images: Uint8Array }> {
  for (let start = 0; start < test.ids.length; start += chunk) {
    const n = Math.min(chunk, test.ids.length - start);
    yield { start, n, images: test.read(start, n) };
  }
}

/**
 * What a fold's logits are computed from: the trained weights (their fingerprint, which covers
 * the training config slices, the fold and the train pixels), the predict section (defaults filled
 * in), and the OOF and test images themselves (ids and decoded pixels). Test images replaced by
 * others under the same ids give another fingerprint, so they are predicted again.
 */
export function predictionFingerprint(config: PipelineConfig, weightsFingerprint: string, oofImagesHash: string, testImagesHash: string): string {
  return createHash('sha256')
    .update(`weights ${weightsFingerprint}\npredict ${configSliceHash(config, STEPS.predict.config)}\noof ${oofImagesHash}\ntest ${testImagesHash}\n`)
    .digest('hex');
}

/** A set's own image sizes (2 per image) as [height, width] pairs. */
function imageSizes(sizes: Uint32Array): Array<[number, number]> {
  return Array.from({ length: sizes.length / 2 }, (_, i) => [sizes[2 * i], sizes[2 * i + 1]]);
}

/** The bytes of the images at `indices` (`pixels` = bytes per image), in that order. */
function gather(images: Uint8Array, indices: readonly number[], pixels: number): Uint8Array {
  const out = new Uint8Array(indices.length * pixels);
  indices.forEach((i, k) => out.set(images.subarray(i * pixels, (i + 1) * pixels), k * pixels));
  return out;
}

/**
 * Stage 1's OOF logits: the ones training's validation pass computed for stage 1's output model
 * (@segkit/train's readStageValLogits; no TTA), else — a fold trained before they were kept, or
 * a damaged file — predicted here with the TTA pairs. Returns the TTA they were computed with.
 */
async function writeOofStage1(input: PredictFoldInput, valIdx: number[], opts: PredictOptions, log: (msg: string) => void): Promise<string[]> {
  const { train, fold, foldDir } = input;
  const { height, width } = train;
  const path = predictLayout(foldDir).oofStage1;
  try {
    const logits = readStageValLogits(foldDir, 1, { n: valIdx.length, height, width });
    if (logits) {
      writeNpy(path, logits, [valIdx.length, height, width]);
      log(`fold ${fold}: OOF stage 1 from training's validation pass (no TTA)`);
      return [identityTta.name];
    }
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    log(`fold ${fold}: ${err.message}; predicting stage 1's OOF logits instead`);
  }
  const stage1 = await loadModel(stageOutputDir(foldDir, 1));
  try {
    streamLogits(path, `fold ${fold} OOF stage 1`, stage1, train.images, valIdx, height, width, opts);
  } finally {
    stage1.dispose();
  }
  return opts.ttas.map((t) => t.name);
}

export interface PredictFoldInput {
  config: PipelineConfig;
  train: TrainSet;
  /** In memory, or streamed chunk by chunk from the data cache (@segkit/data's openTestSet): memory then holds one chunk of images and logits. */
  test: ImageSet | TestImages;
  folds: Map<string, number>;
  fold: number;
  foldDir: string;
  log?: (msg: string) => void;
  /** Test images per chunk (default 256, rounded up to whole prediction batches); bounds memory, not results. */
  chunkImages?: number;
}

/**
 * Out-of-fold logits of the fold's validation images after each stage (stage 1's output model; stage
 * 2's exported averaged or best model, or snapshot mean) and test logits of stage 2's, each averaged over the TTA
 * pairs in logit space. Test logits stream to disk batch by batch.
 */
export async function predictFold(input: PredictFoldInput): Promise<PredictionMeta> {
  const { config, train, folds, fold, foldDir } = input;
  const test = testSource(input.test);
  // Whole prediction batches per chunk, so the batches are the ones an in-memory test set gets.
  const chunk = config.predict.batchSize * Math.max(1, Math.ceil((input.chunkImages ?? TEST_CHUNK_IMAGES) / config.predict.batchSize));
  const log = input.log ?? (() => undefined);
  const paths = predictLayout(foldDir);
  if (test.height !== train.height || test.width !== train.width) {
    throw new UserError(`test images are ${test.height}×${test.width}, train images ${train.height}×${train.width}`);
  }
  const channels = train.channels ?? 1;
  if ((test.channels ?? 1) !== channels) throw new UserError(`test images have ${test.channels ?? 1} channel(s), train images ${channels}`);
  const { valIdx } = splitFold(train, folds, fold);
  const { height, width } = train;
  const weights = readWeightsFingerprint(foldDir);
  const fingerprint = predictionFingerprint(
    config,
    weights,
    imagesHash(valIdx.map((i) => train.ids[i]), height, width, gather(train.images, valIdx, height * width * channels), channels),
    imagesHash(
      test.ids,
      height,
      width,
      (function* () {
        for (const c of testChunks(test, chunk)) yield c.images;
      })(),
      channels,
    ) + (test.sizes ? ` sizes ${createHash('sha256').update(test.sizes).digest('hex')}` : ''),
  );
  let previous: PredictionMeta | undefined;
  try {
    previous = readPredictionMetaIfAny(foldDir);
  } catch (err) {
    // This lib owns the file: a damaged one is replaced, not a reason to stop.
    if (!(err instanceof UserError)) throw err;
    log(`fold ${fold}: ${err.message.split(';')[0]}; predicting again`);
  }
  if (previous?.fingerprint === fingerprint) {
    log(`fold ${fold}: predictions already written`);
    return previous;
  }
  if (previous) log(`fold ${fold}: predictions were made from other weights, settings or images; predicting again`);
  // meta.json commits the folder: without it nothing reads the logits being replaced.
  rmSync(paths.meta, { force: true });
  const ttas = ttaPairs(config.predict.hflipTta);
  const crop = resolveCrop(config.input);
  const opts: PredictOptions = { batchSize: config.predict.batchSize, ttas, channels, ...(crop ? { tile: crop } : {}) };

  const oofStage1Tta = await writeOofStage1(input, valIdx, opts, log);
  const names = await exportFoldModels(config, foldDir);
  const models = await loadFoldModels(paths.models, names);
  let gated = false;
  try {
    const oofGate = streamLogits(paths.oofStage2, `fold ${fold} OOF stage 2`, models, train.images, valIdx, height, width, opts);
    const testGate = streamTestLogits(paths.test, `fold ${fold} test`, models, test, chunk, opts);
    // The empty-mask gate's logits beside the pixel logits (test: all zero-length when there are no test images).
    rmSync(paths.oofGate, { force: true });
    rmSync(paths.testGate, { force: true });
    if (oofGate) {
      writeFoldGate(foldDir, 'oof', oofGate);
      writeFoldGate(foldDir, 'test', testGate ?? new Float32Array(0));
      gated = true;
    }
  } finally {
    models.forEach((m) => m.dispose());
  }
  writeIdsFile(paths.oofIds, valIdx.map((i) => train.ids[i]));
  writeIdsFile(paths.testIds, test.ids);
  const meta: PredictionMeta = {
    fold,
    height,
    width,
    nOof: valIdx.length,
    nTest: test.ids.length,
    testIds: test.ids,
    ...(test.sizes ? { testSizes: imageSizes(test.sizes) } : {}),
    tta: ttas.map((t) => t.name),
    oofStage1Tta,
    models: names,
    weights,
    fingerprint,
    ...(gated ? { gate: true as const } : {}),
  };
  writePredictionMeta(foldDir, meta);
  log(`fold ${fold}: ${valIdx.length} OOF and ${test.ids.length} test predictions (TTA: ${meta.tta.join(' + ')}; stage 2 model${names.length > 1 ? 's' : ''}: ${names.join(', ')})`);
  return meta;
}
