import type { BundleInfo } from './bundle-schema';
import { bundleImage, bundleMask } from './predict';

const info = (resize: boolean): BundleInfo => ({
  format: 'tgs-bundle-1',
  name: 't',
  createdAt: '2026-01-01T00:00:00.000Z',
  height: 1,
  width: 2,
  padding: { mode: 'reflect', top: 0, bottom: 0, left: 0, right: 0 },
  tta: ['identity'],
  batchSize: 1,
  ensemble: { mode: 'logit-mean' },
  folds: [{ fold: 0, models: ['best'] }],
  logitThreshold: 0,
  probThreshold: 0.5,
  minArea: 0,
  ...(resize ? { input: { mode: 'resize' as const } } : {}),
});

describe('a resizing bundle', () => {
  it('resizes an image of another size as training did, and refuses it otherwise', () => {
    // 1×4 → 1×2 by area: pairs averaged
    expect(Array.from(bundleImage(info(true), Uint8Array.from([10, 20, 30, 50]), 1, 4))).toEqual([15, 40]);
    expect(() => bundleImage(info(false), new Uint8Array(4), 1, 4)).toThrow("image is 1×4, the bundle's models take 1×2");
  });

  it("writes the mask at the image's own size", () => {
    // logits [−2, 2] → 1×4 [−2, −1, 1, 2]: pixels 3 and 4
    const mask = new Uint8Array(4);
    expect(bundleMask(Float32Array.from([-2, 2]), 'a', info(true), mask, {}, [1, 4])).toEqual({ rle: '3 2', area: 2 });
    expect(Array.from(mask)).toEqual([0, 0, 1, 1]);
  });
});
