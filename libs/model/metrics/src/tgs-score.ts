/**
 * The TGS Salt Identification score of one image and of a set of images.
 *
 * Kaggle's metric: for each image, the precision at IoU thresholds t ∈ {0.50, 0.55, …, 0.95} is 1 if
 * the (single-object) prediction matches the truth with IoU > t, else 0 (TP / (TP + FP + FN) with at
 * most one object each side); the image score is the mean over the 10 thresholds, and the leaderboard
 * score is the mean over images. An image with an empty truth scores 1 if the prediction is empty too
 * and 0 otherwise (there is nothing to match, so any predicted object is a false positive).
 */

/** Kaggle's IoU thresholds 0.50, 0.55, …, 0.95, written as literals (not 0.5 + 0.05·k, which drifts). */
export const IOU_THRESHOLDS: readonly number[] = Object.freeze([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);

/**
 * Intersection over union, |A∩B| / (|A| + |B| − |A∩B|), from pixel counts.
 * Both masks empty (0/0) is defined as 1: two empty masks agree perfectly.
 */
export function iou(intersection: number, predArea: number, truthArea: number): number {
  const union = predArea + truthArea - intersection;
  return union === 0 ? 1 : intersection / union;
}

/**
 * Kaggle TGS score of one image, from its pixel counts.
 * Empty truth: 1 if the prediction is empty, else 0. Otherwise the fraction of the 10 thresholds
 * t = k/20 (k = 10…19) that the IoU STRICTLY exceeds. Compared exactly in integers
 * (IoU > k/20 ⇔ 20·I > k·U), so IoU exactly 0.5 or 0.75 land on the correct side.
 */
export function tgsImageScore(intersection: number, predArea: number, truthArea: number): number {
  if (truthArea === 0) return predArea === 0 ? 1 : 0;
  if (predArea === 0 || intersection === 0) return 0;
  const union = predArea + truthArea - intersection;
  const scaled = 20 * intersection;
  let hits = 0;
  for (let k = 10; k < 20; k++) if (scaled > k * union) hits++;
  return hits / 10;
}

/**
 * Mean TGS score of `n = preds.length / pixels` images given as flat binary masks (non-zero =
 * foreground), image after image, each `pixels` long. Returns the mean and the per-image scores.
 */
export function tgsMeanAP(preds: Uint8Array, truths: Uint8Array, pixels: number): { mean: number; perImage: Float64Array } {
  checkLayout(preds.length, truths.length, pixels, 'preds');
  const n = preds.length / pixels;
  const perImage = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let predArea = 0;
    let truthArea = 0;
    let intersection = 0;
    for (let p = i * pixels, end = p + pixels; p < end; p++) {
      const pr = preds[p] !== 0;
      const tr = truths[p] !== 0;
      if (pr) predArea++;
      if (tr) truthArea++;
      if (pr && tr) intersection++;
    }
    perImage[i] = tgsImageScore(intersection, predArea, truthArea);
    sum += perImage[i];
  }
  return { mean: n === 0 ? NaN : sum / n, perImage };
}

/** Throws when flat image buffers do not hold a whole number of equally sized images. */
export function checkLayout(length: number, truthLength: number, pixels: number, name: string): void {
  if (!Number.isInteger(pixels) || pixels <= 0) throw new Error(`pixels: expected a positive integer, got ${pixels}`);
  if (length !== truthLength) throw new Error(`${name}: length ${length} differs from truths length ${truthLength}`);
  if (length % pixels !== 0) throw new Error(`${name}: length ${length} is not a multiple of pixels (${pixels})`);
}
