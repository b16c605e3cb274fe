import * as tf from '@tensorflow/tfjs';
import type { UnetConfig } from './config';
import { buildUnet, countParams, getUnetConfig } from './unet';
import { expectNoTensorLeak, randomImages } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Small enough for the cpu backend (whose Conv2DBackpropFilter is slow): 6×6 reflection-padded to 8,
 * two levels, 4 base filters.
 */
const tiny = { inputHeight: 6, inputWidth: 6, padTo: 8, depth: 2, baseFilters: 4, seed: 1 } as const;

/** Keras-style parameter count worked out by hand for the plain default block structure. */
function plainUnetParams(depth: number, f0: number, batchNorm: boolean): number {
  const conv = (k: number, cin: number, cout: number) => k * k * cin * cout + (batchNorm ? 4 * cout : cout);
  const block = (cin: number, cout: number) => conv(3, cin, cout) + conv(3, cout, cout);
  const f = (l: number) => f0 * 2 ** l;
  let total = 0;
  for (let l = 0; l < depth; l++) total += block(l === 0 ? 1 : f(l - 1), f(l));
  total += block(f(depth - 1), f(depth));
  for (let l = depth - 1; l >= 0; l--) {
    total += 2 * 2 * f(l + 1) * f(l) + f(l); // transposed 2×2 conv with bias
    total += block(2 * f(l), f(l));
  }
  return total + f(0) + 1; // 1×1 linear head
}

describe('buildUnet', () => {
  it.each([
    [101, 101],
    [37, 50],
  ])('maps [n, %i, %i, 1] to raw logits of the same shape', async (h, w) => {
    await expectNoTensorLeak(() => {
      const model = buildUnet({ ...tiny, inputHeight: h, inputWidth: w, padTo: undefined });
      expect(model.inputs[0].shape).toEqual([null, h, w, 1]);
      expect(model.outputs[0].shape).toEqual([null, h, w, 1]);
      const x = randomImages([1, h, w, 1], 3);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([1, h, w, 1]);
      const values = y.dataSync();
      // Logits of a freshly initialised linear head are spread around 0: both signs occur.
      expect(Math.min(...values)).toBeLessThan(0);
      expect(Math.max(...values)).toBeGreaterThan(0);
      tf.dispose([x, y]);
      model.dispose();
    });
  });

  it('inChannels 3 takes [n, H, W, 3]: its first conv has 2·9·f0 more weights than the grey one, and records inChannels; 1 leaves the metadata as before', async () => {
    await expectNoTensorLeak(() => {
      const grey = buildUnet(tiny);
      const rgb = buildUnet({ ...tiny, inChannels: 3 });
      expect(rgb.inputs[0].shape).toEqual([null, 6, 6, 3]);
      expect(rgb.outputs[0].shape).toEqual([null, 6, 6, 1]);
      // Only enc1's first 3×3 conv sees the input: 3 input channels instead of 1, 4 filters each.
      expect(countParams(rgb) - countParams(grey)).toBe(2 * 9 * tiny.baseFilters);
      expect(getUnetConfig(rgb)?.inChannels).toBe(3);
      expect(getUnetConfig(grey)).not.toHaveProperty('inChannels');
      const one = buildUnet({ ...tiny, inChannels: 1 });
      expect(getUnetConfig(one)).toEqual(getUnetConfig(grey));
      one.dispose();
      const x = randomImages([2, 6, 6, 3], 4);
      const y = rgb.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 6, 6, 1]);
      tf.dispose([x, y]);
      grey.dispose();
      rgb.dispose();
    });
  });

  it('ends in a linear 1×1 conv named "logits" after an exact crop', () => {
    const model = buildUnet(tiny);
    const last = model.layers[model.layers.length - 1];
    expect(last.name).toBe('logits');
    expect(last.getClassName()).toBe('Conv2D');
    expect(last.getConfig()['activation']).toBe('linear');
    expect(last.getConfig()['kernelSize']).toEqual([1, 1]);
    const crop = model.getLayer('crop');
    expect(crop.getConfig()['cropping']).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(model.getLayer('pad').getClassName()).toBe('ReflectionPad2D');
    expect(model.layers.some((l) => l.getConfig()['activation'] === 'sigmoid')).toBe(false);
    model.dispose();
  });

  it('pads 101 asymmetrically to 128 (13 before, 14 after)', () => {
    const model = buildUnet({ ...tiny, inputHeight: 101, inputWidth: 101, depth: 4, padTo: undefined });
    expect(model.getLayer('pad').outputShape).toEqual([null, 128, 128, 1]);
    expect(model.getLayer('crop').getConfig()['cropping']).toEqual([
      [13, 14],
      [13, 14],
    ]);
    model.dispose();
  });

  it('names layers by level and role', () => {
    const model = buildUnet({ ...tiny, block: 'residual', scse: true, hypercolumn: true });
    const names = model.layers.map((l) => l.name);
    for (const name of [
      'image',
      'pad',
      'enc1_conv1',
      'enc1_bn1',
      'enc1_relu1',
      'enc1_conv_proj',
      'enc1_add',
      'pool1',
      'enc2_conv2',
      'bottleneck_conv1',
      'dec2_up',
      'dec2_concat',
      'dec2_conv1',
      'dec2_scse',
      'dec1_scse_sgate',
      'hyper2_up',
      'hypercolumn',
      'hyper_fuse_conv',
      'crop',
      'logits',
    ]) {
      expect(names).toContain(name);
    }
    model.dispose();
  });

  it.each([
    [2, 4, false],
    [3, 8, true],
  ])('has the hand-counted number of parameters (depth %i, %i filters, BN %s)', (depth, baseFilters, batchNorm) => {
    const model = buildUnet({ inputHeight: 32, inputWidth: 32, depth, baseFilters, batchNorm, seed: 0 });
    expect(countParams(model)).toBe(plainUnetParams(depth, baseFilters, batchNorm));
    model.dispose();
  });

  it('keeps the default TGS network lean (≤ 2M parameters)', () => {
    const model = buildUnet({ inputHeight: 101, inputWidth: 101, seed: 0 });
    expect(countParams(model)).toBe(plainUnetParams(4, 16, true));
    expect(countParams(model)).toBeLessThanOrEqual(2_000_000);
    model.dispose();
  });
});

