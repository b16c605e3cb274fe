/**
 * Which test images become pseudo-labels: those the ensemble is confident on, after TGS Salt's
 * 1st place (three rounds of pseudo-labels from the test images whose predicted probability was
 * confident on most of their pixels).
 */
import { readNpyChunks } from '@segkit/io';

/** A pixel is confident when its probability is below this (background) … */
export const CONFIDENT_BELOW = 0.2;
/** … or above this (object). */
export const CONFIDENT_ABOVE = 0.8;

/**
 * The share of one image's pixels whose probability p = σ(x) = 1 / (1 + e^(−x)) of its logit x is
 * confident: #{p < 0.2 or p > 0.8} / pixels, for the `pixels` logits from `offset`.
 */
export function confidentShare(logits: Float32Array, offset: number, pixels: number): number {
  if (!Number.isInteger(pixels) || pixels <= 0) throw new Error(`confidentShare: pixels must be a positive integer, got ${pixels}`);
  if (offset < 0 || offset + pixels > logits.length) throw new Error(`confidentShare: logits [${offset}, ${offset + pixels}) outside an array of ${logits.length}`);
  let confident = 0;
  for (let i = offset; i < offset + pixels; i++) {
    const p = 1 / (1 + Math.exp(-logits[i]));
    if (p < CONFIDENT_BELOW || p > CONFIDENT_ABOVE) confident++;
  }
  return confident / pixels;
}

/** The chosen test images: their indices (in the logits' order), every image's confident share and the chosen images' masks. */
export interface PseudoSelection {
  /** Indices of the chosen images, ascending. */
  indices: number[];
  /** The confident share of every image (see {@link confidentShare}). */
  shares: Float64Array;
  /** The chosen images' masks, σ(x) > 0.5 (x > 0), one H·W plane of 0/1 each, in `indices` order. */
  masks: Uint8Array;
}

/**
 * The images of (N, H·W) logits whose confident share is at least `minConfidence`, with their
 * masks p > 0.5. `chunks` yields the logits in order, a whole number of images at a time.
 */
export function selectConfident(chunks: (onChunk: (values: Float32Array, firstImage: number) => void) => number, pixels: number, minConfidence: number): PseudoSelection {
  if (!(minConfidence > 0 && minConfidence <= 1)) throw new Error(`minConfidence must be in (0, 1], got ${minConfidence}`);
  const shares: number[] = [];
  const indices: number[] = [];
  const planes: Uint8Array[] = [];
  chunks((values, first) => {
    if (values.length % pixels !== 0) throw new Error(`a chunk of ${values.length} logits is not whole images of ${pixels} pixels`);
    for (let j = 0; j < values.length / pixels; j++) {
      if (first + j !== shares.length) throw new Error(`chunks out of order: image ${first + j} after ${shares.length}`);
      const share = confidentShare(values, j * pixels, pixels);
      shares.push(share);
      if (share < minConfidence) continue;
      indices.push(first + j);
      const mask = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p++) mask[p] = values[j * pixels + p] > 0 ? 1 : 0;
      planes.push(mask);
    }
  });
  const masks = new Uint8Array(indices.length * pixels);
  planes.forEach((m, i) => masks.set(m, i * pixels));
  return { indices, shares: Float64Array.from(shares), masks };
}

/**
 * {@link selectConfident} over a float32 `.npy` of logits (N, H, W), streamed `chunkImages` images
 * at a time (an ensemble's test logits: @segkit/ensemble's ensembleTestPath).
 */
export function selectConfidentFromNpy(path: string, pixels: number, minConfidence: number, chunkImages = 256): PseudoSelection {
  return selectConfident((onChunk) => readNpyChunks(path, 3, chunkImages, onChunk), pixels, minConfidence);
}
