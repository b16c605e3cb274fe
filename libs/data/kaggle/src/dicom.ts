import * as dicomParser from 'dicom-parser';
import { UserError } from '@segkit/io';
import type { ImageSamples } from './png-decoder';

/** The uncompressed transfer syntaxes (DICOM PS3.5 §A.1–A.3); everything else is encapsulated. */
const UNCOMPRESSED: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
};

/** Names of the common compressed transfer syntaxes, for the error (PS3.6 Annex A). */
const COMPRESSED: Record<string, string> = {
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

/** Pixels of one DICOM frame, as the image decoders take them. */
export type DicomPixels = ImageSamples;

/**
 * Decodes the first frame of an uncompressed DICOM file (parsed by dicom-parser). 8-bit samples
 * are kept; 16-bit samples are brought to the full 16-bit range so the luminance rule (v / 257)
 * holds: a signed sample (Pixel Representation 1) is offset by 2^(BitsStored−1), then every
 * sample is shifted left by 16 − BitsStored. MONOCHROME1 (white is 0) is inverted so bright means
 * dense in every file. Compressed transfer syntaxes are an error naming the file and the syntax.
 */
export function decodeDicom(bytes: Uint8Array, file: string): DicomPixels {
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : typeof err === 'string' ? err : ((err as { exception?: string }).exception ?? String(err));
    throw new UserError(`${file}: not a readable DICOM file (${reason})`);
  }
  const ts = (ds.string('x00020010') ?? '1.2.840.10008.1.2').replace(/\0/g, '').trim();
  if (!UNCOMPRESSED[ts]) {
    const name = COMPRESSED[ts] ? ` (${COMPRESSED[ts]})` : '';
    throw new UserError(
      `${file}: DICOM transfer syntax ${ts}${name} is compressed; only uncompressed DICOM (${Object.keys(UNCOMPRESSED).join(', ')}) is read: decompress it first (e.g. gdcmconv --raw)`,
    );
  }
  const field = (tag: string, name: string): number => {
    const v = ds.uint16(tag);
    if (v === undefined) throw new UserError(`${file}: DICOM ${name} (${tag.slice(1, 5)},${tag.slice(5)}) is missing`);
    return v;
  };
  const height = field('x00280010', 'Rows');
  const width = field('x00280011', 'Columns');
  const bitsAllocated = field('x00280100', 'Bits Allocated');
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const channels = ds.uint16('x00280002') ?? 1;
  const signed = (ds.uint16('x00280103') ?? 0) === 1;
  const planar = (ds.uint16('x00280006') ?? 0) === 1;
  const photometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim();
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw new UserError(`${file}: DICOM Bits Allocated ${bitsAllocated} is not supported (8 or 16)`);
  if (channels !== 1 && channels !== 3) throw new UserError(`${file}: DICOM Samples per Pixel ${channels} is not supported (1 or 3)`);
  if (channels === 3 && photometric !== 'RGB') throw new UserError(`${file}: DICOM photometric interpretation ${photometric} is not supported for colour (RGB only)`);
  const el = ds.elements.x7fe00010;
  if (!el) throw new UserError(`${file}: DICOM has no Pixel Data (7FE0,0010)`);
  const count = height * width * channels;
  const bytesPer = bitsAllocated / 8;
  if (el.length < count * bytesPer) {
    throw new UserError(`${file}: DICOM Pixel Data has ${el.length} bytes, expected ${count * bytesPer} for ${height}x${width}x${channels} at ${bitsAllocated} bits`);
  }
  const raw = bytes.subarray(el.dataOffset, el.dataOffset + count * bytesPer);
  let samples: Uint8Array | Uint16Array;
  if (bitsAllocated === 8) {
    samples = Uint8Array.from(raw);
    if (photometric === 'MONOCHROME1') for (let i = 0; i < count; i++) samples[i] = 255 - samples[i];
  } else {
    const bigEndian = ts === '1.2.840.10008.1.2.2';
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Uint16Array(count);
    const shift = 16 - Math.min(16, Math.max(1, bitsStored));
    const offset = signed ? 2 ** (bitsStored - 1) : 0;
    const maxStored = 2 ** bitsStored - 1;
    for (let i = 0; i < count; i++) {
      let v = signed ? view.getInt16(2 * i, !bigEndian) : view.getUint16(2 * i, !bigEndian);
      v = Math.min(maxStored, Math.max(0, v + offset));
      if (photometric === 'MONOCHROME1') v = maxStored - v;
      out[i] = v << shift;
    }
    samples = out;
  }
  if (channels === 3 && planar) {
    // Colour-by-plane (RRR…GGG…BBB…) to interleaved.
    const n = height * width;
    const inter = samples instanceof Uint8Array ? new Uint8Array(count) : new Uint16Array(count);
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) inter[3 * i + c] = samples[c * n + i];
    samples = inter;
  }
  return { samples, channels, height, width };
}
