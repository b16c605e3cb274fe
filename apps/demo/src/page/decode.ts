/// <reference lib="dom" />
/**
 * A dropped file's samples, decoded the way `npm run infer`'s loader (@segkit/data) decodes the
 * same file: PNG (any bit depth, 16-bit included) through @segkit/data's own PNG decoder and DICOM
 * through its dicom-parser decoder — the same code in both places, only inflate is the browser's
 * DecompressionStream — and JPEG through the browser's decoder (Chromium's libjpeg-turbo gives the
 * same pixels as sharp's; other browsers' decoders may differ by a grey level here and there).
 */
import { decodeDicom, decodePng, pngHeader, type ImageSamples } from '@segkit/data';

/** Image files the page takes, by their first bytes (DICOM also by its `.dcm` name, as the loader does). */
export const IMAGE_FILES = /\.(png|jpe?g|dcm)$/i;

/** The kind of image in `bytes`, from its signature; undefined for anything the page cannot read. */
export function imageKind(bytes: Uint8Array, name: string): 'png' | 'jpeg' | 'dicom' | undefined {
  if (/\.dcm$/i.test(name)) return 'dicom';
  if (pngHeader(bytes)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  // DICOM Part 10: a 128-byte preamble, then 'DICM'.
  if (bytes.length > 132 && String.fromCharCode(bytes[128], bytes[129], bytes[130], bytes[131]) === 'DICM') return 'dicom';
  return undefined;
}

/** zlib inflate (RFC 1950) with the browser's own DecompressionStream. */
async function inflate(zlib: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([zlib as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A JPEG through the browser's decoder, as RGBA samples (no colour-space conversion, no premultiplied alpha). */
async function decodeJpeg(bytes: Uint8Array, name: string): Promise<ImageSamples> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error(`${name}: cannot decode image (the browser cannot read this JPEG)`);
  }
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error(`${name}: the browser gave no 2D canvas to decode it`);
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' }).data;
  return { samples: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length), channels: 4, height: bitmap.height, width: bitmap.width };
}

/** A dropped file's samples (see the module comment); anything else is an Error naming the file. */
export async function decodeSamples(bytes: Uint8Array, name: string): Promise<ImageSamples> {
  const kind = imageKind(bytes, name);
  if (kind === 'png') return decodePng(bytes, inflate, name);
  if (kind === 'dicom') return decodeDicom(bytes, name);
  if (kind === 'jpeg') return decodeJpeg(bytes, name);
  throw new Error(`${name}: not a PNG, JPEG or DICOM image`);
}
