/**
 * A minimal DICOM Part 10 writer for the synthetic SIIM-like competition and the loader's tests:
 * one grey frame, Secondary Capture, Explicit VR Little Endian (DICOM PS3.10 §7: a 128-byte
 * preamble, "DICM", the File Meta group, then the data set). `transferSyntax` may name a
 * compressed syntax to produce a file the loader must refuse; its pixel data is then encapsulated
 * (one empty offset table item and one fragment holding the raw bytes), which is enough for a
 * parser to recognise it.
 */
export interface DicomImage {
  height: number;
  width: number;
  /** Row-major samples: 8-bit (Uint8Array) or 16-bit (Uint16Array). */
  pixels: Uint8Array | Uint16Array;
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string;
  transferSyntax?: string;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  /** Bits Stored for 16-bit pixels (default 16). */
  bitsStored?: number;
}

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

function padded(value: string, pad: string): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from(pad, 'latin1')]);
}

/** One explicit-VR little-endian element. */
function element(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

const ui = (g: number, e: number, v: string) => element(g, e, 'UI', padded(v, '\0'));
const cs = (g: number, e: number, v: string) => element(g, e, 'CS', padded(v, ' '));
const us = (g: number, e: number, v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return element(g, e, 'US', b);
};

export function encodeDicom(img: DicomImage): Buffer {
  const ts = img.transferSyntax ?? EXPLICIT_LE;
  const sixteen = img.pixels instanceof Uint16Array;
  if (img.pixels.length !== img.height * img.width) throw new RangeError(`encodeDicom: ${img.pixels.length} pixels for ${img.height}x${img.width}`);
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    ui(0x0002, 0x0002, SECONDARY_CAPTURE),
    ui(0x0002, 0x0003, img.sopInstanceUid),
    ui(0x0002, 0x0010, ts),
    ui(0x0002, 0x0012, '1.2.826.0.1.3680043.10.1'),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length, 0);
  const meta = Buffer.concat([element(0x0002, 0x0000, 'UL', groupLength), metaBody]);
  const raw = sixteen
    ? Buffer.from(new Uint8Array(Uint16Array.from(img.pixels).buffer))
    : Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength);
  let pixelData: Buffer;
  if (ts === EXPLICIT_LE) {
    pixelData = element(0x7fe0, 0x0010, sixteen ? 'OW' : 'OB', raw.length % 2 === 0 ? raw : Buffer.concat([raw, Buffer.alloc(1)]));
  } else {
    const item = (body: Buffer) => {
      const h = Buffer.alloc(8);
      h.writeUInt16LE(0xfffe, 0);
      h.writeUInt16LE(0xe000, 2);
      h.writeUInt32LE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    const head = Buffer.alloc(12);
    head.writeUInt16LE(0x7fe0, 0);
    head.writeUInt16LE(0x0010, 2);
    head.write('OB', 4, 'latin1');
    head.writeUInt32LE(0xffffffff, 8);
    const end = Buffer.alloc(8);
    end.writeUInt16LE(0xfffe, 0);
    end.writeUInt16LE(0xe0dd, 2);
    pixelData = Buffer.concat([head, item(Buffer.alloc(0)), item(raw.length % 2 === 0 ? raw : Buffer.concat([raw, Buffer.alloc(1)])), end]);
  }
  const bits = sixteen ? 16 : 8;
  const stored = sixteen ? (img.bitsStored ?? 16) : 8;
  const dataset = Buffer.concat([
    ui(0x0008, 0x0016, SECONDARY_CAPTURE),
    ui(0x0008, 0x0018, img.sopInstanceUid),
    cs(0x0008, 0x0060, 'CR'),
    ui(0x0020, 0x000d, img.studyUid),
    ui(0x0020, 0x000e, img.seriesUid),
    us(0x0028, 0x0002, 1),
    cs(0x0028, 0x0004, img.photometric ?? 'MONOCHROME2'),
    us(0x0028, 0x0010, img.height),
    us(0x0028, 0x0011, img.width),
    us(0x0028, 0x0100, bits),
    us(0x0028, 0x0101, stored),
    us(0x0028, 0x0102, stored - 1),
    us(0x0028, 0x0103, 0),
    pixelData,
  ]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, dataset]);
}
