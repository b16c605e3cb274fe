/**
 * Scoring logits predicted at the model's size against the true masks at each image's own size
 * (input.mode "resize"): each image's logits are brought back to its size (@segkit/resize's
 * resizeLogits: bilinear when growing), its true mask unpacked from its runs, and the two scored
 * by thresholdStats one image at a time, so memory holds one full-size image, not the set.
 */
import { concatThresholdStats, thresholdStats, type StatsOptions, type ThresholdStats } from '@segkit/metrics';
import { resizeLogits, unpackMaskRuns, type MaskRuns } from '@segkit/resize';

/** The full-size truths of a resized train set, and the size its logits were predicted at. */
export interface FullSizeTruths {
  /** The model's input size: the OOF logits are N·height·width. */
  height: number;
  width: number;
  /** Each image's own height and width (2 per image), as @segkit/data's TrainSet.sizes. */
  sizes: Uint32Array;
  /** Each image's true mask at its own size (TrainSet.fullMasks). */
  masks: MaskRuns;
}

/** thresholdStats of model-size logits against the full-size truths, image by image (see the module comment). */
export function fullSizeThresholdStats(logits: Float32Array, truths: FullSizeTruths, logitThresholds: ArrayLike<number>, options: StatsOptions = {}): ThresholdStats {
  const pixels = truths.height * truths.width;
  const n = logits.length / pixels;
  if (!Number.isInteger(n) || truths.sizes.length !== 2 * n || truths.masks.offsets.length !== n + 1) {
    throw new Error(`fullSizeThresholdStats: ${logits.length} logits of ${truths.height}×${truths.width} for ${truths.sizes.length / 2} sizes and ${truths.masks.offsets.length - 1} masks`);
  }
  const parts: ThresholdStats[] = [];
  for (let i = 0; i < n; i++) {
    const h = truths.sizes[2 * i];
    const w = truths.sizes[2 * i + 1];
    const full = resizeLogits(logits.subarray(i * pixels, (i + 1) * pixels), truths.height, truths.width, h, w);
    const truth = new Uint8Array(h * w);
    unpackMaskRuns(truths.masks, i, truth);
    parts.push(thresholdStats(full, truth, h * w, logitThresholds, { ...options, width: w, truthObjects: undefined }));
  }
  return concatThresholdStats(parts);
}
