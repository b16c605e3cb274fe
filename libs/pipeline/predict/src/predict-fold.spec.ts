import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@segkit/config';
import type { ImageSet, TrainSet } from '@segkit/data';
import { readNpy, UserError } from '@segkit/io';
import { loadModel } from '@segkit/models';
import { stageLayout } from '@segkit/run';
import { splitFold } from '@segkit/folds';
import { pairedFolds, saltSquares } from '@segkit/folds/testing';
import { bestModelDir, trainFold } from '@segkit/train';
import { predictionPaths, readFoldGate, readPredictionMeta, writeFoldGate } from './artifacts';
import { predictFold } from './predict-fold';
import { useBackend } from '@segkit/backend/testing';

/** Eight 16×16 images, a bright square on every other one; four test images. */
function tinySets(): { train: TrainSet; test: ImageSet } {
  const train = saltSquares({ n: 8, size: 16, square: { x0: 3, x1: 11, y0: 5, y1: 12 }, salt: 210, background: (x, y, i) => 30 + ((x * 3 + y + i) % 7) * 9 });
  const { height: h, width: w } = train;
  const test = { ids: ['t0', 't1', 't2', 't3'], height: h, width: w, images: train.images.slice(0, 4 * h * w).reverse(), depths: new Float32Array(4).fill(NaN) };
  return { train, test };
}

const raw = {
  seed: 3,
  folds: { k: 2 },
  model: { depth: 1, baseFilters: 2, padTo: 18 },
  train: { batchSize: 4 },
  stage1: { epochs: 1, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 2, lr: 0.01, loss: [{ kind: 'lovasz', weight: 1 }], schedule: { kind: 'cosine', cycles: 2 } },
  predict: { hflipTta: true, batchSize: 3 },
};

/** Logits of a training-graph model with hflip TTA, written out by hand: (f(x) + flip(f(flip(x)))) / 2. */
function referenceLogits(model: tf.LayersModel, images: Uint8Array, n: number, h: number, w: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(images, (v) => v / 255), [n, h, w, 1]);
    const plain = model.predict(x) as tf.Tensor;
    const flipped = tf.reverse(model.predict(tf.reverse(x, 2)) as tf.Tensor, 2);
    return tf.div(tf.add(plain, flipped), 2).dataSync() as Float32Array;
  });
}

