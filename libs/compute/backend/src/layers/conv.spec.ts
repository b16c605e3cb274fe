import * as tf from '@tensorflow/tfjs';
import { addonForTests, randomValues, useCpu, useWasm } from '@segkit/native/testing';
import { Conv2D, conv2d } from './conv';

const addon = addonForTests();
const SHAPE = [2, 10, 9, 3];

type ConvFactory = (args: Parameters<typeof tf.layers.conv2d>[0]) => tf.layers.Layer;

/** input → conv → conv (stride 2) → conv head with bias, every layer made by `make`, the same seeds. */
function model(make: ConvFactory): tf.LayersModel {
  const input = tf.input({ shape: SHAPE.slice(1) });
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  let x = make({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1), name: 'first' }).apply(input) as tf.SymbolicTensor;
  x = make({ filters: 4, kernelSize: 2, strides: 2, padding: 'valid', useBias: false, kernelInitializer: init(2), name: 'down' }).apply(x) as tf.SymbolicTensor;
  const head = make({ filters: 1, kernelSize: 1, useBias: true, kernelInitializer: init(3), biasInitializer: tf.initializers.constant({ value: 0.25 }), name: 'head' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: head });
}

/** One step's output and weight gradients as bytes, and the kernels it ran; no tensor left behind. */
async function step(m: tf.LayersModel): Promise<{ bytes: string[]; kernels: string[] }> {
  const x = tf.tensor(Float32Array.from(randomValues(SHAPE.reduce((p, q) => p * q, 1), 21)), SHAPE);
  const before = tf.memory().numTensors;
  let bytes: string[] = [];
  const info = await tf.profile(() => {
    bytes = tf.tidy(() => {
      let out: Float32Array = new Float32Array(0);
      const { grads } = tf.variableGrads(() => {
        const y = m.apply(x, { training: true }) as tf.Tensor;
        out = y.dataSync() as Float32Array;
        return tf.sum(tf.square(y));
      }, m.trainableWeights.map((v) => v.read() as tf.Variable));
      return [out, ...Object.keys(grads).sort().map((k) => grads[k].dataSync() as Float32Array)].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'));
    });
  });
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  m.dispose();
  return { bytes, kernels: info.kernels.map((k) => k.name) };
}

const count = (names: string[], name: string): number => names.filter((n) => n === name).length;

describe.each([
  ['cpu', useCpu],
  ...(addon ? [['wasm + native', () => useWasm(addon)] as const] : []),
] as [string, () => Promise<void>][])('Conv2D on %s', (_name, use) => {
  afterAll(() => useCpu());

  it('gives tfjs’s Conv2D’s bits, and skips the input gradient of the first layer, which nothing reads', async () => {
    await use();
    const ours = await step(model(conv2d));
    const stock = await step(model((args) => tf.layers.conv2d(args)));
    expect(ours.bytes).toEqual(stock.bytes);
    // tfjs's layer: three input gradients, the image's included; this one: the two the loss reads.
    expect(count(stock.kernels, 'Conv2DBackpropInput')).toBe(3);
    expect(count(ours.kernels, 'Conv2DBackpropInput')).toBe(2);
    expect(count(ours.kernels, 'Conv2DBackpropFilter')).toBe(3);
    // The bias-free layers run the plain kernel, the head with its bias the fused one.
    expect(count(ours.kernels, 'Conv2D')).toBe(2);
    expect(count(ours.kernels, 'FusedConv2D')).toBe(1);
  });
});

describe('Conv2D serialisation', () => {
  it('saves as tfjs’s Conv2D and loads back as this class', async () => {
    await useCpu();
    const m = model(conv2d);
    const json = m.toJSON(null, false) as unknown as { config: { layers: { class_name: string; config: { name: string } }[] } };
    expect(json.config.layers.find((l) => l.config.name === 'first')?.class_name).toBe('Conv2D');
    const loaded = await tf.models.modelFromJSON(json as unknown as tf.io.ModelJSON);
    expect(loaded.getLayer('first')).toBeInstanceOf(Conv2D);
    m.dispose();
    loaded.dispose();
  });
});
