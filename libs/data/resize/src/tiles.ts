/**
 * Overlapping tiles for predicting images bigger than the model's input (crops of the input size):
 * the tiles' origins along each axis, a window that tapers towards the tile edges, and the
 * weighted blend of the tiles' logits,
 *
 *   logits(p) = Σ_t w_t(p) · logits_t(p) / Σ_t w_t(p)   over the tiles t covering pixel p,
 *
 * so seams, where one tile's border logits (least context) meet another's centre, favour the
 * centre. Pure and browser-safe.
 */

/**
 * Tile origins along one axis: 0, stride, 2·stride, … with stride = tile − overlap, the last one
 * moved back to size − tile so the tiles end at the edge (a size equal to the tile is one tile).
 */
export function tileStarts(size: number, tile: number, overlap: number): number[] {
  for (const [v, what] of [[size, 'size'], [tile, 'tile']] as const) if (!Number.isInteger(v) || v < 1) throw new Error(`tileStarts: ${what} must be a positive integer, got ${v}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile) throw new Error(`tileStarts: overlap must be an integer in 0…${tile - 1}, got ${overlap}`);
  if (size < tile) throw new Error(`tileStarts: the image side ${size} is smaller than the tile ${tile}`);
  const stride = tile - overlap;
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += stride) starts.push(s);
  starts.push(size - tile);
  return starts;
}

/**
 * The window along one tile axis: w(i) = min(1, (i + ½)/overlap, (tile − i − ½)/overlap), a linear
 * ramp over `overlap` pixels at each end (never 0, so an image edge covered by one tile keeps its
 * logits); all ones without overlap. The 2-D window is w(y)·w(x).
 */
export function blendWindow(tile: number, overlap: number): Float32Array {
  const w = new Float32Array(tile);
  for (let i = 0; i < tile; i++) w[i] = overlap === 0 ? 1 : Math.min(1, (i + 0.5) / overlap, (tile - i - 0.5) / overlap);
  return w;
}

/** The tile origins [y, x] covering a height×width image, row by row. */
export function tileOrigins(height: number, width: number, tileHeight: number, tileWidth: number, overlap: number): Array<[number, number]> {
  const ys = tileStarts(height, tileHeight, overlap);
  const xs = tileStarts(width, tileWidth, overlap);
  return ys.flatMap((y) => xs.map((x) => [y, x] as [number, number]));
}

/** The tileHeight×tileWidth crop at (y0, x0) of an image with `channels` interleaved values, into `out`. */
export function cropTile<T extends Uint8Array | Float32Array>(image: T, width: number, channels: number, y0: number, x0: number, tileHeight: number, tileWidth: number, out: T): T {
  const row = tileWidth * channels;
  for (let y = 0; y < tileHeight; y++) {
    const from = ((y0 + y) * width + x0) * channels;
    out.set(image.subarray(from, from + row), y * row);
  }
  return out;
}

/** Accumulates tiles' logits into one height×width image by the module's weighted blend. */
export class TileBlender {
  private readonly sum: Float32Array;
  private readonly weight: Float32Array;
  private readonly wy: Float32Array;
  private readonly wx: Float32Array;

  constructor(
    readonly height: number,
    readonly width: number,
    readonly tileHeight: number,
    readonly tileWidth: number,
    overlap: number,
  ) {
    this.sum = new Float32Array(height * width);
    this.weight = new Float32Array(height * width);
    this.wy = blendWindow(tileHeight, overlap);
    this.wx = blendWindow(tileWidth, overlap);
  }

  /** One tile's logits (tileHeight×tileWidth, row-major) at origin (y0, x0). */
  add(logits: ArrayLike<number>, y0: number, x0: number): void {
    const { tileHeight: th, tileWidth: tw, width } = this;
    if (y0 < 0 || x0 < 0 || y0 + th > this.height || x0 + tw > width) throw new Error(`TileBlender: a tile at (${y0}, ${x0}) does not fit ${this.height}×${width}`);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const w = this.wy[y] * this.wx[x];
        const p = (y0 + y) * width + x0 + x;
        this.sum[p] += w * logits[y * tw + x];
        this.weight[p] += w;
      }
    }
  }

  /** Starts over for the next image of the same geometry. */
  reset(): void {
    this.sum.fill(0);
    this.weight.fill(0);
  }

  /** The blended logits, into `out` (a pixel no tile covered is an Error). */
  result(out: Float32Array = new Float32Array(this.height * this.width)): Float32Array {
    for (let p = 0; p < out.length; p++) {
      if (this.weight[p] === 0) throw new Error(`TileBlender: pixel ${p} is covered by no tile`);
      out[p] = this.sum[p] / this.weight[p];
    }
    return out;
  }
}

/**
 * A training crop's origin: with probability `bias` (and a non-empty mask) centred on a uniformly
 * chosen foreground pixel, else uniform over the image; clamped so the crop lies inside. `u1`…`u3`
 * are uniform numbers in [0, 1) (the caller's seeded generator), so the choice is reproducible.
 */
export function cropOrigin(height: number, width: number, tileHeight: number, tileWidth: number, mask: ArrayLike<number> | undefined, bias: number, u1: number, u2: number, u3: number): [number, number] {
  if (tileHeight > height || tileWidth > width) throw new Error(`cropOrigin: a ${tileHeight}×${tileWidth} crop does not fit ${height}×${width}`);
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  if (mask && u1 < bias) {
    let area = 0;
    for (let p = 0; p < mask.length; p++) if (mask[p]) area++;
    if (area > 0) {
      let k = Math.floor(u2 * area);
      for (let p = 0; p < mask.length; p++) {
        if (!mask[p]) continue;
        if (k-- === 0) {
          const y = Math.floor(p / width);
          const x = p % width;
          return [clamp(y - Math.floor(tileHeight / 2), height - tileHeight), clamp(x - Math.floor(tileWidth / 2), width - tileWidth)];
        }
      }
    }
  }
  return [Math.floor(u2 * (height - tileHeight + 1)), Math.floor(u3 * (width - tileWidth + 1))];
}
