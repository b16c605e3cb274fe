import * as tf from '@tensorflow/tfjs';
import type { UnetConfig } from './config';
import { reflectionPad2d, type Padding2D } from './reflection-pad';
import { buildUnet } from './unet';
import { useBackend, WASM_VARIANTS } from '@segkit/backend/testing';
import { expectNoTensorLeak, randomImages } from './test-helpers';

beforeAll(async () => {
  await useBackend('cpu');
});

afterAll(async () => {
  await useBackend('cpu');
});

describe.each(WASM_VARIANTS)('on the %s backend', (variant) => {
  /** Runs fn on cpu then on the wasm variant and returns both results (plain numbers, no tensors). */
  async function onBothBackends<T>(fn: () => T): Promise<[T, T]> {
    await useBackend('cpu');
    const cpu = fn();
    await useBackend(variant);
    const wasm = fn();
    return [cpu, wasm];
  }

  it('reflection pad forward and gradient match cpu', async () => {
    const padding: Padding2D = [[3, 4], [5, 2]];
    const x = randomImages([2, 6, 7, 3], 21);
    const upstream = randomImages([2, 13, 14, 3], 22);
    await expectNoTensorLeak(async () => {
      const run = () =>
        tf.tidy(() => {
          const y = reflectionPad2d(x, padding);
          const g = tf.grad((v: tf.Tensor) => reflectionPad2d(v as tf.Tensor4D, padding).mul(upstream).sum())(x);
          return [Array.from(y.dataSync()), Array.from(g.dataSync())];
        });
      const [[yCpu, gCpu], [yWasm, gWasm]] = await onBothBackends(run);
      expect(yWasm).toEqual(yCpu);
      gWasm.forEach((v, i) => expect(v).toBeCloseTo(gCpu[i], 5));
    });
    tf.dispose([x, upstream]);
  });

  it.each<[string, Partial<UnetConfig>]>([
    ['plain + BN', {}],
    ['residual + scSE + hypercolumn + bilinear', { block: 'residual', scse: true, hypercolumn: true, upsample: 'bilinear' }],
  ])('%s: U-Net forward gives the cpu logits', async (_label, patch) => {
    await useBackend('cpu');
    const model = buildUnet({ inputHeight: 20, inputWidth: 17, depth: 2, baseFilters: 4, seed: 3, ...patch });
    const x = randomImages([2, 20, 17, 1], 4);
    await expectNoTensorLeak(async () => {
      const [cpu, wasm] = await onBothBackends(() => tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync())));
      expect(wasm).toHaveLength(2 * 20 * 17);
      wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i], 4));
    });
    x.dispose();
    model.dispose();
  });

  it.each<[string, Partial<UnetConfig>]>([
    ['plain + BN', {}],
    ['residual + scSE + hypercolumn + dropout + bilinear', { block: 'residual', scse: true, hypercolumn: true, dropout: 0.2, upsample: 'bilinear', baseFilters: 8 }],
  ])('%s: training-step loss and gradients match cpu', async (_label, patch) => {
    await useBackend('cpu');
    const model = buildUnet({ inputHeight: 6, inputWidth: 7, padTo: 8, depth: 2, baseFilters: 4, seed: 8, ...patch });
    const x = randomImages([2, 6, 7, 1], 9);
    // Masks are made on each backend from plain numbers: a cpu bool→float32 cast shares the bool
    // (Uint8) buffer, and moving that tensor to wasm later reinterprets the bytes (tfjs 4.22).
    const maskValues = Array.from(x.dataSync(), (v) => (v > 0.5 ? 1 : 0));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    await expectNoTensorLeak(async () => {
      const step = () =>
        tf.tidy(() => {
          const masks = tf.tensor4d(maskValues, [2, 6, 7, 1]);
          const { value, grads } = tf.variableGrads(
            () => tf.losses.sigmoidCrossEntropy(masks, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            vars,
          );
          return { loss: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
        });
      const [cpu, wasm] = await onBothBackends(step);
      expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
      wasm.grads.forEach((g, i) => {
        const scale = Math.max(1e-3, ...cpu.grads[i].map(Math.abs));
        g.forEach((v, j) => expect(Math.abs(v - cpu.grads[i][j]) / scale).toBeLessThan(1e-3));
      });
    });
    x.dispose();
    model.dispose();
  });
});
