import type { LayoutDescriptor } from '@segkit/layouts';
import type { MaskRuns } from '@segkit/resize';

/**
 * N images of H×W in one typed array, row-major per image (index n*H*W + y*W + x), luminance
 * 0..255; `depths[n]` is the depth z from depths.csv, NaN when unknown.
 */
export interface ImageSet {
  ids: string[];
  height: number;
  width: number;
  /**
   * Channels per pixel in `images`: absent or 1 for luminance, 3 for RGB interleaved (index
   * ((n*H + y)*W + x)*3 + c), as the layout's `channels` asks.
   */
  channels?: 1 | 3;
  images: Uint8Array;
  depths: Float32Array;
  /**
   * Only where the images were resized to the model's input (`LoadOptions.resize`): each image's
   * own size as decoded, `sizes[2n]` its height and `sizes[2n + 1]` its width; `height`×`width`
   * is then the resized size every image has in `images`.
   */
  sizes?: Uint32Array;
}

/** An {@link ImageSet} with its masks, one plane per image, values 0/1. */
export interface TrainSet extends ImageSet {
  masks: Uint8Array;
  /**
   * Where the layout has several rows per image (Airbus ships, SIIM regions): the non-empty RLE
   * fields of each image's rows, in the mask CSV's flavour (`objectRle`), so a metric that counts
   * objects can tell them apart; `masks` holds their union.
   */
  objects?: string[][];
  /**
   * Only where the set was resized: each mask at its image's own size (see `sizes`) as row-major
   * runs (@segkit/resize's MaskRuns), for scoring against the true masks; `masks` holds them
   * resized to the model's size for training.
   */
  fullMasks?: MaskRuns;
}

export interface LoadOptions {
  /** The layout to read the folder with (a config's `data.layout`); detected from the files without it. */
  layout?: LayoutDescriptor;
  /**
   * Channels to decode: 1 (luminance), 3 (RGB), or `'auto'`: RGB unless every image of the split is
   * grey (R = G = B in every pixel, like TGS's PNGs stored as RGB), then luminance — the set's
   * `channels` says which. Default 1. A pipeline reads the training split with its layout's
   * `channels` (3 → `'auto'`) and the test split with the training split's channels.
   */
  channels?: 1 | 3 | 'auto';
  /**
   * Directory for one binary cache file per split and data directory, keyed by a fingerprint of
   * the source files (names, sizes, modification times). Omit to always decode.
   */
  cacheDir?: string;
  /**
   * Resample every image to this size as it is decoded (@segkit/resize: area when shrinking,
   * bilinear when growing; masks by the same weights thresholded at ½), so images of any size,
   * also different sizes within a split, load; the set then records each image's own size and the
   * full-size masks as runs. The cache stores the resized set.
   */
  resize?: { height: number; width: number };
  /** Called once the split is loaded, with its cache file's path and size in bytes and whether it was read from it. */
  onCache?: (info: { file: string; bytes: number; hit: boolean }) => void;
  /** Called after each decoded image (or once with done = total on a cache hit). */
  onProgress?: (done: number, total: number) => void;
  /** Images decoded at once (default 8); sharp decodes on the libuv thread pool. */
  concurrency?: number;
}
