/**
 * A competition's submission format (the layout descriptor's `submission`: header, id and RLE
 * columns, RLE flavour, one row per image or one per object) turned into CSV lines and back.
 * Airbus counts objects, so there a mask becomes one row per 8-connected component: the rows
 * never overlap, and an image without objects is one row with the empty marker.
 */
import type { SubmissionFormat } from '@segkit/layouts';
import { labelComponents } from '@segkit/metrics';
import { decodeRleAsInto, encodeRleAs, isEmptyRle } from '@segkit/rle';

/** A CSV field as RFC 4180 writes it: quoted (quotes doubled) only when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Fails unless the format's header is exactly its id and RLE columns (nothing else to fill in). */
export function checkSubmissionFormat(format: SubmissionFormat): void {
  const others = format.header.filter((c) => c !== format.idColumn && c !== format.rleColumn);
  if (others.length > 0 || format.header.length !== 2) {
    throw new Error(`submission format: the header ${JSON.stringify(format.header)} must hold exactly the id column "${format.idColumn}" and the RLE column "${format.rleColumn}"`);
  }
}

/** The header line, as the competition spells it (spaces kept). */
export function submissionHeader(format: SubmissionFormat): string {
  checkSubmissionFormat(format);
  return format.header.map(csvField).join(',');
}

/** One CSV line: the id and the RLE field in their columns. */
export function submissionLine(format: SubmissionFormat, id: string, rle: string): string {
  return format.header.map((c) => csvField(c === format.idColumn ? id : rle)).join(',');
}

/** Sum of a field's run lengths (every second token), 0 for an empty field; the field must be valid. */
export function rleArea(rle: string, format: SubmissionFormat): number {
  if (isEmptyRle(rle, format.rle)) return 0;
  const tokens = rle.trim().split(/\s+/);
  let area = 0;
  for (let k = 1; k < tokens.length; k += 2) area += Number(tokens[k]);
  return area;
}

/**
 * The RLE fields of one image's binary mask (row-major H×W, non-zero = foreground): one field per
 * image (the mask, or the format's empty marker), or, for `rowsPerImage: 'many'`, one field per
 * 8-connected component in the raster order of its first pixel (an empty mask: one empty field).
 * The fields are decoded back before they are returned: their union must be the mask and their
 * areas must add up to its area (so no two rows overlap); `back` is scratch of H·W.
 */
export function maskFields(mask: Uint8Array, height: number, width: number, format: SubmissionFormat, id: string, back = new Uint8Array(height * width)): string[] {
  const pixels = height * width;
  let fields: string[];
  if (format.rowsPerImage === 'many') {
    const { labels, count } = labelComponents(mask, height, width);
    if (count === 0) {
      fields = [format.rle.empty];
    } else {
      const objects = Array.from({ length: count }, () => [] as number[]);
      for (let p = 0; p < pixels; p++) if (labels[p] !== 0) objects[labels[p] - 1].push(p);
      back.fill(0);
      fields = objects.map((object) => {
        for (const p of object) back[p] = 1;
        const rle = encodeRleAs(back, height, width, format.rle);
        for (const p of object) back[p] = 0;
        return rle;
      });
    }
  } else {
    fields = [encodeRleAs(mask, height, width, format.rle)];
  }
  back.fill(0);
  let area = 0;
  let fieldArea = 0;
  for (const f of fields) {
    decodeRleAsInto(f, height, width, format.rle, back, 0, 'union');
    fieldArea += rleArea(f, format);
  }
  for (let p = 0; p < pixels; p++) {
    if (back[p] !== (mask[p] !== 0 ? 1 : 0)) throw new Error(`submission row for ${id}: RLE does not decode back to its mask`);
    area += back[p];
  }
  if (fieldArea !== area) throw new Error(`submission rows for ${id}: objects overlap (${fieldArea} pixels in rows, ${area} in the mask)`);
  return fields;
}
