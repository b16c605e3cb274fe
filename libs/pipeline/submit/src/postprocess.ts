/**
 * Binarises one image's logits: foreground where logit > logitThreshold; a mask with fewer than
 * `minArea` foreground pixels becomes empty (small blobs on empty images cost a whole point in the
 * TGS metric). Writes into `out` and returns its foreground area.
 */
export function binarize(logits: Float32Array, logitThreshold: number, minArea: number, out: Uint8Array): number {
  let area = 0;
  for (let p = 0; p < logits.length; p++) {
    const fg = logits[p] > logitThreshold ? 1 : 0;
    out[p] = fg;
    area += fg;
  }
  if (area > 0 && area < minArea) {
    out.fill(0);
    return 0;
  }
  return area;
}
