/**
 * Kaggle TGS run-length encoding, private to the generator so it has no dependency on the
 * pipeline's own RLE library (the tests cross-check the convention with an independent decoder).
 *
 * Convention: pixels are numbered 1..h·w in COLUMN-major order (top to bottom, then left to
 * right); the mask is written as space-separated `start length` pairs of its runs of ones
 * (runs continue across column ends); an empty mask is the empty string.
 */
export function encodeRleKaggle(mask: Uint8Array, h: number, w: number): string {
  if (mask.length !== h * w) throw new RangeError(`encodeRleKaggle: mask has ${mask.length} pixels, expected ${h}x${w}`);
  const parts: number[] = [];
  let runStart = 0; // 1-based position where the current run began, 0 when not in a run
  let pos = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      pos++;
      const on = mask[y * w + x] !== 0;
      if (on && runStart === 0) runStart = pos;
      else if (!on && runStart !== 0) {
        parts.push(runStart, pos - runStart);
        runStart = 0;
      }
    }
  }
  if (runStart !== 0) parts.push(runStart, pos + 1 - runStart);
  return parts.join(' ');
}
