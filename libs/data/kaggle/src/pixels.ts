// Pixel rules that need no file system, shared by the image decoders here and the browser demo.

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Bit depth and colour type from a PNG's IHDR chunk (PNG spec §11.2.2: the chunk follows the
 * 8-byte signature; bit depth at byte 24, colour type at byte 25; colour types 0 grey,
 * 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). Undefined for anything that is not a PNG.
 */
export function pngHeader(bytes: Uint8Array): { bitDepth: number; colourType: number } | undefined {
  if (bytes.length < 33) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return undefined;
  if (String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]) !== 'IHDR') return undefined;
  return { bitDepth: bytes[24], colourType: bytes[25] };
}

/**
 * One 8-bit luminance plane from `count` pixels of interleaved samples (`channels` per pixel,
 * 8-bit or 16-bit). Grey samples give their value; colour pixels with equal R, G and B (real TGS
 * images are RGB with three equal channels) give that value exactly; other colour pixels give
 * Rec. 601 luma round(0.299 R + 0.587 G + 0.114 B). A fourth (alpha) channel is ignored. 16-bit
 * samples are scaled to 0..255 by round(v / 257) (65535 -> 255).
 */
export function luminanceFromSamples(samples: Uint8Array | Uint8ClampedArray | Uint16Array, channels: number, count: number): Uint8Array {
  if (samples.length < count * channels) throw new Error(`luminanceFromSamples: ${samples.length} samples are fewer than ${count} pixels × ${channels} channels`);
  const data = new Uint8Array(count);
  const sixteen = samples instanceof Uint16Array;
  for (let i = 0, s = 0; i < count; i++, s += channels) {
    let v: number;
    if (channels >= 3) {
      const r = samples[s];
      const g = samples[s + 1];
      const b = samples[s + 2];
      v = r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    } else {
      v = samples[s];
    }
    data[i] = Math.round(sixteen ? v / 257 : v);
  }
  return data;
}

/**
 * 8-bit RGB, interleaved, from `count` pixels of interleaved samples (`channels` per pixel, 8-bit
 * or 16-bit): grey pixels give three equal channels, a fourth (alpha) channel is ignored, 16-bit
 * samples are scaled by round(v / 257) like {@link luminanceFromSamples}.
 */
export function rgbFromSamples(samples: Uint8Array | Uint8ClampedArray | Uint16Array, channels: number, count: number): Uint8Array {
  if (samples.length < count * channels) throw new Error(`rgbFromSamples: ${samples.length} samples are fewer than ${count} pixels × ${channels} channels`);
  const data = new Uint8Array(count * 3);
  const sixteen = samples instanceof Uint16Array;
  for (let i = 0, s = 0; i < count; i++, s += channels) {
    for (let c = 0; c < 3; c++) {
      const v = samples[channels >= 3 ? s + c : s];
      data[3 * i + c] = sixteen ? Math.round(v / 257) : v;
    }
  }
  return data;
}

/**
 * The one plane of interleaved 8-bit RGB whose every pixel has R = G = B (a grey image stored as
 * colour, as TGS's PNGs are): that value per pixel, the bytes {@link luminanceFromSamples} gives
 * for it; undefined as soon as one pixel has two different channels.
 */
export function greyPlane(rgb: Uint8Array): Uint8Array | undefined {
  if (rgb.length % 3 !== 0) throw new Error(`greyPlane: ${rgb.length} bytes are not whole RGB pixels`);
  const n = rgb.length / 3;
  for (let i = 0, s = 0; i < n; i++, s += 3) if (rgb[s] !== rgb[s + 1] || rgb[s] !== rgb[s + 2]) return undefined;
  const grey = new Uint8Array(n);
  for (let i = 0; i < n; i++) grey[i] = rgb[3 * i];
  return grey;
}
