import { combineLogits } from '@segkit/ensemble';
import { forwardLogits, specChannels, ttaPairs, type InferenceSpec, type LogitsModel, type TtaPair } from '@segkit/models';
import { resizeImageBytes, resizeLogits } from '@segkit/resize';
import { gateSaysEmpty, maskRow } from '@segkit/submit';
import type { BundleInfo } from './bundle-schema';

// Inference with a bundle on decoded images, without files: what `npm run infer` (./infer.ts) and
// the browser demo both run, so the page predicts exactly as the command line does.

/** The TTA pairs bundle.json names, in its order; an unsupported set is an Error naming it. */
export function bundleTtas(info: BundleInfo): TtaPair[] {
  const ttas = ttaPairs(info.tta.includes('hflip'));
  if (ttas.map((t) => t.name).join(',') !== info.tta.join(',')) throw new Error(`tta ${JSON.stringify(info.tta)} is not a supported set`);
  return ttas;
}

/** Why an exported model does not fit the bundle (its image size, channels or padding differs from bundle.json's), or undefined when it fits. */
export function modelMismatch(info: BundleInfo, spec: InferenceSpec): string | undefined {
  if (spec.height !== info.height || spec.width !== info.width) return `the model takes ${spec.height}×${spec.width} images, bundle.json says ${info.height}×${info.width}`;
  if (specChannels(spec) !== (info.channels ?? 1)) return `the model reads ${specChannels(spec)} channel(s), bundle.json says ${info.channels ?? 1}`;
  if (JSON.stringify(spec.padding) !== JSON.stringify(info.padding)) return `the model's padding ${JSON.stringify(spec.padding)} differs from bundle.json's ${JSON.stringify(info.padding)}`;
  return undefined;
}

/**
 * The bundle's ensembled logits for the images at `indices` (8-bit images of the bundle's size and
 * channels, row-major: luminance planes, or RGB interleaved when bundle.json's `channels` is 3): per fold the mean over its models of the TTA-mean logits, in batches
 * of the bundle's batch size (the pipeline's own batches), then the folds combined by the
 * bundle's ensemble mode. Returns [indices.length · H · W] in the order of `indices`.
 */
export function ensembleLogits(folds: LogitsModel[][], images: Uint8Array, indices: ArrayLike<number>, info: BundleInfo, ttas: TtaPair[] = bundleTtas(info)): Float32Array {
  return ensembleLogitsAndGate(folds, images, indices, info, ttas).logits;
}

/**
 * {@link ensembleLogits}, plus the models' empty-mask gate logits [indices.length] when they have a
 * gate (combined over the folds as the logits are, as the pipeline's ensemble does).
 */
export function ensembleLogitsAndGate(folds: LogitsModel[][], images: Uint8Array, indices: ArrayLike<number>, info: BundleInfo, ttas: TtaPair[] = bundleTtas(info)): { logits: Float32Array; gate?: Float32Array } {
  if (folds.length !== info.folds.length) throw new Error(`ensembleLogits: ${folds.length} folds of models, bundle.json lists ${info.folds.length}`);
  const gates: Float32Array[] = [];
  const parts = folds.map((models) => {
    let gate: Float32Array | undefined;
    const logits = forwardLogits(models, images, indices, info.height, info.width, {
      batchSize: info.batchSize,
      ttas,
      channels: info.channels ?? 1,
      onGate: (g, start) => (gate ??= new Float32Array(indices.length)).set(g, start),
    });
    if (gate) gates.push(gate);
    return logits;
  });
  const logits = combineLogits(parts, info.ensemble.mode);
  return gates.length === parts.length && gates.length > 0 ? { logits, gate: combineLogits(gates, info.ensemble.mode) } : { logits };
}

/**
 * A decoded image (8-bit, `channels` per pixel) as the bundle's models read it: itself when it has
 * the bundle's size, resized to it when the bundle resizes (`info.input`); any other size is an
 * Error naming both sizes.
 */
export function bundleImage(info: Pick<BundleInfo, 'height' | 'width' | 'input'>, image: Uint8Array, height: number, width: number, channels = 1): Uint8Array {
  if (height === info.height && width === info.width) return image;
  if (!info.input) throw new Error(`image is ${height}×${width}, the bundle's models take ${info.height}×${info.width}`);
  return resizeImageBytes(image, height, width, channels, info.height, info.width);
}

/**
 * One image's mask (into `mask`, of the image's own size) and its Kaggle RLE from its ensembled
 * logits: above the logit threshold, emptied below the minimum area — the bundle's tuned values
 * unless given — or empty when the bundle has a gate threshold and the image's gate logit is not above it. With `size` (the image's own [height, width], for a bundle that resizes) the
 * logits are first brought back to it (@segkit/resize's resizeLogits), as the submission does.
 */
export function bundleMask(
  logits: Float32Array,
  id: string,
  info: BundleInfo,
  mask: Uint8Array,
  post: { logitThreshold?: number; minArea?: number } = {},
  size?: readonly [number, number],
  /** The image's empty-mask gate logit (ensembleLogitsAndGate): at or below the bundle's gateLogitThreshold the mask is empty. */
  gateLogit?: number,
): { rle: string; area: number } {
  const gated = gateSaysEmpty(gateLogit, info.gateLogitThreshold);
  const logitThreshold = gated ? Infinity : (post.logitThreshold ?? info.logitThreshold);
  // A threshold triplet's top threshold moves with the threshold a user picks.
  const top = gated || info.topLogitThreshold === undefined ? logitThreshold : info.topLogitThreshold + (logitThreshold - info.logitThreshold);
  const [h, w] = size ?? [info.height, info.width];
  const full = h === info.height && w === info.width ? logits : resizeLogits(logits, info.height, info.width, h, w);
  return maskRow(full, id, h, w, logitThreshold, post.minArea ?? info.minArea, mask, top);
}
