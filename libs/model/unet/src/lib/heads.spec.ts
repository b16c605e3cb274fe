import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bceWithLogits, headsLoss } from '@segkit/losses';
import { exportInferenceModel, loadInferenceModel, saveInferenceModel } from './inference-model';
import { forwardLogits, hflipTta, identityTta } from './inference';
import { buildUnet, getUnetConfig, unetOutputs } from './unet';
import { expectNoTensorLeak, randomImages } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SMALL = { inputHeight: 13, inputWidth: 10, padTo: 16, depth: 3, baseFilters: 4, seed: 7 } as const;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('the empty-mask gate and deep supervision heads', () => {
  it('outputs [logits, gate [n, 1], one aux map per decoder level but the last]; the main logits are the plain model’s, bit for bit', async () => {
    const plain = buildUnet(SMALL);
    const model = buildUnet({ ...SMALL, gate: true, deepSupervision: true });
    const x = randomImages([2, 13, 10, 1], 3);
    await expectNoTensorLeak(() => {
      const out = unetOutputs(getUnetConfig(model), model.predict(x) as tf.Tensor[]);
      expect(out.logits.shape).toEqual([2, 13, 10, 1]);
      expect(out.gate?.shape).toEqual([2, 1]);
      expect(out.aux.map((a) => a.shape)).toEqual([[2, 13, 10, 1], [2, 13, 10, 1]]);
      expect(model.outputNames).toEqual(['logits', 'gate', 'aux2_logits', 'aux3_logits']);
      const reference = plain.predict(x) as tf.Tensor;
      expect(maxAbsDiff(reference, out.logits)).toBe(0);
      tf.dispose([reference, out.logits, out.gate as tf.Tensor, ...out.aux]);
    });
    expect(getUnetConfig(model)).toMatchObject({ gate: true, deepSupervision: true });
    // Off: the resolved config (the model's metadata) has no such keys.
    expect(Object.keys(getUnetConfig(plain) ?? {})).not.toContain('gate');
    expect(() => unetOutputs(getUnetConfig(model), [x])).toThrow(/1 outputs for a model with a gate/);
    x.dispose();
    plain.dispose();
    model.dispose();
  });

  it('gradients of the heads loss reach the gate, the aux heads and the shared layers', async () => {
    const model = buildUnet({ ...SMALL, depth: 2, gate: true, deepSupervision: true });
    const x = randomImages([3, 13, 10, 1], 4);
    const y = tf.tidy(() => tf.cast(tf.greater(randomImages([3, 13, 10, 1], 5), 0.6), 'float32').concat(tf.zeros([1, 13, 10, 1])));
    const xs = tf.concat([x, randomImages([1, 13, 10, 1], 6)]);
    const loss = headsLoss(bceWithLogits, { gateWeight: 0.5, auxWeight: 0.1, nonEmptyOnly: true });
    const cfg = getUnetConfig(model);
    await expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(() => loss(y, unetOutputs(cfg, model.apply(xs, { training: true }) as tf.Tensor[])));
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      const norm = (name: string) => tf.tidy(() => tf.sum(tf.abs(grads[name])).dataSync()[0]);
      const kernel = (layer: string) => model.getLayer(layer).weights[0].name;
      for (const layer of ['gate', 'aux2_head', 'logits', 'enc1_conv1', 'bottleneck_conv1']) expect(norm(kernel(layer))).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x, y, xs]);
    model.dispose();
  });

  it('exports [logits, gate] in stock layers (no aux heads), round-trips through files, and forwardLogits averages the gate over TTA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unet-gate-'));
    const model = buildUnet({ ...SMALL, gate: true, deepSupervision: true });
    const x = randomImages([2, 13, 10, 1], 8);
    try {
      await expectNoTensorLeak(async () => {
        const { model: exported, spec } = await exportInferenceModel(model);
        expect(spec.gate).toBe(true);
        expect(exported.outputNames).toEqual(['logits', 'gate']);
        expect(exported.layers.some((l) => l.name.startsWith('aux'))).toBe(false);
        await saveInferenceModel(exported, join(dir, 'm'));
        exported.dispose();
        const loaded = await loadInferenceModel(join(dir, 'm'));
        expect(loaded.spec.gate).toBe(true);
        const [a, b] = [model.predict(x) as tf.Tensor[], loaded.predict(x) as tf.Tensor[]];
        expect(b.length).toBe(2);
        expect(maxAbsDiff(a[0], b[0])).toBeLessThan(1e-5);
        expect(maxAbsDiff(a[1], b[1])).toBeLessThan(1e-5);
        // The gate through forwardLogits with flip TTA: the mean of the plain and the flipped image's gate.
        const images = Uint8Array.from(tf.tidy(() => tf.round(tf.mul(x, 255)).dataSync()));
        const got = new Float32Array(2);
        const logits = forwardLogits(loaded, images, [0, 1], 13, 10, { batchSize: 1, ttas: [identityTta, hflipTta], onGate: (g, start) => got.set(g, start) });
        expect(logits.length).toBe(2 * 13 * 10);
        // (the images went through 8-bit rounding: compare with the model on the rounded images)
        const rounded = tf.tidy(() => tf.div(tf.round(tf.mul(x, 255)), 255) as tf.Tensor4D);
        const [r1, r2] = tf.tidy(() => [loaded.predict(rounded) as tf.Tensor[], loaded.predict(tf.reverse(rounded, 2)) as tf.Tensor[]]);
        const want = tf.tidy(() => tf.div(tf.add(r1[1], r2[1]), 2).dataSync());
        got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 5));
        expect(Math.abs(want[0] - (r2[1].dataSync()[0] as number))).toBeGreaterThan(0);
        tf.dispose([...a, ...b, ...r1, ...r2, rounded]);
        loaded.dispose();
      });
    } finally {
      x.dispose();
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
