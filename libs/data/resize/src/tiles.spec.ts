import { blendWindow, cropOrigin, cropTile, TileBlender, tileOrigins, tileStarts } from './tiles';

/** Predicts every tile of `field` (h×w) as the field itself restricted to the tile, and blends them. */
function blendOf(field: (y: number, x: number) => number, h: number, w: number, th: number, tw: number, overlap: number): Float32Array {
  const blender = new TileBlender(h, w, th, tw, overlap);
  const image = Float32Array.from({ length: h * w }, (_, p) => field(Math.floor(p / w), p % w));
  const tile = new Float32Array(th * tw);
  for (const [y0, x0] of tileOrigins(h, w, th, tw, overlap)) blender.add(cropTile(image, w, 1, y0, x0, th, tw, tile), y0, x0);
  return blender.result();
}

describe('tiles', () => {
  it.each([
    // size, tile, overlap → starts (stride = tile − overlap; the last moved back to the edge)
    [6, 4, 2, [0, 2]],
    [10, 4, 1, [0, 3, 6]],
    [10, 4, 0, [0, 4, 6]],
    [4, 4, 2, [0]],
  ])('tileStarts(%i, %i, %i) = %j', (size, tile, overlap, starts) => {
    expect(tileStarts(size, tile, overlap)).toEqual(starts);
  });

  it('refuses a side smaller than the tile and an overlap as big as the tile', () => {
    expect(() => tileStarts(3, 4, 1)).toThrow('the image side 3 is smaller than the tile 4');
    expect(() => tileStarts(8, 4, 4)).toThrow('overlap must be an integer in 0…3');
  });

  it('tapers the window linearly over the overlap: tile 4, overlap 2 → ¼, ¾, ¾, ¼', () => {
    expect(Array.from(blendWindow(4, 2))).toEqual([0.25, 0.75, 0.75, 0.25]);
    expect(Array.from(blendWindow(3, 0))).toEqual([1, 1, 1]);
  });

  it('blends two overlapping tiles by their windows (by hand)', () => {
    // a 1×6 row, tiles at 0 and 2: tile 0 predicts 0 everywhere, tile 1 predicts 1.
    // pixel 2: (¾·0 + ¼·1) / 1 = ¼; pixel 3: (¼·0 + ¾·1) / 1 = ¾
    const b = new TileBlender(1, 6, 1, 4, 2);
    b.add([0, 0, 0, 0], 0, 0);
    b.add([1, 1, 1, 1], 0, 2);
    // one axis only: a 1-row tile's y-window is blendWindow(1, 2) = [¼]; it scales both tiles alike
    expect(Array.from(b.result())).toEqual([0, 0, 0.25, 0.75, 1, 1]);
  });

  it('gives back a constant field and a linear ramp exactly (up to float rounding)', () => {
    const constant = blendOf(() => 3.5, 13, 17, 8, 6, 3);
    constant.forEach((v) => expect(v).toBeCloseTo(3.5, 5));
    const ramp = (y: number, x: number) => 0.5 * y - 0.25 * x + 2;
    const blended = blendOf(ramp, 13, 17, 8, 6, 3);
    blended.forEach((v, p) => expect(v).toBeCloseTo(ramp(Math.floor(p / 17), p % 17), 4));
  });

  it('crops with channels and names a tile that does not fit', () => {
    // a 2×3 RGB image, its 1×2 crop at (1, 1)
    const image = Uint8Array.from({ length: 18 }, (_, i) => i);
    expect(Array.from(cropTile(image, 3, 3, 1, 1, 1, 2, new Uint8Array(6)))).toEqual([12, 13, 14, 15, 16, 17]);
    expect(() => new TileBlender(4, 4, 3, 3, 1).add(new Float32Array(9), 2, 0)).toThrow('a tile at (2, 0) does not fit 4×4');
  });

  it('picks a crop origin uniformly, or centred on a foreground pixel', () => {
    // 10×10, crop 4×4: uniform origins in 0…6
    expect(cropOrigin(10, 10, 4, 4, undefined, 0, 0.5, 0, 0.999)).toEqual([0, 6]);
    // the only foreground pixel at (9, 1): centred → (7, −1), clamped to (6, 0)
    const mask = new Uint8Array(100);
    mask[91] = 1;
    expect(cropOrigin(10, 10, 4, 4, mask, 1, 0, 0.3, 0.7)).toEqual([6, 0]);
    // bias not drawn (u1 ≥ bias): uniform
    expect(cropOrigin(10, 10, 4, 4, mask, 0.5, 0.6, 0.5, 0.5)).toEqual([3, 3]);
  });
});
