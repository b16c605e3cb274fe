/**
 * Mask overlays for the worst-images grid: the seismic image in grey, the true mask as a green
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
 * The outline of a 0/1 mask at `scale`x resolution, `thickness` px wide: a scaled pixel is on the
 * edge when its source pixel is in the mask and some pixel 1..thickness steps away along a row or
 * column (at the scaled resolution) is outside the mask or outside the image. The outline lies
 * just inside the mask, so it never covers the other mask's outline from the outside.
 */
export function maskEdge(mask: Uint8Array, height: number, width: number, scale: number, thickness = 1): Uint8Array {
  const H = height * scale;
  const W = width * scale;
  const at = (Y: number, X: number): number =>
    Y < 0 || X < 0 || Y >= H || X >= W ? 0 : mask[Math.floor(Y / scale) * width + Math.floor(X / scale)];
  const edge = new Uint8Array(H * W);
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      if (!at(Y, X)) continue;
      for (let d = 1; d <= thickness; d++) {
        if (!at(Y - d, X) || !at(Y + d, X) || !at(Y, X - d) || !at(Y, X + d)) {
          edge[Y * W + X] = 1;
          break;
        }
      }
    }
  }
  return edge;
}

/** Alpha blend of one channel: round((1 - a) * base + a * over). */
export function blend(base: number, over: number, alpha: number): number {
  return Math.round((1 - alpha) * base + alpha * over);
}

/** Grey luminance to RGB, upscaled `scale`x with nearest neighbour. */
export function grayRgb(image: Uint8Array, height: number, width: number, scale: number): Uint8Array {
  const H = height * scale;
  const W = width * scale;
  const out = new Uint8Array(H * W * 3);
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      const v = image[Math.floor(Y / scale) * width + Math.floor(X / scale)];
      out.fill(v, (Y * W + X) * 3, (Y * W + X) * 3 + 3);
    }
  }
  return out;
}

/**
 * The overlay as RGB (height*scale x width*scale x 3): grey image, truth filled and outlined in
 * green, prediction outlined in magenta on top (so disagreement reads as magenta off the green).
 */
export function overlayRgb(w: WorstImage, scale = OVERLAY_SCALE): Uint8Array {
  const { height, width } = w;
  const W = width * scale;
  const out = grayRgb(w.image, height, width, scale);
  const truthEdge = maskEdge(w.truth, height, width, scale, 1);
  // The prediction is drawn only as an outline, so it gets the bolder line.
  const predEdge = maskEdge(w.pred, height, width, scale, 2);
  for (let i = 0; i < out.length / 3; i++) {
    const Y = Math.floor(i / W);
    const X = i % W;
    const inTruth = w.truth[Math.floor(Y / scale) * width + Math.floor(X / scale)] === 1;
    let color: Rgb | undefined;
    if (predEdge[i]) color = OVERLAY.predEdge;
    else if (truthEdge[i]) color = OVERLAY.truthEdge;
    if (color) {
      out.set(color, i * 3);
    } else if (inTruth) {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = blend(out[i * 3 + c], OVERLAY.truthFill[c], OVERLAY.truthAlpha);
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
    pngDataUri(grayRgb(w.image, w.height, w.width, 1), w.width, w.height),
    pngDataUri(overlayRgb(w, scale), w.width * scale, w.height * scale),
  ]);
  return { image, overlay };
}