describe('every variant trains', () => {
  const variants: [string, Partial<UnetConfig>][] = [
    ['plain + BN', {}],
    ['plain, no BN', { batchNorm: false }],
    ['residual + BN', { block: 'residual' }],
    ['residual, no BN', { block: 'residual', batchNorm: false }],
    ['scSE', { scse: true }],
    ['hypercolumn', { hypercolumn: true }],
    ['dropout', { dropout: 0.3 }],
    ['bilinear upsampling', { upsample: 'bilinear' }],
    // 8 filters: with 4 channels the cSE has 2 hidden ReLUs, which a seed can leave both inactive.
    ['everything', { block: 'residual', scse: true, hypercolumn: true, dropout: 0.2, upsample: 'bilinear', baseFilters: 8 }],
  ];

  it.each(variants)('%s: forward + gradient finite, one SGD step lowers the loss', async (_label, patch) => {
    await expectNoTensorLeak(() => {
      const model = buildUnet({ ...tiny, ...patch });
      const x = randomImages([2, 6, 6, 1], 7);
      const masks = tf.tidy(() => x.greater(0.5).toFloat());
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      // Training mode (batch statistics, seeded dropout masks, so both evaluations see the same mask).
      const loss = () =>
        tf.tidy(() => {
          const logits = model.apply(x, { training: true }) as tf.Tensor;
          return tf.losses.sigmoidCrossEntropy(masks, logits) as tf.Scalar;
        });
      const { value, grads } = tf.variableGrads(loss, vars);
      const before = value.dataSync()[0];
      expect(Number.isFinite(before)).toBe(true);
      const gradValues = Object.values(grads);
      expect(gradValues).toHaveLength(vars.length);
      for (const g of gradValues) expect(g.dataSync().every(Number.isFinite)).toBe(true);
      // Every trainable weight receives signal (a disconnected branch would have an all-zero gradient).
      const dead = Object.entries(grads)
        .filter(([, g]) => tf.tidy(() => g.abs().max().dataSync()[0]) === 0)
        .map(([name]) => name);
      expect(dead).toEqual([]);
      const optimizer = tf.train.sgd(1e-3);
      optimizer.applyGradients(grads);
      const after = tf.tidy(() => loss().dataSync()[0]);
      expect(after).toBeLessThan(before);
      tf.dispose([x, masks, value, ...gradValues]);
      optimizer.dispose();
      model.dispose();
    });
  });
});

describe('getUnetConfig', () => {
  it('returns the resolved config, including a seed drawn at random', () => {
    const model = buildUnet({ inputHeight: 6, inputWidth: 6, padTo: 8, depth: 2, baseFilters: 4, scse: true });
    const cfg = getUnetConfig(model);
    expect(cfg).toMatchObject({ inputHeight: 6, inputWidth: 6, padTo: 8, depth: 2, baseFilters: 4, scse: true, block: 'plain' });
    expect(Number.isInteger(cfg?.seed)).toBe(true);
    // Rebuilding from the recorded config reproduces the initial weights.
    if (cfg === undefined) throw new Error('no config recorded');
    const again = buildUnet(cfg);
    expect(again.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
    model.dispose();
    again.dispose();
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
    expect(getUnetConfig(other)).toBeUndefined();
    other.dispose();
  });
});

describe('determinism', () => {
  const weightsOf = (seed: number, patch: Partial<UnetConfig> = {}) => {
    const model = buildUnet({ ...tiny, ...patch, seed });
    const values = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };

  it.each<[string, Partial<UnetConfig>]>([
    ['plain', {}],
    ['residual + scSE + hypercolumn', { block: 'residual', scse: true, hypercolumn: true }],
  ])('%s: same seed gives identical weights, another seed different ones', async (_label, patch) => {
    await expectNoTensorLeak(() => {
      const a = weightsOf(42, patch);
      expect(weightsOf(42, patch)).toEqual(a);
      const c = weightsOf(43, patch);
      expect(c).not.toEqual(a);
    });
  });
});
