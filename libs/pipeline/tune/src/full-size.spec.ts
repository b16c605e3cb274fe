import { thresholdStats } from '@segkit/metrics';
import { MaskRunsBuilder } from '@segkit/resize';
import { fullSizeThresholdStats } from './full-size';
import { tuneOof } from './record';

describe('fullSizeThresholdStats', () => {
  it('scores 1×2 logits brought back to each image\'s own size against its full-size truth', () => {
    // image 0: logits [−2, 2] → 1×4 [−2, −1, 1, 2]; truth 0 0 1 1: at threshold 0 a perfect mask
    // image 1: logits [4, 4] → 2×3 of 4s; truth one pixel: predicted area 6, intersection 1
    const logits = Float32Array.from([-2, 2, 4, 4]);
    const builder = new MaskRunsBuilder();
    builder.add([0, 0, 1, 1]);
    builder.add([0, 0, 0, 0, 1, 0]);
    const truths = { height: 1, width: 2, sizes: Uint32Array.from([1, 4, 2, 3]), masks: builder.build() };
    const stats = fullSizeThresholdStats(logits, truths, [-1.5, 0], { metric: 'dice' });
    expect(Array.from(stats.imagePixels!)).toEqual([4, 6]);
    expect(Array.from(stats.truthArea)).toEqual([2, 1]);
    // at −1.5: image 0 has −1, 1, 2 above (3 pixels, 2 true); at 0: 1, 2
    expect(Array.from(stats.predArea)).toEqual([3, 2, 6, 6]);
    expect(Array.from(stats.intersection)).toEqual([2, 2, 1, 1]);
  });

  it('gives tuneOof the same record as scoring at the model size when no resize happened', () => {
    const logits = Float32Array.from([3, -3, 2, -1, -2, -2, -2, -2, 1, 1, -1, 1]);
    const truths = Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0]);
    const builder = new MaskRunsBuilder();
    for (let i = 0; i < 3; i++) builder.add(truths.subarray(i * 4, i * 4 + 4));
    const common = { oofStage1: logits, oofStage2: logits, truths, pixels: 4, foldOf: [0, 1, 1], k: 2, scoring: { metric: 'dice' as const, width: 2 } };
    const options = { probFrom: 0.3, probTo: 0.7, probSteps: 5, refineSteps: 3, minAreas: [0, 2] };
    const plain = tuneOof({ ...common, options });
    const full = tuneOof({ ...common, options, fullSize: { height: 2, width: 2, sizes: Uint32Array.from([2, 2, 2, 2, 2, 2]), masks: builder.build() } });
    expect(full).toEqual(plain);
    expect(thresholdStats(logits, truths, 4, [0], { metric: 'dice' }).n).toBe(3);
  });
});
