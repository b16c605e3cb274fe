import { decodeRle, encodeRle } from '@segkit/rle';

/**
 * The empty-mask gate's rule (see @segkit/tune): an image whose gate logit is at or below the tuned
 * gate threshold is predicted empty. Without a threshold or a logit the gate does not apply.
 */
export function gateSaysEmpty(gateLogit: number | undefined, gateLogitThreshold: number | undefined): boolean {
  return gateLogitThreshold !== undefined && gateLogit !== undefined && !(gateLogit > gateLogitThreshold);
}

/**
 * Binarises one image's logits: foreground where logit > logitThreshold; a mask with fewer than
 * `minArea` foreground pixels becomes empty (small blobs on empty images cost a whole point in the
 * TGS metric). With a threshold triplet's `topLogitThreshold` (see @segkit/tune), the image keeps a
 * mask only when at least max(1, minArea) of its logits are above the top threshold, and the mask is
 * then its pixels above `logitThreshold` (the bottom one); top = bottom is the rule above. Writes
 * into `out` and returns its foreground area.
 */
export function binarize(logits: Float32Array, logitThreshold: number, minArea: number, out: Uint8Array, topLogitThreshold = logitThreshold): number {
  let aboveTop = 0;
  for (let p = 0; p < logits.length; p++) if (logits[p] > topLogitThreshold) aboveTop++;
  if (aboveTop < Math.max(1, minArea)) {
    out.fill(0);
    return 0;
  }
  let area = 0;
  for (let p = 0; p < logits.length; p++) {
    const fg = logits[p] > logitThreshold ? 1 : 0;
    out[p] = fg;
    area += fg;
  }
  return area;
}

/**
 * One image's submission mask (into `mask`) and its TGS-flavoured RLE: logits above `logitThreshold`,
 * emptied when fewer than `minArea` pixels; the RLE is decoded back and compared with the mask.
 */
export function maskRow(
  logits: Float32Array,
  id: string,
  height: number,
  width: number,
  logitThreshold: number,
  minArea: number,
  mask: Uint8Array,
  topLogitThreshold = logitThreshold,
): { rle: string; area: number } {
  const area = binarize(logits, logitThreshold, minArea, mask, topLogitThreshold);
  const rle = encodeRle(mask, height, width);
  const back = decodeRle(rle, height, width);
  for (let p = 0; p < height * width; p++) {
    if (back[p] !== mask[p]) throw new Error(`submission row for ${id}: RLE does not decode back to its mask`);
  }
  return { rle, area };
}
