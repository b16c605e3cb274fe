import { cropTile, tileOrigins, TileBlender } from '@segkit/resize';
import { forwardLogits, ForwardOptions, LogitsModel } from './inference';

/** The model's input size (a training crop's) and the overlap, in pixels, of neighbouring tiles. */
export interface TileSettings {
  height: number;
  width: number;
  overlap: number;
}

/**
 * Full-size logits of height×width images from a model that reads tile.height×tile.width crops:
 * each image is cut into the overlapping tiles of `tileOrigins` (stride = tile − overlap, the last
 * tile flush with the edge), every tile goes through `forwardLogits` (the same TTA and model
 * averaging, `opts.batchSize` tiles per pass), and the tiles' logits are blended by
 * `TileBlender`'s window,
 *
 *   logits(p) = Σ_t w_t(p) · logits_t(p) / Σ_t w_t(p)   over the tiles t covering p.
 *
 * Returns [indices.length · height · width] in the order of `indices`. An empty-mask gate, if the
 * model has one, is not read (it scores a tile, not the image).
 */
export function tiledLogits(
  model: LogitsModel | LogitsModel[],
  images: Uint8Array,
  indices: ArrayLike<number>,
  height: number,
  width: number,
  tile: TileSettings,
  opts: ForwardOptions,
): Float32Array {
  const channels = opts.channels ?? 1;
  const pixels = height * width;
  const values = pixels * channels;
  const count = images.length / values;
  if (!Number.isInteger(count)) throw new Error(`tiledLogits: ${images.length} bytes are not whole ${height}×${width}×${channels} images`);
  const origins = tileOrigins(height, width, tile.height, tile.width, tile.overlap);
  const tilePixels = tile.height * tile.width;
  const tileValues = tilePixels * channels;
  const tiles = new Uint8Array(origins.length * tileValues);
  const tileIndices = origins.map((_, t) => t);
  const out = new Float32Array(indices.length * pixels);
  const blender = new TileBlender(height, width, tile.height, tile.width, tile.overlap);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new Error(`tiledLogits: index ${i} is outside the ${count} images`);
    const image = images.subarray(i * values, (i + 1) * values);
    origins.forEach(([y0, x0], t) => cropTile(image, width, channels, y0, x0, tile.height, tile.width, tiles.subarray(t * tileValues, (t + 1) * tileValues)));
    const logits = forwardLogits(model, tiles, tileIndices, tile.height, tile.width, opts);
    blender.reset();
    origins.forEach(([y0, x0], t) => blender.add(logits.subarray(t * tilePixels, (t + 1) * tilePixels), y0, x0));
    blender.result(out.subarray(b * pixels, (b + 1) * pixels));
  }
  return out;
}
