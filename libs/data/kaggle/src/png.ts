import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { UserError } from '@segkit/io';
import { luminanceFromSamples, pngHeader, rgbFromSamples } from './pixels';
import { decodeDicom } from './dicom';
import { decodePng, type ImageSamples } from './png-decoder';

/** A decoded single-channel image, row-major (index y*W + x). */
export interface DecodedPlane {
  data: Uint8Array;
  height: number;
  width: number;
}

/** A decoded image of 1 or 3 channels, row-major and interleaved (index (y*W + x)*C + c). */
export interface DecodedImage extends DecodedPlane {
  channels: 1 | 3;
}

/**
 * Decodes an image file to its native samples: DICOM (`.dcm`) through dicom-parser and PNG through
 * ./png-decoder (the decoders the browser demo runs too), everything else (JPEG, GIF, TIFF, WebP)
 * through sharp. sharp's default `raw()` converts to 8-bit sRGB,
 * which maps 16-bit grey by v >> 8 — a 16-bit mask pixel of value 1..255 would read as 0 — so the
 * output colour space is pinned to the input's: `grey16`/`rgb16` for 16-bit, `b-w`/`srgb` for 8-bit.
 */
async function decodeRaw(file: string): Promise<ImageSamples> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new UserError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (/\.dcm$/i.test(file)) return decodeDicom(bytes, file);
  if (pngHeader(bytes)) return decodePng(bytes, inflateSync, file);
  try {
    const meta = await sharp(bytes).metadata();
    const sixteen = meta.depth === 'ushort';
    const grey = (meta.channels ?? 3) <= 2;
    const space = sixteen ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .toColourspace(space)
      .raw(sixteen ? { depth: 'ushort' } : undefined)
      .toBuffer({ resolveWithObject: true });
    const count = info.width * info.height * info.channels;
    let samples: Uint8Array | Uint16Array;
    if (!sixteen) samples = new Uint8Array(data.buffer, data.byteOffset, count);
    else if (data.byteOffset % 2 === 0) samples = new Uint16Array(data.buffer, data.byteOffset, count);
    else samples = new Uint16Array(new Uint8Array(data).buffer, 0, count); // realign an odd offset
    return { samples, channels: info.channels, height: info.height, width: info.width };
  } catch (err) {
    throw new UserError(`${file}: cannot decode image (${(err as Error).message.trim()})`);
  }
}

/**
 * Decodes an image to one 8-bit luminance plane. Grey images give their grey channel; colour
 * images with equal R, G and B (real TGS images are RGB with three equal channels) give that
 * value exactly; other colour pixels give Rec. 601 luma round(0.299 R + 0.587 G + 0.114 B).
 * Alpha is ignored. 16-bit samples are scaled to 0..255 by round(v / 257) (65535 -> 255).
 */
export async function decodeLuminance(file: string): Promise<DecodedPlane> {
  const { samples, channels, height, width } = await decodeRaw(file);
  return { data: luminanceFromSamples(samples, channels, height * width), height, width };
}

/**
 * Decodes an image to 8-bit RGB, interleaved. Grey images give three equal channels; alpha is
 * ignored; 16-bit samples are scaled by round(v / 257) like {@link decodeLuminance}.
 */
export async function decodeRgb(file: string): Promise<DecodedImage> {
  const { samples, channels, height, width } = await decodeRaw(file);
  return { data: rgbFromSamples(samples, channels, height * width), height, width, channels: 3 };
}

/** Decodes an image with the channels a layout trains on: luminance (1) or RGB (3). */
export async function decodeImage(file: string, channels: 1 | 3): Promise<DecodedImage> {
  if (channels === 3) return decodeRgb(file);
  return { ...(await decodeLuminance(file)), channels: 1 };
}

/**
 * Decodes a mask image to a 0/1 plane: a pixel is foreground when any colour channel is non-zero
 * (real TGS masks are 16-bit grey 0/65535; 8-bit 0/255 and 0/1 masks work the same). Alpha is ignored.
 */
export async function decodeMask(file: string): Promise<DecodedPlane> {
  const { samples, channels, height, width } = await decodeRaw(file);
  const n = height * width;
  const colours = channels >= 3 ? 3 : 1;
  const data = new Uint8Array(n);
  for (let i = 0, s = 0; i < n; i++, s += channels) {
    let on = 0;
    for (let c = 0; c < colours; c++) if (samples[s + c] !== 0) on = 1;
    data[i] = on;
  }
  return { data, height, width };
}
