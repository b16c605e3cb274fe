import * as tf from '@tensorflow/tfjs';
import { hflipTta, identityTta, LogitsModel } from './inference';
import { tiledLogits } from './tiled';

/** A stand-in model: each tile's logits are the tile's mean input, at every pixel. */
const tileMean: LogitsModel = { predict: (x) => tf.mul(tf.onesLike(x), tf.mean(x, [1, 2, 3], true)) };

describe('tiledLogits', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('blends 2×2 tiles of a 3×3 image (overlap 1, window ½·½ everywhere) into the means of the covering tiles', () => {
    const before = tf.memory().numTensors;
    // Image 1 has byte 10·p at pixel p; image 0 is blank. Tiles at (0,0), (0,1), (1,0), (1,1) have
    // means 20, 30, 50, 60 (/255); equal weights give each pixel the mean of its tiles' means:
    // corners 20, 30, 50, 60; edges (20+30)/2 = 25, (20+50)/2 = 35, (30+60)/2 = 45, (50+60)/2 = 55;
    // the centre (20+30+50+60)/4 = 40.
    const images = new Uint8Array(18);
    for (let p = 0; p < 9; p++) images[9 + p] = p * 10;
    const out = tiledLogits(tileMean, images, [1, 0], 3, 3, { height: 2, width: 2, overlap: 1 }, { batchSize: 3 });
    const want = [20, 25, 30, 35, 40, 45, 50, 55, 60].map((v) => v / 255);
    expect(out.length).toBe(18);
    Array.from(out.subarray(0, 9)).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    expect(Array.from(out.subarray(9))).toEqual(new Array(9).fill(0));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a pixel-wise model comes back unchanged at full size, with TTA, for RGB images', () => {
    const before = tf.memory().numTensors;
    const affine: LogitsModel = { predict: (x) => tf.sub(tf.mul(tf.sum(x, 3, true), 2), 1) };
    const h = 7;
    const w = 9;
    const images = Uint8Array.from({ length: h * w * 3 }, (_, k) => (k * 37) % 256);
    const out = tiledLogits(affine, images, [0], h, w, { height: 4, width: 5, overlap: 2 }, { batchSize: 2, ttas: [identityTta, hflipTta], channels: 3 });
    for (let p = 0; p < h * w; p++) {
      const want = 2 * ((images[3 * p] + images[3 * p + 1] + images[3 * p + 2]) / 255) - 1;
      expect(out[p]).toBeCloseTo(want, 5);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names an index outside the images', () => {
    expect(() => tiledLogits(tileMean, new Uint8Array(9), [1], 3, 3, { height: 2, width: 2, overlap: 1 }, { batchSize: 1 })).toThrow('tiledLogits: index 1 is outside the 1 images');
  });
});