describe('predictFold', () => {
  const { train, test } = tinySets();
  const folds = pairedFolds(train.ids);
  let foldDir: string;

  beforeAll(async () => {
    await useBackend('wasm');
  });
  beforeEach(() => {
    foldDir = mkdtempSync(join(tmpdir(), 'predict-'));
  });
  afterEach(() => rmSync(foldDir, { recursive: true, force: true }));

  it.each([
    ['best model', false, ['best']],
    ['snapshot ensemble', true, ['snapshot-1', 'snapshot-2']],
  ] as const)('%s: stage-2 logits from exported stock models match the training graph', async (_label, snapshots, names) => {
    const config = parseConfig({ ...raw, predict: { ...raw.predict, snapshots } });
    await trainFold({ config, train, folds, fold: 0, foldDir });
    const before = tf.memory().numTensors;
    const meta = await predictFold({ config, train, test, folds, fold: 0, foldDir });
    expect(tf.memory().numTensors).toBe(before);
    expect(meta.models).toEqual(names);
    const paths = predictionPaths(foldDir);
    for (const name of names) expect(existsSync(join(paths.models, name, 'model.json'))).toBe(true);

    // Independently: the training-graph models, hflip TTA by hand, mean over the models.
    const sources = snapshots ? [stageLayout(foldDir, 2).snapshot(1), stageLayout(foldDir, 2).snapshot(2)] : [bestModelDir(foldDir, 2)];
    const { h, w } = { h: train.height, w: train.width };
    const { valIdx } = splitFold(train, folds, 0);
    const valImages = new Uint8Array(valIdx.length * h * w);
    valIdx.forEach((i, k) => valImages.set(train.images.subarray(i * h * w, (i + 1) * h * w), k * h * w));
    const expectedOof = new Float32Array(valIdx.length * h * w);
    const expectedTest = new Float32Array(test.ids.length * h * w);
    for (const dir of sources) {
      const model = await loadModel(dir);
      referenceLogits(model, valImages, valIdx.length, h, w).forEach((v, i) => (expectedOof[i] += v / sources.length));
      referenceLogits(model, test.images, test.ids.length, h, w).forEach((v, i) => (expectedTest[i] += v / sources.length));
      model.dispose();
    }
    const oof = readNpy(paths.oofStage2);
    expect(oof.shape).toEqual([valIdx.length, h, w]);
    oof.data.forEach((v, i) => expect(Math.abs(v - expectedOof[i])).toBeLessThan(1e-4));
    const testLogits = readNpy(paths.test);
    expect(testLogits.shape).toEqual([4, h, w]);
    testLogits.data.forEach((v, i) => expect(Math.abs(v - expectedTest[i])).toBeLessThan(1e-4));
    expect(readFileSync(paths.testIds, 'utf8')).toBe('t0\nt1\nt2\nt3\n');
    // Streamed a chunk at a time from a reader (as from the data cache): the same bits, the same fingerprint.
    rmSync(paths.meta);
    const reads: number[][] = [];
    const reader = { ...test, file: '', bytes: 0, channels: 1 as const, close: () => undefined, images: undefined, read: (start: number, n: number) => (reads.push([start, n]), test.images.slice(start * h * w, (start + n) * h * w)) };
    const { images: _omit, ...streamed } = reader;
    const again = await predictFold({ config, train, test: streamed, folds, fold: 0, foldDir, chunkImages: 1 });
    expect(again.fingerprint).toBe(meta.fingerprint);
    // chunks of one prediction batch (3 images): once for the fingerprint, once for the logits
    expect(reads).toEqual([[0, 3], [3, 1], [0, 3], [3, 1]]);
    expect(Buffer.from(readNpy(paths.test).data.buffer).equals(Buffer.from(testLogits.data.buffer))).toBe(true);
    if (snapshots) {
      // Two different snapshots: their mean is not either one alone.
      const first = await loadModel(sources[0]);
      const alone = referenceLogits(first, test.images, 4, h, w);
      first.dispose();
      expect(Math.max(...alone.map((v, i) => Math.abs(v - expectedTest[i])))).toBeGreaterThan(1e-4);
    }
  }, 60_000);

  it("stage 1's OOF logits are training's own validation logits (no TTA); without them, predicted with TTA", async () => {
    const config = parseConfig(raw);
    await trainFold({ config, train, folds, fold: 0, foldDir });
    const { h, w } = { h: train.height, w: train.width };
    const { valIdx } = splitFold(train, folds, 0);
    const valImages = new Uint8Array(valIdx.length * h * w);
    valIdx.forEach((i, k) => valImages.set(train.images.subarray(i * h * w, (i + 1) * h * w), k * h * w));
    // Independently: stage 1's best model, one plain forward pass of the validation images.
    const stage1 = await loadModel(bestModelDir(foldDir, 1));
    const plain = tf.tidy(() => (stage1.predict(tf.tensor4d(Float32Array.from(valImages, (v) => v / 255), [valIdx.length, h, w, 1])) as tf.Tensor).dataSync() as Float32Array);
    const withTta = referenceLogits(stage1, valImages, valIdx.length, h, w);
    stage1.dispose();
    const logs: string[] = [];
    const before = tf.memory().numTensors;
    const meta = await predictFold({ config, train, test, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(tf.memory().numTensors).toBe(before);
    expect(meta.oofStage1Tta).toEqual(['identity']);
    expect(meta.tta).toEqual(['identity', 'hflip']);
    expect(logs.join('\n')).toMatch(/OOF stage 1 from training's validation pass \(no TTA\)/);
    const paths = predictionPaths(foldDir);
    readNpy(paths.oofStage1).data.forEach((v, i) => expect(Math.abs(v - plain[i])).toBeLessThan(1e-4));

    // A damaged copy (its sha-256 no longer the one done.json records): predicted here, with TTA.
    const valLogits = stageLayout(foldDir, 1).valLogits;
    const bytes = readFileSync(valLogits);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(valLogits, bytes);
    rmSync(paths.meta);
    logs.length = 0;
    const again = await predictFold({ config, train, test, folds, fold: 0, foldDir, log: (m) => logs.push(m) });
    expect(again.oofStage1Tta).toEqual(['identity', 'hflip']);
    expect(logs.join('\n')).toMatch(new RegExp(`${valLogits}: its sha-256 differs`));
    readNpy(paths.oofStage1).data.forEach((v, i) => expect(Math.abs(v - withTta[i])).toBeLessThan(1e-4));
  }, 60_000);

  it('with an empty-mask gate: writes the gate logits beside the pixel logits (hflip mean, as the training graph gives), read back through readFoldGate', async () => {
    const config = parseConfig({ ...raw, model: { ...raw.model, gate: true, deepSupervision: true } });
    await trainFold({ config, train, folds, fold: 0, foldDir });
    const before = tf.memory().numTensors;
    const meta = await predictFold({ config, train, test, folds, fold: 0, foldDir });
    expect(tf.memory().numTensors).toBe(before);
    expect(meta.gate).toBe(true);
    const { h, w } = { h: train.height, w: train.width };
    const { valIdx } = splitFold(train, folds, 0);
    // Independently: the training graph's gate output on the image and on its mirror, averaged.
    const model = await loadModel(bestModelDir(foldDir, 2));
    const gateOf = (images: Uint8Array, n: number) =>
      tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from(images, (v) => v / 255), [n, h, w, 1]);
        const a = (model.predict(x) as tf.Tensor[])[1];
        const b = (model.predict(tf.reverse(x, 2)) as tf.Tensor[])[1];
        return tf.div(tf.add(a, b), 2).dataSync() as Float32Array;
      });
    const valImages = new Uint8Array(valIdx.length * h * w);
    valIdx.forEach((i, k) => valImages.set(train.images.subarray(i * h * w, (i + 1) * h * w), k * h * w));
    const [expectedOof, expectedTest] = [gateOf(valImages, valIdx.length), gateOf(test.images, 4)];
    model.dispose();
    const oof = readFoldGate(foldDir, 'oof', meta) as Float32Array;
    const testGate = readFoldGate(foldDir, 'test', meta) as Float32Array;
    expect([oof.length, testGate.length]).toEqual([valIdx.length, 4]);
    oof.forEach((v, i) => expect(Math.abs(v - expectedOof[i])).toBeLessThan(1e-4));
    testGate.forEach((v, i) => expect(Math.abs(v - expectedTest[i])).toBeLessThan(1e-4));
    // The reader checks the file against meta.json.
    writeFoldGate(foldDir, 'test', new Float32Array(3));
    expect(() => readFoldGate(foldDir, 'test', meta)).toThrow(/test-gate\.npy: shape \(3\), expected \(4,\)/);
    expect(readFoldGate(foldDir, 'oof', { ...meta, gate: undefined })).toBeUndefined();
  }, 60_000);

  it('reuses predictions only when weights, predict settings and images are the same', async () => {
    const config = parseConfig(raw);
    await trainFold({ config, train, folds, fold: 1, foldDir });
    const logs: string[] = [];
    const run = (cfg = config, testSet: ImageSet = test) => predictFold({ config: cfg, train, test: testSet, folds, fold: 1, foldDir, log: (m) => logs.push(m) });
    const first = await run();
    const paths = predictionPaths(foldDir);
    const firstTest = readNpy(paths.test).data;
    const mtime = statSync(paths.test).mtimeMs;

    // Same inputs; the name, tune and ensemble sections and a default written out are not read.
    logs.length = 0;
    const same = await run(parseConfig({ ...raw, name: 'other', tune: { minAreas: [0] }, ensemble: { mode: 'prob-mean' }, predict: { ...raw.predict, snapshots: false } }));
    expect(same).toEqual(first);
    expect(logs.join('\n')).toMatch(/predictions already written/);
    expect(statSync(paths.test).mtimeMs).toBe(mtime);

    // Test images replaced by others under the same ids: predicted again, and the logits follow.
    logs.length = 0;
    const replaced = { ...test, images: Uint8Array.from(test.images, (v) => 255 - v) };
    const again = await run(config, replaced);
    expect(logs.join('\n')).not.toMatch(/predictions already written/);
    expect(logs.join('\n')).toMatch(/predicting again/);
    expect(again.testIds).toEqual(first.testIds);
    expect(again.fingerprint).not.toBe(first.fingerprint);
    const replacedTest = readNpy(paths.test).data;
    expect(replacedTest.length).toBe(firstTest.length);
    expect(replacedTest.some((v, i) => Math.abs(v - firstTest[i]) > 1e-4)).toBe(true);

    // A predict-only change (TTA off) predicts again from the same weights.
    logs.length = 0;
    const noTta = await run(parseConfig({ ...raw, predict: { ...raw.predict, hflipTta: false } }), replaced);
    expect(noTta.tta).toEqual(['identity']);
    expect(noTta.weights).toBe(first.weights);
    expect(logs.join('\n')).toMatch(/predicting again/);

    // A damaged meta.json is a user error naming file and field for its readers.
    writeFileSync(paths.meta, JSON.stringify({ ...noTta, nTest: 'four' }));
    expect(() => readPredictionMeta(foldDir)).toThrow(UserError);
    expect(() => readPredictionMeta(foldDir)).toThrow(`${paths.meta}: nTest: Expected number, received string`);
    expect(() => readPredictionMeta(foldDir, 0)).toThrow(paths.meta);
  }, 60_000);
});
