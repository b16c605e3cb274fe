import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { crc32, UserError } from '@segkit/io';
import { decodePng } from './png-decoder';

const W = 13;
const H = 7;
/** Deterministic sample values (a fixed LCG), so every filter sees varied neighbours. */
function values(n: number, max: number, seed = 7): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s % (max + 1)));
}

/** What sharp (libspng) decodes from the same file, kept at the file's depth. */
async function sharpSamples(png: Buffer, channels: number, sixteen: boolean): Promise<number[]> {
  const grey = channels <= 2;
  const space = sixteen ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
  const { data, info } = await sharp(png).toColourspace(space).raw(sixteen ? { depth: 'ushort' } : undefined).toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(channels);
  return Array.from(sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data);
}

/** A PNG written by hand: one IHDR, the given scanlines (filter byte included) in one IDAT, IEND. */
function handPng(width: number, height: number, bitDepth: number, colourType: number, scanlines: number[][], interlace = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colourType, 0, 0, interlace], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from(scanlines.flat()))), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodePng (the PNG decoder shared by the loader and the browser demo)', () => {
  it.each<[string, () => Promise<Buffer>, number, boolean]>([
    ['8-bit grey', () => sharp(Buffer.from(values(W * H, 255)), { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toBuffer(), 1, false],
    ['8-bit RGB', () => sharp(Buffer.from(values(W * H * 3, 255)), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer(), 3, false],
    ['8-bit RGBA', () => sharp(Buffer.from(values(W * H * 4, 255)), { raw: { width: W, height: H, channels: 4 } }).png().toBuffer(), 4, false],
    ['8-bit RGB, Adam7-interlaced', () => sharp(Buffer.from(values(W * H * 3, 255)), { raw: { width: W, height: H, channels: 3 } }).png({ progressive: true }).toBuffer(), 3, false],
    [
      '16-bit grey',
      () => sharp(new Uint16Array(values(W * H, 65535)), { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toBuffer(),
      1,
      true,
    ],
    [
      '16-bit RGB, interlaced',
      () => sharp(new Uint16Array(values(W * H * 3, 65535)), { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png({ progressive: true }).toBuffer(),
      3,
      true,
    ],
    ['palette (2 bits)', () => sharp(Buffer.from(values(W * H * 3, 3).map((v) => v * 80)), { raw: { width: W, height: H, channels: 3 } }).png({ palette: true, colours: 4, dither: 0 }).toBuffer(), 3, false],
  ])('%s: the samples sharp decodes', async (_kind, make, channels, sixteen) => {
    const png = await make();
    const mine = await decodePng(png, inflateSync, 'x.png');
    expect([mine.height, mine.width, mine.channels, mine.samples instanceof Uint16Array]).toEqual([H, W, channels, sixteen]);
    expect(Array.from(mine.samples)).toEqual(await sharpSamples(png, channels, sixteen));
  });

  it('reads 16-bit samples big-endian and undoes each of the five filters (hand-made file, known values)', async () => {
    // 2×2 16-bit grey; rows filtered Sub then Paeth. Pixels: [0x0102, 0x0304; 0x0506, 0xff00].
    // Row 0, Sub (bpp 2): 01 02, 03-01 04-02 = 02 02. Row 1, Paeth against row 0:
    // byte 0: a=0,b=01,c=0 -> p=1, nearest b -> 05-01=04; byte 1: a=0,b=02,c=0 -> 06-02=04;
    // byte 2: a=05,b=03,c=01 -> p=7, |7-5|=2,|7-3|=4,|7-1|=6 -> a: ff-05=fa; byte 3: a=06,b=04,c=02 -> p=8 -> a: 00-06=fa.
    const png = handPng(2, 2, 16, 0, [
      [1, 0x01, 0x02, 0x02, 0x02],
      [4, 0x04, 0x04, 0xfa, 0xfa],
    ]);
    const { samples } = await decodePng(png, inflateSync, 'x.png');
    expect(Array.from(samples)).toEqual([0x0102, 0x0304, 0x0506, 0xff00]);
    // 3×2 8-bit grey, rows None/Up/Average: [10 20 30; 11 22 33] then Average on a third row [12 24 36]:
    // row 1 Up: 1 2 3; row 2 Average: 12-(0+11>>1)=7, 24-((12+22)>>1)=7, 36-((24+33)>>1)=8.
    const eight = handPng(3, 3, 8, 0, [
      [0, 10, 20, 30],
      [2, 1, 2, 3],
      [3, 7, 7, 8],
    ]);
    expect(Array.from((await decodePng(eight, inflateSync, 'x.png')).samples)).toEqual([10, 20, 30, 11, 22, 33, 12, 24, 36]);
  });

  it('scales 1-, 2- and 4-bit grey to 0..255 (v·255/(2^d − 1))', async () => {
    // 5 pixels per row; 1 bit: 1 0 1 1 0 -> 0b10110000; 2 bits: 3 0 1 2 3 -> 0b11000110 0b11000000; 4 bits: 15 0 7 1 8.
    expect(Array.from((await decodePng(handPng(5, 1, 1, 0, [[0, 0b10110000]]), inflateSync, 'x.png')).samples)).toEqual([255, 0, 255, 255, 0]);
    expect(Array.from((await decodePng(handPng(5, 1, 2, 0, [[0, 0b11000110, 0b11000000]]), inflateSync, 'x.png')).samples)).toEqual([255, 0, 85, 170, 255]);
    expect(Array.from((await decodePng(handPng(5, 1, 4, 0, [[0, 0xf0, 0x71, 0x80]]), inflateSync, 'x.png')).samples)).toEqual([255, 0, 119, 17, 136]);
  });

  it('takes an asynchronous inflate (a browser\'s DecompressionStream)', async () => {
    const png = handPng(3, 1, 8, 0, [[0, 1, 2, 3]]);
    const decoded = await decodePng(png, async (z) => inflateSync(z), 'x.png');
    expect(Array.from(decoded.samples)).toEqual([1, 2, 3]);
  });

  it.each<[string, Buffer, RegExp]>([
    ['not a PNG', Buffer.from('not really a png, but long enough to have a header'), /a\.png: cannot decode image \(not a PNG file\)/],
    ['a truncated file', handPng(3, 3, 8, 0, [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]).subarray(0, 50), /a\.png: cannot decode image \(truncated/],
    ['too few rows', handPng(3, 3, 8, 0, [[0, 1, 2, 3]]), /a\.png: cannot decode image \(image data ends early/],
    ['an unknown filter', handPng(3, 1, 8, 0, [[9, 1, 2, 3]]), /a\.png: cannot decode image \(row 0: unknown filter type 9\)/],
    ['an invalid depth', handPng(3, 1, 4, 2, [[0, 1, 2]]), /a\.png: cannot decode image \(colour type 2 at 4 bits is not a valid PNG\)/],
  ])('%s is a UserError naming the file', async (_what, bytes, message) => {
    const err = await decodePng(bytes, inflateSync, 'a.png').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
  });
});
