import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '@segkit/io';
import { loadModel, saveModel } from './model-io';
import { buildUnet, getUnetConfig } from './unet';
import { expectNoTensorLeak, randomImages } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'unet-io-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('saveModel / loadModel', () => {
  it.each([
    ['plain', {}],
    ['residual + scSE + hypercolumn + bilinear + dropout', { block: 'residual', scse: true, hypercolumn: true, upsample: 'bilinear', dropout: 0.2 }],
  ] as const)('%s: save → load → predict is bit-exact', async (_label, patch) => {
    await expectNoTensorLeak(async () => {
      const model = buildUnet({ inputHeight: 13, inputWidth: 10, padTo: 16, depth: 2, baseFilters: 4, seed: 5, ...patch });
      // Move BN statistics away from their initial values so they must be saved to match.
      const x = randomImages([2, 13, 10, 1], 8);
      tf.tidy(() => {
        model.apply(x, { training: true });
      });
      await saveModel(model, join(dir, 'model'));
      const loaded = await loadModel(join(dir, 'model'));
      expect(loaded.getLayer('pad').getClassName()).toBe('ReflectionPad2D');
      expect(loaded.getLayer('pad').getConfig()['padding']).toEqual(model.getLayer('pad').getConfig()['padding']);
      expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      const [a, b] = tf.tidy(() => [(model.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()]);
      expect(b).toEqual(a);
      const json = JSON.parse(readFileSync(join(dir, 'model', 'model.json'), 'utf8'));
      expect(JSON.stringify(json.modelTopology)).toContain('"class_name":"ReflectionPad2D"');
      if ('hypercolumn' in patch) expect(loaded.getLayer('hyper2_up').getClassName()).toBe('BilinearUpsample2D');
      expect(getUnetConfig(loaded)).toEqual({ ...getUnetConfig(model), seed: 5, padTo: 16, depth: 2 });
      x.dispose();
      model.dispose();
      loaded.dispose();
    });
  });

  it('reports a missing model directory as a UserError naming the file', async () => {
    const missing = join(dir, 'nope');
    await expect(loadModel(missing)).rejects.toThrow(UserError);
    await expect(loadModel(missing)).rejects.toThrow(join(missing, 'model.json'));
  });
});
