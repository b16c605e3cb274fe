import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { bilinearMatrix, exportInferenceModel, loadInferenceModel, saveInferenceModel } from './inference-model';
import { inferenceModel } from './inference-spec';
import { upsampleBilinear2d } from './bilinear-upsample';
import { buildUnet } from './unet';
import { expectNoTensorLeak, moveBatchNormWeights, randomImages } from './test-helpers';

const WORKSPACE = resolve(__dirname, '../../../../..');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'unet-export-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const CONFIGS = [
  ['plain, transposed-conv decoder', {}],
  ['residual + scSE + hypercolumn + bilinear + dropout', { block: 'residual', scse: true, hypercolumn: true, upsample: 'bilinear', dropout: 0.2 }],
] as const;

/** A model whose BatchNorm statistics moved away from their initial values (so they must be carried over). */
function trainedLike(patch: object): tf.LayersModel {
  const model = buildUnet({ inputHeight: 13, inputWidth: 10, padTo: 16, depth: 2, baseFilters: 4, seed: 5, ...patch });
  moveBatchNormWeights(model, 0.5, 1);
  return model;
}

describe('bilinearMatrix', () => {
  it('n = 2, factor 2 (by hand: half-pixel centres, edges replicated)', () => {
    // outputs sample the input at −¼, ¼, ¾, 1¼ → clamped: x0, ¾x0+¼x1, ¼x0+¾x1, x1
    expect([...bilinearMatrix(2, 2)]).toEqual([1, 0.75, 0.25, 0, 0, 0.25, 0.75, 1]);
  });

  it.each([2, 3, 4, 8])('x·M equals upsampleBilinear2d along one axis (factor %i)', (factor) =>
    expectNoTensorLeak(() => {
      tf.tidy(() => {
        const n = 5;
        const x = tf.randomUniform([1, 1, n, 1], -1, 1, 'float32', factor) as tf.Tensor4D;
        // upsampleBilinear2d scales both axes; a 1-row image's rows are all the same, so row 0 is the 1-D result.
        const reference = tf.slice(upsampleBilinear2d(x, factor), [0, 0, 0, 0], [1, 1, -1, 1]).reshape([-1]);
        const viaMatrix = tf.matMul(x.reshape([1, n]), tf.tensor2d(bilinearMatrix(n, factor), [n, n * factor])).reshape([-1]);
        expect(tf.max(tf.abs(tf.sub(reference, viaMatrix))).dataSync()[0]).toBeLessThan(1e-6);
      });
    }),
  );
});

