import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from './model-io';
import { LinearView, stripSigmoid } from './strip-sigmoid';
import { buildUnet } from './unet';
import { expectNoTensorLeak, randomImages } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Naive dense layer: x·W + b for one row. */
function naiveDense(x: number[], kernel: number[][], bias: number[]): number[] {
  return bias.map((b, j) => x.reduce((s, xi, i) => s + xi * kernel[i][j], b));
}

/** Naive 'same' 3×3 conv, one input and one output channel, zero padding, for image 0. */
function naiveConv3x3(img: number[][], k: number[][], bias: number): number[][] {
  const h = img.length;
  const w = img[0].length;
  return img.map((row, i) =>
    row.map((_, j) => {
      let s = bias;
      for (let di = -1; di <= 1; di++)
        for (let dj = -1; dj <= 1; dj++) {
          const [y, x] = [i + di, j + dj];
          if (y >= 0 && y < h && x >= 0 && x < w) s += img[y][x] * k[di + 1][dj + 1];
        }
      return s;
    }),
  );
}

function denseWithSigmoidActivationLayer(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const dense = tf.layers.dense({ units: 3, name: 'fc', kernelInitializer: 'glorotNormal' }).apply(input) as tf.SymbolicTensor;
  const prob = tf.layers.activation({ activation: 'sigmoid', name: 'prob' }).apply(dense) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: prob, name: 'act' });
}

function convWithFusedSigmoid(): tf.LayersModel {
  const input = tf.input({ shape: [5, 5, 1] });
  const conv = tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', name: 'head' });
  return tf.model({ inputs: input, outputs: conv.apply(input) as tf.SymbolicTensor, name: 'fused' });
}

