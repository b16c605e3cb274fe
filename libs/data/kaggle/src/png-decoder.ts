// A PNG decoder without the file system or a native library, so `npm run infer` and the browser
// demo read a PNG through the same code; only inflating the zlib stream is left to the caller
// (node:zlib in Node, DecompressionStream in a browser).
import { UserError } from '@segkit/io';
import { pngHeader } from './pixels';

/** Interleaved samples of a decoded image, as the pixel rules of ./pixels take them. */
export interface ImageSamples {
  /** 8-bit or 16-bit samples, `channels` per pixel, row-major. */
  samples: Uint8Array | Uint16Array;
  channels: number;
  height: number;
  width: number;
}

/** Inflates a zlib stream (RFC 1950), synchronously or not. */
export type Inflate = (zlib: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** Samples per pixel of each PNG colour type (PNG spec §11.2.2); a palette index is one sample. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** The bit depths each colour type allows. */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes (PNG spec §8.2): first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Decodes a PNG to its samples. Grey (1, 2, 4 bits scaled to 0..255 by v·255/(2^d − 1)), grey +
 * alpha, RGB and RGBA keep their channels and bit depth (8 or 16); a palette image becomes 3-channel
 * 8-bit RGB (its tRNS alpha is dropped: every rule here ignores alpha). Scanlines are unfiltered
 * per PNG spec §9 (None, Sub, Up, Average, Paeth), Adam7-interlaced images are put back together.
 * Ancillary chunks (gamma, colour profiles, text) are ignored, as sharp does when it reads pixels
 * raw. A damaged file is a UserError naming `file`.
 */
export async function decodePng(bytes: Uint8Array, inflate: Inflate, file: string): Promise<ImageSamples> {
  const bad = (why: string) => new UserError(`${file}: cannot decode image (${why})`);
  if (!pngHeader(bytes)) throw bad('not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colourType = 0;
  let interlaced = false;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let at = 8; at < bytes.length && !ended; ) {
    if (at + 12 > bytes.length) throw bad('truncated chunk');
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (data.length !== length || at + 12 + length > bytes.length) throw bad(`truncated ${type} chunk`);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      bitDepth = data[8];
      colourType = data[9];
      if (data[10] !== 0 || data[11] !== 0) throw bad('unknown compression or filter method');
      interlaced = data[12] === 1;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    at += 12 + length;
  }
  const channels = CHANNELS[colourType];
  if (channels === undefined || !DEPTHS[colourType].includes(bitDepth)) throw bad(`colour type ${colourType} at ${bitDepth} bits is not a valid PNG`);
  if (width === 0 || height === 0) throw bad(`${width}×${height} pixels`);
  if (colourType === 3 && !palette) throw bad('palette image without a PLTE chunk');
  const pal = palette ?? new Uint8Array(0);
  if (idat.length === 0) throw bad('no image data');
  const zlib = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((o, c) => (zlib.set(c, o), o + c.length), 0);
  let raw: Uint8Array;
  try {
    raw = await inflate(zlib);
  } catch (err) {
    throw bad(`image data does not inflate: ${(err as Error).message}`);
  }

  const outChannels = colourType === 3 ? 3 : channels;
  const sixteen = bitDepth === 16;
  const out = sixteen ? new Uint16Array(width * height * outChannels) : new Uint8Array(width * height * outChannels);
  const scale = colourType === 0 && bitDepth < 8 ? 255 / (2 ** bitDepth - 1) : 1;
  const bytesPerPixel = Math.max(1, (channels * bitDepth) >> 3);
  const passes = interlaced ? ADAM7 : [[0, 0, 1, 1]];
  let offset = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const stride = Math.ceil((w * channels * bitDepth) / 8);
    if (offset + h * (stride + 1) > raw.length) throw bad(`image data ends early (${raw.length} bytes)`);
    let prev: Uint8Array = new Uint8Array(stride);
    for (let r = 0; r < h; r++) {
      const filter = raw[offset];
      // Unfiltered in place: `raw` is the inflated copy, no one else's.
      const line = raw.subarray(offset + 1, offset + 1 + stride);
      offset += stride + 1;
      unfilter(filter, line, prev, bytesPerPixel, () => bad(`row ${r}: unknown filter type ${filter}`));
      prev = line;
      const y = y0 + r * dy;
      const rowStart = (y * width + x0) * outChannels;
      if (dx === 1 && colourType !== 3 && bitDepth === 8) {
        out.set(line, rowStart);
        continue;
      }
      if (dx === 1 && sixteen) {
        for (let k = 0, n = w * channels; k < n; k++) out[rowStart + k] = (line[2 * k] << 8) | line[2 * k + 1];
        continue;
      }
      for (let c = 0; c < w; c++) {
        const o = (y * width + x0 + c * dx) * outChannels;
        if (colourType === 3) {
          const index = sampleAt(line, c, bitDepth);
          if (3 * index + 2 >= pal.length) throw bad(`row ${y}: palette index ${index} past the palette's end`);
          out[o] = pal[3 * index];
          out[o + 1] = pal[3 * index + 1];
          out[o + 2] = pal[3 * index + 2];
        } else {
          for (let k = 0; k < channels; k++) out[o + k] = Math.round(sampleAt(line, c * channels + k, bitDepth) * scale);
        }
      }
    }
  }
  return { samples: out, channels: outChannels, height, width };
}

/** The i-th sample of an unfiltered scanline at `bitDepth` bits (big-endian, as PNG stores it). */
function sampleAt(line: Uint8Array, i: number, bitDepth: number): number {
  if (bitDepth === 8) return line[i];
  if (bitDepth === 16) return (line[2 * i] << 8) | line[2 * i + 1];
  const bit = i * bitDepth;
  return (line[bit >> 3] >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
}

/**
 * Undoes one scanline's filter in place (PNG spec §9.2): with a = the byte `bpp` to the left,
 * b = the byte above, c = the byte above-left, Sub adds a, Up adds b, Average adds ⌊(a + b)/2⌋,
 * Paeth adds whichever of a, b, c is nearest to p = a + b − c (ties: a, then b), all mod 256.
 */
function unfilter(filter: number, line: Uint8Array, prev: Uint8Array, bpp: number, unknown: () => Error): void {
  const n = line.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) line[i] = (line[i] + line[i - bpp]) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = (line[i] + prev[i]) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++) line[i] = (line[i] + (((i >= bpp ? line[i - bpp] : 0) + prev[i]) >> 1)) & 0xff;
      return;
    case 4:
      // The first pixel has no left neighbours (a = c = 0): Paeth picks b.
      for (let i = 0; i < Math.min(bpp, n); i++) line[i] = (line[i] + prev[i]) & 0xff;
      for (let i = bpp; i < n; i++) {
        const a = line[i - bpp];
        const b = prev[i];
        const c = prev[i - bpp];
        // |p − a| = |b − c|, |p − b| = |a − c|, |p − c| = |a + b − 2c| with p = a + b − c.
        let pa = b - c;
        let pb = a - c;
        let pc = pa + pb;
        if (pa < 0) pa = -pa;
        if (pb < 0) pb = -pb;
        if (pc < 0) pc = -pc;
        line[i] = (line[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      return;
    default:
      throw unknown();
  }
}
