import { Rng } from '@segkit/random';
import { augmentSample, brightnessContrast, hflip, reflectIndex, shiftScale } from './augment';

describe('hflip', () => {
  it('mirrors rows of a 2×3 image (by hand)', () => {
    const img = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect([...hflip(img, 2, 3)]).toEqual([3, 2, 1, 6, 5, 4]);
  });
  it('is its own inverse', () => {
    const img = Float32Array.from({ length: 35 }, (_, i) => i * 0.1);
    expect([...hflip(hflip(img, 5, 7), 5, 7)]).toEqual([...img]);
  });
});

describe('hflip of an RGB image', () => {
  it('mirrors pixels, keeping each pixel\'s three channels in order (1×3 image, by hand)', () => {
    const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...hflip(img, 1, 3, undefined, 3)]).toEqual([7, 8, 9, 4, 5, 6, 1, 2, 3]);
  });
});

describe('reflectIndex', () => {
  // numpy.pad(arange(4), 3, mode='reflect') = [3 2 1 0 1 2 3 2 1 0]
  it.each([
    [-3, 3],
    [-2, 2],
    [-1, 1],
    [0, 0],
    [3, 3],
    [4, 2],
    [5, 1],
    [6, 0],
    [7, 1],
  ])('i=%p in n=4 -> %p', (i, expected) => expect(reflectIndex(i, 4)).toBe(expected));
  it('n=1 always 0', () => expect(reflectIndex(5, 1)).toBe(0));
});

describe('brightnessContrast', () => {
  it('scales around the mean, shifts and clips (by hand)', () => {
    // mean 0.5; contrast 2: 0.25→0, 0.75→1; brightness 0.1 then: 0.1, 1.1→1
    const img = Float32Array.from([0.25, 0.75]);
    brightnessContrast(img, 2, 0.1);
    expect(img[0]).toBeCloseTo(0.1, 6);
    expect(img[1]).toBe(1);
  });
});

describe('brightnessContrast of an RGB image', () => {
  it('uses one mean over every channel and the same factor and shift for all of them (by hand)', () => {
    // One pixel (0.2, 0.4, 0.6) and one (0.4, 0.6, 0.8): mean 0.5 over all six values; contrast 2,
    // brightness 0: 2·(v − 0.5) + 0.5 = 2v − 0.5 → −0.1→0, 0.3, 0.7, 0.3, 0.7, 1.1→1.
    const img = Float32Array.from([0.2, 0.4, 0.6, 0.4, 0.6, 0.8]);
    brightnessContrast(img, 2, 0);
    [0, 0.3, 0.7, 0.3, 0.7, 1].forEach((v, i) => expect(img[i]).toBeCloseTo(v, 6));
  });
});

describe('shiftScale', () => {
  const h = 4;
  const w = 5;
  const img = Float32Array.from({ length: h * w }, (_, i) => i / 20);
  const mask = Float32Array.from({ length: h * w }, (_, i) => (i % 3 === 0 ? 1 : 0));
  it('is the identity at scale 1 and no shift', () => {
    const out = shiftScale(img, mask, h, w, 1, 0, 0);
    expect([...out.image].map((v) => +v.toFixed(6))).toEqual([...img].map((v) => +v.toFixed(6)));
    expect([...out.mask]).toEqual([...mask]);
  });
  it('shifts right by one pixel with reflection at the left edge', () => {
    const out = shiftScale(img, mask, h, w, 1, 1, 0);
    for (let y = 0; y < h; y++) {
      // dst x=0 reads src x=-1 → reflected to x=1; dst x reads src x−1 otherwise
      expect(out.image[y * w]).toBeCloseTo(img[y * w + 1], 6);
      for (let x = 1; x < w; x++) {
        expect(out.image[y * w + x]).toBeCloseTo(img[y * w + x - 1], 6);
        expect(out.mask[y * w + x]).toBe(mask[y * w + x - 1]);
      }
    }
  });
});

describe('augmentSample', () => {
  const h = 3;
  const w = 4;
  const img = Float32Array.from({ length: h * w }, (_, i) => i / 12);
  const mask = Float32Array.from({ length: h * w }, (_, i) => (i < 5 ? 1 : 0));
  it('flips image and mask together and keeps masks binary', () => {
    const cfg = { hflip: true, brightness: 0.1, contrast: 0.2, shiftScale: 0.2 };
    for (let s = 0; s < 20; s++) {
      const out = augmentSample(img, mask, h, w, cfg, new Rng(s));
      expect(out.mask.every((v) => v === 0 || v === 1)).toBe(true);
      expect(out.image.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });
  it('is deterministic for a seed and leaves the inputs untouched', () => {
    const cfg = { hflip: true, brightness: 0.1, contrast: 0.1, shiftScale: 0 };
    const a = augmentSample(img, mask, h, w, cfg, new Rng(9));
    const b = augmentSample(img, mask, h, w, cfg, new Rng(9));
    expect([...a.image]).toEqual([...b.image]);
    expect(img[1]).toBeCloseTo(1 / 12, 7);
  });
});

describe('augmentSample of an RGB image', () => {
  const h = 3;
  const w = 4;
  // Each channel is its own plane scaled: G = R / 2, B = R / 4, so a channel mixed into another shows.
  const red = Float32Array.from({ length: h * w }, (_, i) => i / 12);
  const rgb = Float32Array.from({ length: h * w * 3 }, (_, q) => red[Math.floor(q / 3)] / 2 ** (q % 3));
  const mask = Float32Array.from({ length: h * w }, (_, i) => (i < 5 ? 1 : 0));
  it('moves every channel as the grey plane of the same draws moves (flip and shift-scale), the mask alike', () => {
    const cfg = { hflip: true, brightness: 0, contrast: 0, shiftScale: 0.3 };
    for (let s = 0; s < 10; s++) {
      const grey = augmentSample(red, mask, h, w, cfg, new Rng(s));
      const colour = augmentSample(rgb, mask, h, w, cfg, new Rng(s), 3);
      expect([...colour.mask]).toEqual([...grey.mask]);
      for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) expect(colour.image[3 * p + c]).toBeCloseTo(grey.image[p] / 2 ** c, 6);
    }
  });
});
