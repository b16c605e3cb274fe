import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '@segkit/io';
import { fileSystemIO, loadLayersModel, saveLayersModel } from './model-io';

/** Runs `fn` and fails if it leaves tensors behind. */
async function noLeaks(fn: () => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}

function smallConvNet(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 1] });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.batchNormalization().apply(c) as tf.SymbolicTensor;
  const out = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).apply(b) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('model files', () => {
  let root: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'segkit-model-io-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes model.json + weights.bin in the tfjs-node layout and predicts bit-exactly after loading', async () => {
    await noLeaks(async () => {
      const model = smallConvNet();
      const dir = join(root, 'm');
      await saveLayersModel(model, dir);
      expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
      // 4*9+4 conv, 4*4 batchnorm, 4+1 head = 61 float32 values.
      expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe(61 * 4);

      const loaded = await loadLayersModel(dir);
      const x = tf.randomNormal([2, 9, 9, 1], 0, 1, 'float32', 7);
      const a = model.predict(x) as tf.Tensor;
      const b = loaded.predict(x) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
    });
  });

  it('loads converter-style multi-shard weights', async () => {
    const model = smallConvNet();
    const dir = join(root, 'm');
    await saveLayersModel(model, dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bytes = readFileSync(join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 100));
    writeFileSync(join(dir, 'group1-shard2of2.bin'), bytes.subarray(100));
    rmSync(join(dir, 'weights.bin'));
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const loaded = await loadLayersModel(dir);
    const w0 = model.getWeights().map((t) => Array.from(t.dataSync()));
    const w1 = loaded.getWeights().map((t) => Array.from(t.dataSync()));
    expect(w1).toEqual(w0);
    model.dispose();
    loaded.dispose();
  });

  it('round-trips Adam slots with includeOptimizer', async () => {
    const model = smallConvNet();
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const x = tf.randomNormal([2, 9, 9, 1], 0, 1, 'float32', 1);
    const y = tf.randomNormal([2, 9, 9, 1], 0, 1, 'float32', 2);
    await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
    const dir = join(root, 'm');
    await saveLayersModel(model, dir, { includeOptimizer: true });
    const loaded = await loadLayersModel(dir);
    const slots0 = (await model.optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
    const slots1 = (await loaded.optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
    expect(slots1.length).toBeGreaterThan(1);
    expect(slots1).toEqual(slots0);
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });

  it('replaces a previous save in place', async () => {
    const dir = join(root, 'm');
    const first = smallConvNet();
    const second = smallConvNet();
    await saveLayersModel(first, dir);
    await saveLayersModel(second, dir);
    const loaded = await loadLayersModel(dir);
    expect(loaded.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(second.getWeights().map((t) => Array.from(t.dataSync())));
    expect(readdirSync(root)).toEqual(['m']);
    [first, second, loaded].forEach((m) => m.dispose());
  });

  it('refuses to replace a directory holding other files', async () => {
    const dir = join(root, 'm');
    await saveLayersModel(smallConvNet(), dir);
    writeFileSync(join(dir, 'oof.csv'), 'id\n');
    await expect(saveLayersModel(smallConvNet(), dir)).rejects.toThrow(/oof\.csv/);
    expect(existsSync(join(dir, 'oof.csv'))).toBe(true);
  });

  describe('errors name the file', () => {
    let dir: string;
    beforeEach(async () => {
      dir = join(root, 'm');
      await saveLayersModel(smallConvNet(), dir);
    });
    it.each<[string, () => void, RegExp]>([
      ['missing model.json', () => rmSync(join(dir, 'model.json')), /model\.json is missing: run the train step first/],
      ['corrupt model.json', () => writeFileSync(join(dir, 'model.json'), '{"modelTopology": '), /model\.json: not valid JSON/],
      ['model.json without topology', () => writeFileSync(join(dir, 'model.json'), '{"weightsManifest": []}'), /model\.json: modelTopology: Required/],
      ['model.json with a malformed weight group', () => writeFileSync(join(dir, 'model.json'), '{"modelTopology": {}, "weightsManifest": [{"paths": ["weights.bin"]}]}'), /model\.json: weightsManifest\.0\.weights: Required/],
      ['missing weights.bin', () => rmSync(join(dir, 'weights.bin')), /weights\.bin: weights file .* not found/],
      ['truncated weights.bin', () => truncateSync(join(dir, 'weights.bin'), 17), /weights\.bin: weights are 17 bytes but .* describes 244 bytes/],
    ])('%s', async (_name, damage, message) => {
      damage();
      const err = await loadLayersModel(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(message);
    });
  });

  it('is a tf.io.IOHandler usable directly with model.save / tf.loadLayersModel', async () => {
    const model = smallConvNet();
    const dir = join(root, 'direct');
    const result = await model.save(fileSystemIO(dir));
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(61 * 4);
    const loaded = await tf.loadLayersModel(fileSystemIO(dir));
    expect(loaded.countParams()).toBe(model.countParams());
    model.dispose();
    loaded.dispose();
  });
});
