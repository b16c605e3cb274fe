import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { greyAsRgb, tempDir, writePng } from './fixtures.testing';
import { decodeLuminance, decodeMask } from './png';
import { greyPlane } from './pixels';

const { dir, cleanup } = tempDir('segkit-png');
afterAll(cleanup);

// A 2x3 (H x W) image, so a transposed decode cannot pass.
const H = 2;
const W = 3;
const grey = [0, 1, 2, 128, 254, 255];

describe('decodeLuminance', () => {
  it.each([
    ['8-bit grey', 'grey8' as const, grey, grey],
    ['RGB with equal channels (real TGS images)', 'rgb8' as const, greyAsRgb(grey), grey],
    // Rec. 601 luma by hand: 0.299*10 + 0.587*20 + 0.114*30 = 18.15 -> 18;
    // 0.299*200 + 0.587*100 + 0.114*50 = 124.2 -> 124; 0.299*255 = 76.245 -> 76.
    ['RGB with unequal channels (Rec. 601 luma)', 'rgb8' as const, [10, 20, 30, 200, 100, 50, 255, 0, 0, 0, 0, 0, 7, 7, 7, 9, 9, 9], [18, 124, 76, 0, 7, 9]],
    ['RGBA (alpha ignored)', 'rgba8' as const, [5, 5, 5, 0, 6, 6, 6, 255, 7, 7, 7, 9, 8, 8, 8, 1, 9, 9, 9, 2, 10, 10, 10, 3], [5, 6, 7, 8, 9, 10]],
    // 16-bit: round(v / 257): 65535 -> 255, 257 -> 1, 128 -> 0, 32896 -> 128, 1000 -> 4 (3.89), 0 -> 0.
    ['16-bit grey (scaled by 1/257)', 'grey16' as const, [65535, 257, 128, 32896, 1000, 0], [255, 1, 0, 128, 4, 0]],
  ])('%s', async (_name, kind, samples, expected) => {
    const file = join(dir, `lum-${kind}-${expected.join('-')}.png`);
    await writePng(file, kind, H, W, samples);
    const plane = await decodeLuminance(file);
    expect(plane.height).toBe(H);
    expect(plane.width).toBe(W);
    expect(Array.from(plane.data)).toEqual(expected);
  });
});

describe('decodeMask', () => {
  it.each([
    ['16-bit 0/65535 (real TGS masks)', 'grey16' as const, [0, 65535, 65535, 0, 0, 65535], [0, 1, 1, 0, 0, 1]],
    // Values a naive 8-bit conversion (v >> 8) would turn into 0.
    ['16-bit small non-zero values', 'grey16' as const, [1, 0, 255, 256, 0, 2], [1, 0, 1, 1, 0, 1]],
    ['8-bit 0/255', 'grey8' as const, [255, 0, 0, 255, 255, 0], [1, 0, 0, 1, 1, 0]],
    ['8-bit 0/1', 'grey8' as const, [1, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 1]],
    ['RGB, any channel non-zero', 'rgb8' as const, [0, 0, 0, 0, 0, 1, 9, 0, 0, 0, 0, 0, 255, 255, 255, 0, 3, 0], [0, 1, 1, 0, 1, 1]],
  ])('%s', async (_name, kind, samples, expected) => {
    const file = join(dir, `mask-${kind}-${samples.join('-')}.png`);
    await writePng(file, kind, H, W, samples);
    const plane = await decodeMask(file);
    expect([plane.height, plane.width]).toEqual([H, W]);
    expect(Array.from(plane.data)).toEqual(expected);
  });
});

it.each([
  ['grey16' as const, 16, 0],
  ['grey8' as const, 8, 0],
  ['rgb8' as const, 8, 2],
  ['rgba8' as const, 8, 6],
])('the %s fixture really is that PNG flavour (IHDR bit depth %i, colour type %i)', async (kind, bitDepth, colourType) => {
  const channels = kind === 'rgb8' ? 3 : kind === 'rgba8' ? 4 : 1;
  const file = join(dir, `flavour-${kind}.png`);
  await writePng(file, kind, H, W, new Array(H * W * channels).fill(1));
  const bytes = readFileSync(file);
  expect([bytes[24], bytes[25]]).toEqual([bitDepth, colourType]);
});

describe('unreadable files are user errors naming the file', () => {
  it('a truncated PNG', async () => {
    const good = join(dir, 'good.png');
    await writePng(good, 'rgb8', H, W, greyAsRgb(grey));
    const bytes = readFileSync(good);
    const file = join(dir, 'truncated.png');
    writeFileSync(file, bytes.subarray(0, bytes.length - 20));
    await expect(decodeLuminance(file)).rejects.toThrow(UserError);
    await expect(decodeLuminance(file)).rejects.toThrow(`${file}: cannot decode image`);
  });

  it('a file that is not an image', async () => {
    const file = join(dir, 'garbage.png');
    writeFileSync(file, 'this is not a png');
    await expect(decodeMask(file)).rejects.toThrow(`${file}: cannot decode image`);
  });

  it('a missing file', async () => {
    const file = join(dir, 'absent.png');
    await expect(decodeLuminance(file)).rejects.toThrow(`${file}: cannot read (ENOENT)`);
  });
});

describe('greyPlane', () => {
  it('gives the one plane of RGB whose pixels all have R = G = B', () => {
    expect(Array.from(greyPlane(Uint8Array.from([7, 7, 7, 0, 0, 0, 255, 255, 255])) ?? [])).toEqual([7, 0, 255]);
  });
  it.each([
    ['red differs', [7, 7, 7, 1, 0, 0]],
    ['green differs', [7, 8, 7, 0, 0, 0]],
    ['blue differs', [7, 7, 7, 0, 0, 1]],
  ])('is undefined as soon as one pixel is colour (%s)', (_label, rgb) => {
    expect(greyPlane(Uint8Array.from(rgb))).toBeUndefined();
  });
  it('refuses bytes that are not whole RGB pixels', () => {
    expect(() => greyPlane(new Uint8Array(4))).toThrow('4 bytes are not whole RGB pixels');
  });
});
