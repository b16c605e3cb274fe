/**
 * Salt coverage per image: the fraction of foreground pixels, c_n = (Σ_p mask[n·P + p]) / P for
 * P = H·W pixels per image (TGS "coverage", used for coverage classes and stratified folds).
 */
export function maskCoverage(masks: Uint8Array, count: number, pixels: number): Float32Array {
  if (!Number.isInteger(count) || !Number.isInteger(pixels) || count < 0 || pixels <= 0) {
    throw new RangeError(`maskCoverage needs a non-negative count and positive pixels, got ${count} and ${pixels}`);
  }
  if (masks.length !== count * pixels) {
    throw new RangeError(`masks hold ${masks.length} values, expected ${count} x ${pixels} = ${count * pixels}`);
  }
  const out = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let on = 0;
    const end = (n + 1) * pixels;
    for (let i = n * pixels; i < end; i++) if (masks[i] !== 0) on++;
    out[n] = on / pixels;
  }
  return out;
}