describe('stripSigmoid', () => {
  it('cuts a trailing Activation(sigmoid) layer, reusing the same layer objects', async () => {
    await expectNoTensorLeak(() => {
      const model = denseWithSigmoidActivationLayer();
      const cut = stripSigmoid(model);
      expect(cut.getLayer('fc')).toBe(model.getLayer('fc'));
      expect(cut.layers.map((l) => l.name)).not.toContain('prob');

      const kernel = [
        [1, 0, -1],
        [2, 1, 0],
        [0, -3, 1],
        [1, 1, 1],
      ];
      const bias = [0.5, -0.5, 0];
      const setWeights = (k: number[][], b: number[]) => {
        const ws = [tf.tensor2d(k), tf.tensor1d(b)];
        model.getLayer('fc').setWeights(ws);
        tf.dispose(ws);
      };
      const row = [0.5, -1, 2, 0.25];
      const x = tf.tensor2d([row]);
      const outputs = () =>
        tf.tidy(() => [(cut.predict(x) as tf.Tensor).arraySync() as number[][], (model.predict(x) as tf.Tensor).arraySync() as number[][]]);

      setWeights(kernel, bias);
      const [logits, probs] = outputs();
      naiveDense(row, kernel, bias).forEach((z, j) => {
        expect(logits[0][j]).toBeCloseTo(z, 5);
        expect(probs[0][j]).toBeCloseTo(sigmoid(z), 5);
      });
      // Mutating the original's weights changes the cut: they are the same variables.
      const kernel2 = kernel.map((r) => r.map((v) => -2 * v));
      setWeights(kernel2, [1, 1, 1]);
      const [logits2] = outputs();
      naiveDense(row, kernel2, [1, 1, 1]).forEach((z, j) => expect(logits2[0][j]).toBeCloseTo(z, 5));
      x.dispose();
      model.dispose();
    });
  });

  it('views a conv with a fused sigmoid linearly, sharing its kernel and bias variables', async () => {
    await expectNoTensorLeak(() => {
      const model = convWithFusedSigmoid();
      const cut = stripSigmoid(model);
      const head = model.getLayer('head');
      const view = cut.layers[cut.layers.length - 1];
      expect(view).toBeInstanceOf(LinearView);
      expect(view.trainableWeights).toHaveLength(2);
      view.trainableWeights.forEach((w, i) => expect(w).toBe(head.trainableWeights[i]));

      const x = randomImages([1, 5, 5, 1], 4);
      const img = (x.arraySync() as number[][][][])[0].map((r) => r.map((p) => p[0]));
      const check = (k: number[][], b: number) => {
        const ws = [tf.tensor4d(k.flat(), [3, 3, 1, 1]), tf.tensor1d([b])];
        head.setWeights(ws);
        tf.dispose(ws);
        const [logits, probs] = tf.tidy(() => [
          (cut.predict(x) as tf.Tensor).arraySync() as number[][][][],
          (model.predict(x) as tf.Tensor).arraySync() as number[][][][],
        ]);
        const expected = naiveConv3x3(img, k, b);
        expected.forEach((row, i) =>
          row.forEach((z, j) => {
            expect(logits[0][i][j][0]).toBeCloseTo(z, 4);
            expect(probs[0][i][j][0]).toBeCloseTo(sigmoid(z), 5);
          }),
        );
      };
      check(
        [
          [1, -2, 0],
          [3, 1, -1],
          [0, 2, -4],
        ],
        -1.5,
      );
      // The original's activation is untouched and new weights show up in the cut.
      expect(head.getConfig()['activation']).toBe('sigmoid');
      check(
        [
          [0, 0, 5],
          [0, -6, 0],
          [2, 0, 0],
        ],
        0.25,
      );
      x.dispose();
      model.dispose();
    });
  });

  it('strips a dense layer with a fused sigmoid too', async () => {
    await expectNoTensorLeak(() => {
      const input = tf.input({ shape: [2] });
      const out = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'fc' }).apply(input) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      const ws = [tf.tensor2d([[3], [-2]]), tf.tensor1d([0.5])];
      model.getLayer('fc').setWeights(ws);
      tf.dispose(ws);
      const x = tf.tensor2d([[1, 4]]);
      const logit = tf.tidy(() => (stripSigmoid(model).predict(x) as tf.Tensor).dataSync()[0]);
      expect(logit).toBeCloseTo(3 * 1 - 2 * 4 + 0.5, 5);
      x.dispose();
      model.dispose();
    });
  });

  it('handles a Sequential model ending in a sigmoid Activation', async () => {
    await expectNoTensorLeak(() => {
      const model = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [2], units: 1, name: 'fc' }), tf.layers.activation({ activation: 'sigmoid' })],
      });
      const ws = [tf.tensor2d([[-1], [2]]), tf.tensor1d([0.25])];
      model.getLayer('fc').setWeights(ws);
      tf.dispose(ws);
      const x = tf.tensor2d([[3, 0.5]]);
      const logit = tf.tidy(() => (stripSigmoid(model).predict(x) as tf.Tensor).dataSync()[0]);
      expect(logit).toBeCloseTo(-3 + 1 + 0.25, 5);
      x.dispose();
      model.dispose();
    });
  });

  it('trains the original weights when the cut is trained', async () => {
    await expectNoTensorLeak(() => {
      const model = convWithFusedSigmoid();
      const cut = stripSigmoid(model);
      const before = model.getLayer('head').getWeights()[0].arraySync();
      const x = randomImages([2, 5, 5, 1], 9);
      const target = tf.zerosLike(x);
      const optimizer = tf.train.sgd(0.5);
      const vars = cut.trainableWeights.map((w) => w.read() as tf.Variable);
      optimizer.minimize(() => tf.tidy(() => tf.losses.meanSquaredError(target, cut.apply(x) as tf.Tensor) as tf.Scalar), false, vars);
      expect(model.getLayer('head').getWeights()[0].arraySync()).not.toEqual(before);
      tf.dispose([x, target]);
      optimizer.dispose();
      model.dispose();
    });
  });

  it('saves and loads a cut with a LinearView bit-exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strip-sigmoid-'));
    try {
      await expectNoTensorLeak(async () => {
        const model = convWithFusedSigmoid();
        const cut = stripSigmoid(model);
        await saveModel(cut, join(dir, 'cut'));
        const loaded = await loadModel(join(dir, 'cut'));
        const x = randomImages([1, 5, 5, 1], 6);
        const [a, b] = tf.tidy(() => [(cut.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()]);
        expect(Array.from(b)).toEqual(Array.from(a));
        x.dispose();
        model.dispose();
        loaded.dispose();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a model that already outputs logits', () => {
    const model = buildUnet({ inputHeight: 8, inputWidth: 8, padTo: 8, depth: 1, baseFilters: 2, seed: 0 });
    expect(() => stripSigmoid(model)).toThrow(/does not end in a sigmoid \(last layer 'logits' is Conv2D with activation 'linear'\)/);
    model.dispose();
  });

  it('refuses a model with several outputs', () => {
    const input = tf.input({ shape: [2] });
    const a = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [a, b] });
    expect(() => stripSigmoid(model)).toThrow(/has 2 outputs/);
    model.dispose();
  });
});
