import * as tf from '@tensorflow/tfjs';
import type { PipelineConfig } from '@segkit/config';
import type { TrainSet } from '@segkit/data';
import { validate } from './epoch';

describe('validate', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // Two 2×2 validation images; the model's logit is 2·x − 1: +1 on a 255 pixel, −1 on a 0 pixel.
  //   image 0: every pixel 255 → predicted mask of 4 pixels; truth 1 pixel:
  //            IoU 1/4 → TGS precision 0 at every threshold; Dice 2·1/(4 + 1) = 0.4
  //   image 1: one 255 pixel → predicted mask = truth (1 pixel): TGS 1, Dice 1
  // Means: TGS mAP (0 + 1)/2 = 0.5, Dice (0.4 + 1)/2 = 0.7.
  const train: TrainSet = {
    ids: ['a', 'b'],
    height: 2,
    width: 2,
    images: Uint8Array.from([255, 255, 255, 255, 255, 0, 0, 0]),
    masks: Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0]),
    depths: new Float32Array(2),
  };
  const model = { predict: (x: tf.Tensor) => tf.sub(tf.mul(x, 2), 1) } as unknown as tf.LayersModel;
  const data = { config: { train: { batchSize: 2 }, input: { mode: 'pad' } } as PipelineConfig, train, fold: 0, trainIdx: [], valIdx: [0, 1] };
  const zeroLoss = () => tf.scalar(0);

  it.each([
    ['tgs-map', 0.5],
    ['dice', 0.7],
  ] as const)('scores the validation images in the run\'s metric (%s)', (metric, want) => {
    const before = tf.memory().numTensors;
    expect(validate(model, zeroLoss, { ...data, metric }).val_score).toBeCloseTo(want, 10);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('input.mode "crop": full-size logits blended from tiles of the crop size (a pixelwise model: the same logits and score)', () => {
    const crop = { ...data, metric: 'dice' as const, config: { train: { batchSize: 2 }, input: { mode: 'crop', size: [1, 2], overlap: 0 } } as unknown as PipelineConfig };
    const before = tf.memory().numTensors;
    const r = validate(model, zeroLoss, crop);
    // 2·x − 1 per pixel, whichever 1×2 tile it was read in: image 0 all +1, image 1 +1 then −1s.
    expect(Array.from(r.logits)).toEqual([1, 1, 1, 1, 1, -1, -1, -1]);
    expect(r.val_score).toBeCloseTo(0.7, 10);
    expect(tf.memory().numTensors).toBe(before);
  });
});
