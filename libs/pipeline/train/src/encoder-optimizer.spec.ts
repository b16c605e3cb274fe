import * as tf from '@tensorflow/tfjs';
import { configSchema } from '@segkit/config';
import { EncoderSplitAdam } from './encoder-optimizer';
import { encoderFrozen } from './stage';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('EncoderSplitAdam', () => {
  it('steps the encoder at lrScale × lr with its own Adam state, and its weights round-trip', async () => {
    const before = tf.memory().numTensors;
    const enc = tf.tidy(() => tf.variable(tf.tensor1d([1, 1]), true, 'encoder.conv1/kernel'));
    const dec = tf.tidy(() => tf.variable(tf.tensor1d([1, 1]), true, 'dec1_conv1/kernel'));
    const opt = new EncoderSplitAdam(0.1, 0.25);
    // Adam's first step moves every weight by lr · sign(g) (m̂ / √v̂ = g/|g|, ε aside).
    opt.minimize(() => tf.add(tf.sum(enc), tf.sum(dec)) as tf.Scalar, false, [enc, dec]);
    expect(Array.from(dec.dataSync()).map((v) => +v.toFixed(5))).toEqual([0.9, 0.9]);
    expect(Array.from(enc.dataSync()).map((v) => +v.toFixed(5))).toEqual([0.975, 0.975]);
    opt.learningRate = 0.2;
    expect(opt.learningRate).toBe(0.2);
    // A frozen encoder: only the decoder steps; the encoder's Adam is untouched.
    opt.minimize(() => tf.sum(dec) as tf.Scalar, false, [dec]);
    expect(Array.from(enc.dataSync()).map((v) => +v.toFixed(5))).toEqual([0.975, 0.975]);
    const weights = await opt.getWeights();
    expect(weights.map((w) => w.name)).toEqual([
      'iter', 'dec1_conv1/kernel/m', 'dec1_conv1/kernel/v',
      'iter', 'encoder.conv1/kernel/m', 'encoder.conv1/kernel/v',
      'decoder/accBeta1', 'decoder/accBeta2', 'encoder/accBeta1', 'encoder/accBeta2',
    ]);
    const copy = new EncoderSplitAdam(0.2, 0.25);
    await copy.setWeights(weights);
    const again = await copy.getWeights();
    again.forEach((w, i) => expect([w.name, Array.from(w.tensor.dataSync())]).toEqual([weights[i].name, Array.from(weights[i].tensor.dataSync())]));
    for (const w of [...weights, ...again]) if (w.name === 'iter') w.tensor.dispose();
    opt.dispose();
    copy.dispose();
    tf.dispose([enc, dec]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('encoderFrozen', () => {
  const cfg = (freezeEncoder: boolean | number) => configSchema.parse({ train: { freezeEncoder }, stage1: { epochs: 3, lr: 1e-3, loss: [{ kind: 'bce' }] } });
  it.each<[boolean | number, number, number, boolean]>([
    [false, 1, 0, false],
    [true, 2, 5, true],
    [2, 1, 1, true],
    [2, 1, 2, false],
    [4, 2, 0, true], // stage 1 has 3 epochs: stage 2's first is epoch 4 of training
    [4, 2, 1, false],
  ])('freezeEncoder %s: stage %i epoch %i frozen = %s', (freeze, stage, epoch, frozen) => {
    expect(encoderFrozen(cfg(freeze), stage as 1 | 2, epoch)).toBe(frozen);
  });
});
