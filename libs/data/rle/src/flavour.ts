import { decodeRuns, encodeRle, type PixelOrder, type RleStarts } from './rle';

/**
 * How one competition spells a run-length mask. Kaggle competitions agree on `start length` pairs
 * but not on the rest:
 * - `order`: the pixel numbering (`'column-major'`: TGS, Airbus, SIIM; `'row-major'`: Carvana);
 * - `starts`: `'absolute'` 1-based pixel numbers (TGS, Airbus, Carvana) or `'relative'` (SIIM-ACR's
 *   `mask_functions.py`: the first start is the 0-based index of the first run's pixel, every later
 *   start the number of background pixels since the end of the previous run);
 * - `empty`: what an empty mask is written as (`''` for TGS, Airbus and Carvana; `'-1'` for SIIM).
 *   When reading, a blank field is an empty mask in every flavour, and so is the flavour's marker.
 */
export interface RleFlavour {
  order: PixelOrder;
  starts: RleStarts;
  empty: string;
}

/** The TGS Salt spelling, the default everywhere: column-major, absolute 1-based starts, `''` empty. */
export const KAGGLE_RLE: RleFlavour = { order: 'column-major', starts: 'absolute', empty: '' };

function checkFlavour(flavour: RleFlavour): void {
  if (flavour.starts !== 'absolute' && flavour.starts !== 'relative') {
    throw new RangeError(`run starts must be 'absolute' or 'relative', got '${String(flavour.starts)}'`);
  }
  if (flavour.empty.trim() !== '' && /^[\s\d]+$/.test(flavour.empty)) {
    // A marker made of digits would read as a run; '-1' cannot (a start is never negative).
    throw new RangeError(`empty marker '${flavour.empty}' could be read as a run`);
  }
}

/** True when a field is an empty mask in this flavour: blank, or the flavour's marker (trimmed). */
export function isEmptyRle(rle: string, flavour: RleFlavour = KAGGLE_RLE): boolean {
  const t = rle.trim();
  return t === '' || (flavour.empty !== '' && t === flavour.empty.trim());
}

/**
 * Encodes a row-major H×W mask in the given flavour. Canonical output (sorted runs, adjacent runs
 * merged, single spaces); an empty mask gives `flavour.empty`. Relative starts are derived from the
 * absolute runs: with runs (s₁, l₁), (s₂, l₂), … (1-based), the relative starts are s₁ − 1 and
 * sₖ − (sₖ₋₁ + lₖ₋₁) for k > 1.
 */
export function encodeRleAs(mask: Uint8Array, height: number, width: number, flavour: RleFlavour = KAGGLE_RLE): string {
  checkFlavour(flavour);
  const absolute = encodeRle(mask, height, width, flavour.order);
  if (absolute === '') return flavour.empty;
  if (flavour.starts === 'absolute') return absolute;
  const tokens = absolute.split(' ');
  let end = 0; // 0-based exclusive end of the previous run
  for (let k = 0; k < tokens.length; k += 2) {
    const start0 = Number(tokens[k]) - 1;
    const length = Number(tokens[k + 1]);
    tokens[k] = String(start0 - end);
    end = start0 + length;
  }
  return tokens.join(' ');
}

/** Decodes a field of this flavour into a new row-major 0/1 H×W mask. */
export function decodeRleAs(rle: string, height: number, width: number, flavour: RleFlavour = KAGGLE_RLE): Uint8Array {
  const out = new Uint8Array(height * width);
  decodeRleAsInto(rle, height, width, flavour, out, 0, 'replace');
  return out;
}

/**
 * Decodes into `out[offset .. offset + H*W)`. `'replace'` clears the slot first; `'union'` paints
 * the runs over what it holds, so several rows of one image (Airbus ships, SIIM regions) add up to
 * the image's mask. Throws `RleError` naming the rule and the 0-based token.
 */
export function decodeRleAsInto(
  rle: string,
  height: number,
  width: number,
  flavour: RleFlavour,
  out: Uint8Array,
  offset = 0,
  mode: 'replace' | 'union' = 'replace',
): void {
  checkFlavour(flavour);
  if (mode !== 'replace' && mode !== 'union') throw new RangeError(`decode mode must be 'replace' or 'union', got '${String(mode)}'`);
  const field = isEmptyRle(rle, flavour) ? '' : rle;
  decodeRuns(field, height, width, out, offset, flavour.order, flavour.starts, mode === 'replace');
}
