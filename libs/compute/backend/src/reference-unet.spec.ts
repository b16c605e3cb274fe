import * as tf from '@tensorflow/tfjs';
import { buildReferenceUnet, referenceTrainStep } from './reference-unet';
import { expectNoLeaks, randomValues, relativeError, useCpu, useWasm } from './testing/helpers';

/** Five Adam steps of a small U-Net on one fixed batch; returns the losses and final weights. */
async function train(): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const images = Float32Array.from(randomValues(2 * 16 * 16, 5));
  const masks = Float32Array.from(randomValues(2 * 16 * 16, 6), (v) => (v > 0.2 ? 1 : 0));
  return expectNoLeaks(() => {
    const model = buildReferenceUnet({ size: 16, base: 4, levels: 2, seed: 3 });
    const optimizer = tf.train.adam(0.01);
    const x = tf.tensor4d(images, [2, 16, 16, 1]);
    const y = tf.tensor4d(masks, [2, 16, 16, 1]);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push(referenceTrainStep(model, optimizer, x, y));
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    return { losses, weights };
  });
}

describe('reference U-Net training on wasm', () => {
  it('follows the cpu backend step for step', async () => {
    await useCpu();
    const cpu = await train();
    await useWasm();
    const wasm = await train();
    // The loss must actually move, or the comparison proves nothing.
    expect(cpu.losses[4]).toBeLessThan(cpu.losses[0] - 0.01);
    cpu.losses.forEach((l, i) => expect(Math.abs(wasm.losses[i] - l) / l).toBeLessThan(1e-4));
    expect(wasm.weights).toHaveLength(cpu.weights.length);
    wasm.weights.forEach((w, i) => expect(relativeError(w, cpu.weights[i])).toBeLessThan(1e-3));
  });

  it('rejects sizes the pooling cannot halve', () => {
    expect(() => buildReferenceUnet({ size: 20, base: 4, levels: 3 })).toThrow(/not divisible by 2\^3/);
  });
});
