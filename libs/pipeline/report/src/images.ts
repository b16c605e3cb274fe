/**
 * Mask overlays for the worst-images grid: the image (grey, or in colour), the true mask as a green
 * fill with a green outline, the predicted mask as a magenta outline, upscaled with nearest
 * neighbour so single pixels stay visible. Encoded as PNG data URIs with sharp.
 */
import sharp from 'sharp';
import type { WorstImage } from './types';

export type Rgb = readonly [number, number, number];

export const OVERLAY = {
  /** Truth fill, alpha-blended over the image. */
  truthFill: [0, 200, 0] as Rgb,
  truthAlpha: 0.35,
  truthEdge: [0, 230, 0] as Rgb,
  predEdge: [255, 0, 255] as Rgb,
} as const;

/** Default upscaling: 101 px TGS tiles become 303 px. */
export const OVERLAY_SCALE = 3;

/**
 * For each scaled coordinate 0..n*scale-1, the source coordinate floor(i / scale). Precomputed so
 * the per-pixel loops below do no division and no global lookups (which are slow inside test
 * sandboxes).
 */
function sourceIndex(n: number, scale: number): Int32Array {
  const out = new Int32Array(n * scale);
  for (let i = 0; i < out.length; i++) out[i] = (i / scale) | 0;
  return out;
}

/** The mask upscaled `scale`x with nearest neighbour. */
function upscale(mask: Uint8Array, height: number, width: number, scale: number): Uint8Array {
  const H = height * scale;
  const W = width * scale;
  const rows = sourceIndex(height, scale);
  const cols = sourceIndex(width, scale);
  const out = new Uint8Array(H * W);
  for (let Y = 0; Y < H; Y++) {
    const src = rows[Y] * width;
    for (let X = 0; X < W; X++) out[Y * W + X] = mask[src + cols[X]];
  }
  return out;
}

/**
 * The outline of a 0/1 mask at `scale`x resolution, `thickness` px wide: a scaled pixel is on the
 * edge when its source pixel is in the mask and some pixel 1..thickness steps away along a row or
 * column (at the scaled resolution) is outside the mask or outside the image. The outline lies
 * just inside the mask, so it never covers the other mask's outline from the outside.
 */
export function maskEdge(mask: Uint8Array, height: number, width: number, scale: number, thickness = 1): Uint8Array {
  const H = height * scale;
  const W = width * scale;
  const big = upscale(mask, height, width, scale);
  const edge = new Uint8Array(H * W);
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      const i = Y * W + X;
      if (!big[i]) continue;
      for (let d = 1; d <= thickness; d++) {
        const outside =
          Y - d < 0 || Y + d >= H || X - d < 0 || X + d >= W || !big[i - d * W] || !big[i + d * W] || !big[i - d] || !big[i + d];
        if (outside) {
          edge[i] = 1;
          break;
        }
      }
    }
  }
  return edge;
}

/** Alpha blend of one channel: round((1 - a) * base + a * over), for values in 0..255. */
export function blend(base: number, over: number, alpha: number): number {
  // (v + 0.5) | 0 is Math.round for non-negative v, without a global lookup per pixel.
  return ((1 - alpha) * base + alpha * over + 0.5) | 0;
}

/**
 * An image as RGB, upscaled `scale`x with nearest neighbour: grey luminance (`channels` 1) repeated
 * to its three channels, or an RGB image (`channels` 3, interleaved) as it is.
 */
export function grayRgb(image: Uint8Array, height: number, width: number, scale: number, channels: 1 | 3 = 1): Uint8Array {
  if (channels === 3) {
    const out = new Uint8Array(height * scale * width * scale * 3);
    const cols = sourceIndex(width, scale);
    for (let Y = 0, o = 0; Y < height * scale; Y++) {
      const row = ((Y / scale) | 0) * width;
      for (let X = 0; X < width * scale; X++, o += 3) {
        const s = (row + cols[X]) * 3;
        out[o] = image[s];
        out[o + 1] = image[s + 1];
        out[o + 2] = image[s + 2];
      }
    }
    return out;
  }
  const big = upscale(image, height, width, scale);
  const out = new Uint8Array(big.length * 3);
  for (let i = 0; i < big.length; i++) {
    const v = big[i];
    out[i * 3] = v;
    out[i * 3 + 1] = v;
    out[i * 3 + 2] = v;
  }
  return out;
}

/**
 * The overlay as RGB (height*scale x width*scale x 3): grey image, truth filled and outlined in
 * green, prediction outlined in magenta on top (so disagreement reads as magenta off the green).
 */
export function overlayRgb(w: WorstImage, scale = OVERLAY_SCALE): Uint8Array {
  const { height, width } = w;
  const out = grayRgb(w.image, height, width, scale, w.channels ?? 1);
  const truth = upscale(w.truth, height, width, scale);
  const truthEdge = maskEdge(w.truth, height, width, scale, 1);
  // The prediction is drawn only as an outline, so it gets the bolder line.
  const predEdge = maskEdge(w.pred, height, width, scale, 2);
  const [fr, fg, fb] = OVERLAY.truthFill;
  const a = OVERLAY.truthAlpha;
  for (let i = 0; i < truth.length; i++) {
    const color = predEdge[i] ? OVERLAY.predEdge : truthEdge[i] ? OVERLAY.truthEdge : undefined;
    const o = i * 3;
    if (color) {
      out[o] = color[0];
      out[o + 1] = color[1];
      out[o + 2] = color[2];
    } else if (truth[i]) {
      out[o] = blend(out[o], fr, a);
      out[o + 1] = blend(out[o + 1], fg, a);
      out[o + 2] = blend(out[o + 2], fb, a);
    }
  }
  return out;
}

/** RGB bytes to a `data:image/png;base64,...` URI. */
export async function pngDataUri(rgb: Uint8Array, width: number, height: number): Promise<string> {
  const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** The two pictures shown per worst image: the plain image at native size and the upscaled overlay. */
export interface WorstImagePictures {
  image: string;
  overlay: string;
}

export async function renderWorstImage(w: WorstImage, scale = OVERLAY_SCALE): Promise<WorstImagePictures> {
  const [image, overlay] = await Promise.all([
    // The plain image stays at native size; CSS upscales it with `image-rendering: pixelated`.
    pngDataUri(grayRgb(w.image, w.height, w.width, 1, w.channels ?? 1), w.width, w.height),
    pngDataUri(overlayRgb(w, scale), w.width * scale, w.height * scale),
  ]);
  return { image, overlay };
}
