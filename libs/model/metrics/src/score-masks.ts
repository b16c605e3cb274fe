/**
 * A metric on binary masks already decided (a submission against known test masks): the same
 * per-image scores as the OOF statistics (the registry's area score, or the object matching of
 * f2-objects), on masks instead of thresholded logits.
 */
import { compactTruthLabels, f2ImageScore, labelComponents, objectTruePositives } from './objects';
import { MetricName, metricInfo } from './registry';
import { checkLayout } from './tgs-score';

export interface MaskScoreOptions {
  /**
   * Object metrics: objects as one label per pixel (0 = background), n·H·W like the masks, e.g. a
   * submission's or a truth CSV's rows; without them, the 8-connected components of each mask.
   */
  predObjects?: ArrayLike<number>;
  truthObjects?: ArrayLike<number>;
}

/**
 * Mean and per-image scores of `metric` for n = preds.length / (H·W) images given as flat row-major
 * masks (non-zero = foreground), image after image.
 */
export function scoreMasks(
  metric: MetricName,
  preds: Uint8Array,
  truths: Uint8Array,
  height: number,
  width: number,
  options: MaskScoreOptions = {},
): { mean: number; perImage: Float64Array } {
  const pixels = height * width;
  checkLayout(preds.length, truths.length, pixels, 'preds');
  const n = preds.length / pixels;
  const perImage = new Float64Array(n);
  const areaScore = metricInfo(metric).areaScore;
  for (let i = 0; i < n; i++) {
    const offset = i * pixels;
    if (areaScore !== undefined) {
      let predArea = 0;
      let truthArea = 0;
      let intersection = 0;
      for (let p = offset, end = p + pixels; p < end; p++) {
        const pr = preds[p] !== 0;
        const tr = truths[p] !== 0;
        if (pr) predArea++;
        if (tr) truthArea++;
        if (pr && tr) intersection++;
      }
      perImage[i] = areaScore(intersection, predArea, truthArea);
    } else {
      perImage[i] = objectImageScore(preds, truths, offset, height, width, options);
    }
  }
  let sum = 0;
  for (const s of perImage) sum += s;
  return { mean: n === 0 ? NaN : sum / n, perImage };
}

/** One image's object score: each side's objects from the given labels or the mask's components. */
function objectImageScore(preds: Uint8Array, truths: Uint8Array, offset: number, height: number, width: number, options: MaskScoreOptions): number {
  const pixels = height * width;
  const objectsOf = (mask: Uint8Array, given: ArrayLike<number> | undefined): { labels: Int32Array; count: number; areas: Int32Array } => {
    const labels = new Int32Array(pixels);
    if (given !== undefined) {
      const { nTruth, areas } = compactTruthLabels(given, offset, pixels, labels);
      return { labels, count: nTruth, areas };
    }
    const components = labelComponents(mask.subarray(offset, offset + pixels), height, width);
    const areas = new Int32Array(components.count + 1);
    for (let p = 0; p < pixels; p++) areas[components.labels[p]]++;
    return { labels: components.labels, count: components.count, areas };
  };
  const pred = objectsOf(preds, options.predObjects);
  const truth = objectsOf(truths, options.truthObjects);
  const listed: number[] = [];
  for (let p = 0; p < pixels; p++) if (pred.labels[p] !== 0) listed.push(p);
  const tp = objectTruePositives(listed, listed.length, pred.labels, pred.areas, truth.labels, 0, truth.areas, truth.count);
  return f2ImageScore(tp, pred.count, truth.count);
}
