import * as tf from '@tensorflow/tfjs';
import { encoderTensorNames, setEncoderWeights } from './encoder-weights';
import { setEncoderFrozen } from './freeze';
import { IMAGENET_LAYER, imagenetInput, resnetEncoder, type ResnetName } from './resnet';
import type { StateDict } from './tensor-data';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function encoder(arch: ResnetName, h = 32, w = 32, channels = 1): tf.LayersModel {
  const input = tf.input({ shape: [h, w, channels] });
  const { features } = resnetEncoder(imagenetInput(input), arch, { initializer: 'zeros' });
  return tf.model({ inputs: input, outputs: features });
}

describe('resnetEncoder', () => {
  // torchvision's documented parameter counts (11,689,512 / 21,797,672 / 25,557,032) less the
  // ImageNet classifier fc (512·1000 + 1000, or 2048·1000 + 1000 for resnet50).
  it.each<[ResnetName, number, number[]]>([
    ['resnet18', 11_689_512 - 513_000, [64, 64, 128, 256, 512]],
    ['resnet34', 21_797_672 - 513_000, [64, 64, 128, 256, 512]],
    ['resnet50', 25_557_032 - 2_049_000, [64, 256, 512, 1024, 2048]],
  ])('%s has torchvision\'s trainable parameters and tap channels', (arch, params, channels) => {
    const before = tf.memory().numTensors;
    const model = encoder(arch);
    const trainable = model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a: number, d) => a * (d as number), 1), 0);
    expect(trainable).toBe(params);
    expect(model.outputs.map((o) => o.shape)).toEqual(channels.map((c, k) => [null, 32 / 2 ** (k + 1), 32 / 2 ** (k + 1), c]));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("names every weight by torchvision's parameter names (resnet18: 20 convs, 20 BatchNorms × 4)", () => {
    const model = encoder('resnet18');
    const names = encoderTensorNames(model).map((t) => t.name);
    expect(names).toHaveLength(20 + 20 * 4);
    expect(names.slice(0, 5)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var']);
    expect(names).toEqual(expect.arrayContaining(['layer2.0.downsample.0.weight', 'layer2.0.downsample.1.running_var', 'layer4.1.bn2.bias']));
    expect(encoderTensorNames(model).find((t) => t.name === 'conv1.weight')!.shape).toEqual([64, 3, 7, 7]);
    model.dispose();
  });

  it('maps grey and RGB pixels to ImageNet-normalised RGB, and that layer never trains', () => {
    const before = tf.memory().numTensors;
    for (const channels of [1, 3]) {
      const input = tf.input({ shape: [1, 1, channels] });
      const model = tf.model({ inputs: input, outputs: imagenetInput(input) });
      const pixel = channels === 1 ? [0.5] : [0.5, 0.25, 1];
      const rgb = channels === 1 ? [0.5, 0.5, 0.5] : pixel;
      const out = tf.tidy(() => Array.from((model.predict(tf.tensor4d(pixel, [1, 1, 1, channels])) as tf.Tensor).dataSync()));
      // (x − mean) / std with torchvision's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), by hand.
      const expected = [(rgb[0] - 0.485) / 0.229, (rgb[1] - 0.456) / 0.224, (rgb[2] - 0.406) / 0.225];
      out.forEach((v, c) => expect(v).toBeCloseTo(expected[c], 5));
      expect(model.getLayer(IMAGENET_LAYER).trainable).toBe(false);
      expect(model.trainableWeights).toHaveLength(0);
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('setEncoderWeights transposes PyTorch [out, in, kh, kw] kernels to [kh, kw, in, out] and fills BatchNorm statistics', () => {
    const model = encoder('resnet18');
    const sd: StateDict = new Map();
    for (const { name, shape } of encoderTensorNames(model)) {
      const n = shape.reduce((a, d) => a * d, 1);
      // Element i of every tensor is i, so a kernel's position can be read back from its value.
      sd.set(`module.${name}`, { shape, dtype: 'F32', values: Float32Array.from({ length: n }, (_, i) => i) });
    }
    sd.set('fc.weight', { shape: [1000, 512], dtype: 'F32', values: new Float32Array(512_000) });
    expect(setEncoderWeights(model, sd, 'w.pth')).toBe(100);
    const kernel = model.getLayer('encoder.conv1').getWeights()[0];
    // PyTorch index [o, i, y, x] of [64, 3, 7, 7] holds ((o·3 + i)·7 + y)·7 + x; tfjs holds it at [y, x, i, o].
    const [y, x, i, o] = [2, 5, 1, 9];
    expect((kernel.arraySync() as number[][][][])[y][x][i][o]).toBe(((o * 3 + i) * 7 + y) * 7 + x);
    const bn = model.getLayer('encoder.layer3.1.bn2').getWeights();
    expect(bn.map((t) => t.dataSync()[7])).toEqual([7, 7, 7, 7]);
    sd.delete('module.layer3.1.bn2.running_var');
    expect(() => setEncoderWeights(model, sd, 'w.pth')).toThrow('w.pth: does not fit the encoder: missing layer3.1.bn2.running_var');
    model.dispose();
  });
});

describe('setEncoderFrozen', () => {
  it('keeps the encoder weights out of training and its BatchNorm statistics fixed in training mode; unfreezing restores both', () => {
    const input = tf.input({ shape: [32, 32, 1] });
    const { features } = resnetEncoder(imagenetInput(input), 'resnet18', { seed: 3 });
    const head = tf.layers.conv2d({ filters: 1, kernelSize: 1, name: 'head' }).apply(features[4]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: head });
    const x = tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 4);
    const stats = () => model.getLayer('encoder.layer1.0.bn1').getWeights().slice(2).map((t) => Array.from(t.dataSync()));
    const all = model.trainableWeights.length;
    const initial = stats();
    expect(setEncoderFrozen(model, true)).toBeGreaterThan(0);
    expect(model.trainableWeights.map((w) => w.name)).toEqual(['head/kernel', 'head/bias']);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      model.apply(x, { training: true });
    });
    expect(stats()).toEqual(initial);
    expect(tf.memory().numTensors).toBe(before);
    setEncoderFrozen(model, false);
    expect(model.trainableWeights).toHaveLength(all);
    tf.tidy(() => {
      model.apply(x, { training: true });
    });
    expect(stats()).not.toEqual(initial);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
