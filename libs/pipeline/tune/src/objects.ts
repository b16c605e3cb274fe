/**
 * The true objects of a competition whose truth CSV has one row per object (Airbus' ships, SIIM's
 * regions), for an object metric: rows that touch stay separate objects, which the truth mask's
 * 8-connected components would merge.
 */
import { decodeRleAsInto, type RleFlavour } from '@segkit/rle';

/**
 * One label per pixel, n·H·W in train order: row k of image i (its non-empty RLE fields, in the
 * CSV's flavour) is labelled k + 1, background 0; where rows overlap the later row wins, so the
 * labels stay non-zero exactly on the union the training masks hold.
 */
export function truthObjectsFromRows(objects: readonly (readonly string[])[], height: number, width: number, flavour: RleFlavour): Uint16Array {
  const pixels = height * width;
  const labels = new Uint16Array(objects.length * pixels);
  const scratch = new Uint8Array(pixels);
  objects.forEach((rows, i) => {
    if (rows.length > 0xffff) throw new Error(`image ${i}: ${rows.length} objects, more than ${0xffff} labels`);
    rows.forEach((rle, k) => {
      decodeRleAsInto(rle, height, width, flavour, scratch, 0, 'replace');
      for (let p = 0; p < pixels; p++) if (scratch[p] !== 0) labels[i * pixels + p] = k + 1;
    });
  });
  return labels;
}
