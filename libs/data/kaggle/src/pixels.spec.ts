import { luminanceFromSamples, rgbFromSamples } from './pixels';

describe('pixel rules (shared by the loader and the browser demo)', () => {
  // Two pixels each; values worked out by hand.
  it.each<[string, Uint8Array | Uint16Array, number, number[], number[]]>([
    ['grey 8-bit', Uint8Array.from([7, 200]), 1, [7, 200], [7, 7, 7, 200, 200, 200]],
    ['grey + alpha', Uint8Array.from([7, 0, 200, 9]), 2, [7, 200], [7, 7, 7, 200, 200, 200]],
    // 0.299·255 = 76.245 -> 76; 0.299·10 + 0.587·20 + 0.114·30 = 18.15 -> 18
    ['RGB 8-bit', Uint8Array.from([255, 0, 0, 10, 20, 30]), 3, [76, 18], [255, 0, 0, 10, 20, 30]],
    ['RGBA, equal channels kept exactly', Uint8Array.from([9, 9, 9, 0, 250, 250, 250, 1]), 4, [9, 250], [9, 9, 9, 250, 250, 250]],
    // 65535 / 257 = 255; 1000 / 257 = 3.89 -> 4; 128 / 257 = 0.498 -> 0
    ['grey 16-bit', Uint16Array.from([65535, 1000]), 1, [255, 4], [255, 255, 255, 4, 4, 4]],
    ['RGB 16-bit', Uint16Array.from([65535, 0, 0, 128, 128, 128]), 3, [76, 0], [255, 0, 0, 0, 0, 0]],
  ])('%s', (_kind, samples, channels, luminance, rgb) => {
    expect(Array.from(luminanceFromSamples(samples, channels, 2))).toEqual(luminance);
    expect(Array.from(rgbFromSamples(samples, channels, 2))).toEqual(rgb);
  });

  it('too few samples is an error', () => {
    expect(() => rgbFromSamples(new Uint8Array(5), 3, 2)).toThrow(/5 samples are fewer than 2 pixels × 3 channels/);
  });
});
