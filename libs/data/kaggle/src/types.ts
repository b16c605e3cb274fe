/**
 * N images of H×W in one typed array, row-major per image (index n*H*W + y*W + x), luminance
 * 0..255; `depths[n]` is the depth z from depths.csv, NaN when unknown.
 */
export interface ImageSet {
  ids: string[];
  height: number;
  width: number;
  images: Uint8Array;
  depths: Float32Array;
}

/** An {@link ImageSet} with its masks, same layout, values 0/1. */
export interface TrainSet extends ImageSet {
  masks: Uint8Array;
}

export interface LoadOptions {
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
