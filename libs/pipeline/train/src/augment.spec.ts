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
