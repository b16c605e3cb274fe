import sharp from 'sharp';
import { blend, grayRgb, maskEdge, overlayRgb, pngDataUri, renderWorstImage } from './images';
import { handInput } from '../fixtures/hand-input';

/** Rows of 0/1 strings, e.g. ['010', '111'] -> Uint8Array. */
function mask(rows: string[]): Uint8Array {
  return Uint8Array.from(rows.join('').split('').map(Number));
}

function rows(m: Uint8Array, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.length; i += width) out.push([...m.subarray(i, i + width)].join(''));
  return out;
}

async function decode(uri: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  expect(uri.startsWith('data:image/png;base64,')).toBe(true);
  const png = Buffer.from(uri.slice('data:image/png;base64,'.length), 'base64');
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('maskEdge', () => {
  it.each([
    // mask rows, height, width, scale, thickness, expected edge rows (worked out by hand)
    [['000', '010', '000'], 3, 3, 1, 1, ['000', '010', '000']],
    [['11', '11'], 2, 2, 2, 1, ['1111', '1001', '1001', '1111']],
    [['111'], 1, 3, 1, 1, ['111']],
    [['11111', '11111', '11111', '11111', '11111'], 5, 5, 1, 2, ['11111', '11111', '11011', '11111', '11111']],
    [['0110', '0110'], 2, 4, 1, 1, ['0110', '0110']],
    [['00', '00'], 2, 2, 3, 2, ['000000', '000000', '000000', '000000', '000000', '000000']],
  ])('%j (h %d, w %d) at %dx, %d px', (m, h, w, scale, thickness, expected) => {
    expect(rows(maskEdge(mask(m), h, w, scale, thickness), w * scale)).toEqual(expected);
  });
});

describe('blend / grayRgb', () => {
  it.each([
    [100, 0, 0.35, 65],
    [100, 200, 0.35, 135],
    [0, 255, 1, 255],
    [80, 255, 0, 80],
  ])('blend(%d, %d, %d) = %d', (base, over, a, expected) => {
    expect(blend(base, over, a)).toBe(expected);
  });

  it('repeats each pixel scale x scale times', () => {
    const rgb = grayRgb(Uint8Array.from([10, 20]), 1, 2, 2);
    // 2 rows of 4 pixels: 10 10 20 20, each pixel three equal channels.
    expect([...rgb]).toEqual([10, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 20, 10, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 20]);
  });
});

describe('overlayRgb', () => {
  // The hand input: 3x2 image 0,50 / 100,150 / 200,250; truth = top two rows; pred = pixel (0, 1).
  const w = handInput().worst[0];
  const rgb = overlayRgb(w, 3);
  const W = 6;
  const at = (Y: number, X: number): number[] => [...rgb.subarray((Y * W + X) * 3, (Y * W + X) * 3 + 3)];

  it.each([
    // [Y, X] at 3x, expected RGB, why
    [1, 4, [255, 0, 255], 'inside the 3x3 block of the predicted pixel: the 2 px outline covers it all'],
    [2, 3, [255, 0, 255], 'prediction outline drawn over the truth fill'],
    [3, 2, [65, 135, 65], 'truth interior: grey 100 blended 35% with (0, 200, 0)'],
    [5, 2, [0, 230, 0], 'last truth row: the truth outline'],
    [0, 0, [0, 230, 0], 'image corner inside the truth: outline'],
    [7, 1, [200, 200, 200], 'bottom row, outside both masks: plain grey 200'],
    [8, 5, [250, 250, 250], 'bottom-right: plain grey 250'],
  ])('pixel (%d, %d) is %j: %s', (Y, X, expected) => {
    expect(at(Y as number, X as number)).toEqual(expected);
  });

  it('is height*3 x width*3 x 3 bytes', () => {
    expect(rgb.length).toBe(9 * 6 * 3);
  });
});

describe('PNG data URIs', () => {
  it('round-trips the overlay through sharp with the expected size and colours', async () => {
    const w = handInput().worst[0];
    const pictures = await renderWorstImage(w, 3);
    const overlay = await decode(pictures.overlay);
    expect([overlay.width, overlay.height, overlay.channels]).toEqual([6, 9, 3]);
    const px = (Y: number, X: number): number[] => [...overlay.data.subarray((Y * 6 + X) * 3, (Y * 6 + X) * 3 + 3)];
    expect(px(1, 4)).toEqual([255, 0, 255]);
    expect(px(3, 2)).toEqual([65, 135, 65]);
    expect(px(7, 1)).toEqual([200, 200, 200]);

    const image = await decode(pictures.image);
    expect([image.width, image.height]).toEqual([2, 3]);
    // Native size: pixel (2, 1) is the last luminance value, 250.
    expect([...image.data.subarray((2 * 2 + 1) * image.channels, (2 * 2 + 1) * image.channels + 3)]).toEqual([250, 250, 250]);
  });

  it('encodes a subarray view from its own offset', async () => {
    const backing = Uint8Array.from([9, 9, 9, 1, 2, 3]);
    const { data, width, height } = await decode(await pngDataUri(backing.subarray(3), 1, 1));
    expect([width, height]).toEqual([1, 1]);
    expect([...data.subarray(0, 3)]).toEqual([1, 2, 3]);
  });
});