describe('exportInferenceModel', () => {
  it.each(CONFIGS)('%s: stock layers only, same logits as the training graph', async (_label, patch) => {
    await expectNoTensorLeak(async () => {
      const model = trainedLike(patch);
      const { model: exported, spec } = await exportInferenceModel(model);
      expect(spec).toEqual({ format: 'tgs-inference-1', height: 13, width: 10, inputScale: 255, padding: { mode: 'reflect', top: 1, bottom: 2, left: 3, right: 3 }, output: 'logits' });
      const classes = exported.layers.map((l) => l.getClassName());
      expect(classes).not.toContain('ReflectionPad2D');
      expect(classes).not.toContain('BilinearUpsample2D');
      expect(classes).not.toContain('Cropping2D');
      // Every BatchNorm follows a convolution, so every one is folded into it, and the ReLUs right after them too.
      expect(classes).not.toContain('BatchNormalization');
      const relus = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === 'Activation').length;
      expect(relus(exported)).toBeLessThan(relus(model));
      expect(exported.inputs[0].shape).toEqual([null, 16, 16, 1]);
      expect(exported.outputs[0].shape).toEqual([null, 16, 16, 1]);
      const x = randomImages([3, 13, 10, 1], 8);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, inferenceModel(exported, spec).predict(x) as tf.Tensor4D))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-5);
      x.dispose();
      model.dispose();
      exported.dispose();
    });
  });

  it('an RGB model (inChannels 3): the spec says channels 3, the export takes [n, H, W, 3] and gives the same logits; a grey input is refused', async () => {
    await expectNoTensorLeak(async () => {
      const model = trainedLike({ inChannels: 3 });
      const { model: exported, spec } = await exportInferenceModel(model);
      expect(spec.channels).toBe(3);
      expect(exported.inputs[0].shape).toEqual([null, 16, 16, 3]);
      const x = randomImages([2, 13, 10, 3], 5);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, inferenceModel(exported, spec).predict(x) as tf.Tensor4D))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-5);
      const grey = randomImages([1, 13, 10, 1], 5);
      expect(() => inferenceModel(exported, spec).predict(grey)).toThrow(/input has 1 channel\(s\), the model takes 3/);
      tf.dispose([x, grey]);
      model.dispose();
      exported.dispose();
    });
  });

  it('round-trips through saveInferenceModel / loadInferenceModel', async () => {
    await expectNoTensorLeak(async () => {
      const model = trainedLike(CONFIGS[1][1]);
      const { model: exported } = await exportInferenceModel(model);
      await saveInferenceModel(exported, join(dir, 'm'));
      const loaded = await loadInferenceModel(join(dir, 'm'));
      const x = randomImages([2, 13, 10, 1], 3);
      const [a, b] = tf.tidy(() => [(model.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor4D).dataSync()]);
      a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-5));
      x.dispose();
      model.dispose();
      exported.dispose();
      loaded.dispose();
    });
  });

  it('a model.json without the inference metadata is a clear error naming the file', async () => {
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, userDefinedMetadata: {} }));
    await expect(loadInferenceModel(dir)).rejects.toThrow(`${join(dir, 'model.json')}: userDefinedMetadata.tgsInference: Required`);
  });

  it.each(CONFIGS)('%s: loads with stock tf.loadLayersModel in a fresh process that imports only @tensorflow/tfjs', async (_label, patch) => {
    const model = trainedLike(patch);
    const { model: exported } = await exportInferenceModel(model);
    await saveInferenceModel(exported, join(dir, 'model'));
    const images = Array.from({ length: 2 * 13 * 10 }, (_, i) => (i * 37) % 256);
    const x = tf.tensor4d(images.map((v) => v / 255), [2, 13, 10, 1]);
    const expected = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
    x.dispose();
    model.dispose();
    exported.dispose();

    // The README's recipe: a plain script, its own file:// loader, padding and crop from the metadata.
    const script = `
      const tf = require('@tensorflow/tfjs');
      const fs = require('fs');
      const path = require('path');
      const dir = process.argv[1];
      const handler = {
        load: async () => {
          const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
          const bin = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
          return {
            modelTopology: json.modelTopology,
            weightSpecs: json.weightsManifest[0].weights,
            weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
            userDefinedMetadata: json.userDefinedMetadata,
          };
        },
      };
      (async () => {
        await tf.setBackend('cpu');
        const model = await tf.loadLayersModel(handler);
        const spec = model.getUserDefinedMetadata().tgsInference;
        const { top, bottom, left, right } = spec.padding;
        const pixels = JSON.parse(process.argv[2]);
        const x = tf.tensor4d(pixels.map((v) => v / spec.inputScale), [2, spec.height, spec.width, 1]);
        const padded = tf.mirrorPad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], 'reflect');
        const logits = tf.slice(model.predict(padded), [0, top, left, 0], [2, spec.height, spec.width, 1]);
        process.stdout.write(JSON.stringify({ classes: model.layers.map((l) => l.getClassName()), logits: Array.from(logits.dataSync()) }));
      })().catch((err) => { process.stderr.write(String(err)); process.exit(1); });
    `;
    const res = spawnSync(process.execPath, ['-e', script, join(dir, 'model'), JSON.stringify(images)], { cwd: WORKSPACE, encoding: 'utf8' });
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout) as { classes: string[]; logits: number[] };
    expect(out.logits).toHaveLength(expected.length);
    out.logits.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-5));
    // The training graph's custom layers, for contrast, are what made stock loading fail before.
    expect(out.classes).not.toContain('ReflectionPad2D');
    expect(JSON.parse(readFileSync(join(dir, 'model', 'model.json'), 'utf8')).userDefinedMetadata.tgsInference.padding.mode).toBe('reflect');
  }, 60_000);
});
