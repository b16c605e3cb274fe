import type { TrainSet } from '@segkit/data';

/** A square's bounds, right and bottom excluded. */
export interface Square {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** How {@link saltSquares} draws its images: the square's bounds, its grey level and the background. */
export interface SaltSquaresSpec {
  n: number;
  size: number;
  /** The square on every even image (or image i's square): x in [x0, x1), y in [y0, y1); mask 1 there, 0 elsewhere. */
  square: Square | ((i: number) => Square);
  /** Grey level inside the square. */
  salt: number;
  /** Grey level of background pixel (x, y) of image i (a texture, so the images differ). */
  background: (x: number, y: number, i: number) => number;
}

/**
 * A tiny train set for fold-level tests (train, predict): `n` square images `size`×`size`, a bright
 * square (the "salt") on the even ones and nothing on the odd ones, ids `id0` … and unknown depths.
 */
export function saltSquares(spec: SaltSquaresSpec): TrainSet {
  const { n, size: h, size: w, square, salt, background } = spec;
  const images = new Uint8Array(n * h * w);
  const masks = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const sq = typeof square === 'function' ? square(i) : square;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inSquare = i % 2 === 0 && x >= sq.x0 && x < sq.x1 && y >= sq.y0 && y < sq.y1;
        images[i * h * w + y * w + x] = inSquare ? salt : background(x, y, i);
        masks[i * h * w + y * w + x] = inSquare ? 1 : 0;
      }
    }
  }
  return { ids: Array.from({ length: n }, (_, i) => `id${i}`), height: h, width: w, images, masks, depths: new Float32Array(n).fill(NaN) };
}

/** Two folds in blocks of two (ids 0,1 → fold 0; 2,3 → fold 1; 4,5 → fold 0 …), so each fold holds salt and empty images. */
export function pairedFolds(ids: readonly string[]): Map<string, number> {
  return new Map(ids.map((id, i) => [id, i % 4 < 2 ? 0 : 1]));
}
