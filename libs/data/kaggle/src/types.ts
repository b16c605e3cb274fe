import type { LayoutDescriptor } from '@segkit/layouts';

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
}

export interface LoadOptions {
  /** The layout to read the folder with (a config's `data.layout`); detected from the files without it. */
  layout?: LayoutDescriptor;
  /** Channels to decode: 1 (luminance) or 3 (RGB); default 1 (a model reading RGB asks for 3). */
  channels?: 1 | 3;
  /**
   * Directory for one binary cache file per split and data directory, keyed by a fingerprint of
   * the source files (names, sizes, modification times). Omit to always decode.
   */
  cacheDir?: string;
  /** Called after each decoded image (or once with done = total on a cache hit). */
  onProgress?: (done: number, total: number) => void;
  /** Images decoded at once (default 8); sharp decodes on the libuv thread pool. */
  concurrency?: number;
}
