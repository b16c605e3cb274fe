import { inflateRawSync } from 'node:zlib';
import { crc32 } from '@segkit/io';

/** One member of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; anything else is refused when read. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

/** A structural problem in the archive; the caller adds the file name. */
export class ZipFormatError extends Error {}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`a 64-bit field (${v}) is too large`);
  return Number(v);
}

function need(buf: Buffer, at: number, bytes: number, what: string): void {
  if (at < 0 || at + bytes > buf.length) throw new ZipFormatError(`truncated ${what} at byte ${at}`);
}

/**
 * The central directory of a zip archive (PKWARE APPNOTE 6.3: end-of-central-directory record found
 * by scanning back from the end, ZIP64 records and extra fields when a 32-bit field is saturated, as
 * PyTorch's writer always emits them).
 */
export function readZipDirectory(buf: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let at = buf.length - 22; at >= Math.max(0, buf.length - 22 - 0xffff); at--) {
    if (buf.readUInt32LE(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('no end-of-central-directory record (not a zip archive)');
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const locator = eocd - 20;
    need(buf, locator, 20, 'ZIP64 locator');
    if (buf.readUInt32LE(locator) !== ZIP64_LOCATOR) throw new ZipFormatError('saturated directory fields without a ZIP64 locator');
    const z64 = u64(buf, locator + 8);
    need(buf, z64, 56, 'ZIP64 end-of-central-directory record');
    if (buf.readUInt32LE(z64) !== ZIP64_EOCD) throw new ZipFormatError('bad ZIP64 end-of-central-directory signature');
    count = u64(buf, z64 + 32);
    cdSize = u64(buf, z64 + 40);
    cdOffset = u64(buf, z64 + 48);
  }
  need(buf, cdOffset, cdSize, 'central directory');
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    need(buf, at, 46, 'central directory entry');
    if (buf.readUInt32LE(at) !== CENTRAL) throw new ZipFormatError(`bad central directory signature at byte ${at}`);
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const crc32 = buf.readUInt32LE(at + 16);
    let compressedSize = buf.readUInt32LE(at + 20);
    let size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    let localHeaderOffset = buf.readUInt32LE(at + 42);
    need(buf, at + 46, nameLength + extraLength, 'entry name');
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    if (flags & 1) throw new ZipFormatError(`entry '${name}' is encrypted`);
    // ZIP64 extended information (id 1): the saturated fields, in the order size, compressed size, offset.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = buf.readUInt16LE(extra);
      const length = buf.readUInt16LE(extra + 2);
      if (id === 1) {
        let field = extra + 4;
        const take = (): number => {
          if (field + 8 > extra + 4 + length) throw new ZipFormatError(`entry '${name}': short ZIP64 extra field`);
          const v = u64(buf, field);
          field += 8;
          return v;
        };
        if (size === U32_MAX) size = take();
        if (compressedSize === U32_MAX) compressedSize = take();
        if (localHeaderOffset === U32_MAX) localHeaderOffset = take();
      }
      extra += 4 + length;
    }
    entries.push({ name, method, compressedSize, size, crc32, localHeaderOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The bytes of one entry: stored entries are sliced (no copy), deflated ones inflated; size and CRC are checked. */
export function readZipEntry(buf: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localHeaderOffset;
  need(buf, at, 30, `local header of '${entry.name}'`);
  if (buf.readUInt32LE(at) !== LOCAL) throw new ZipFormatError(`bad local header signature for '${entry.name}'`);
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  need(buf, start, entry.compressedSize, `data of '${entry.name}'`);
  const raw = buf.subarray(start, start + entry.compressedSize);
  let data: Buffer;
  if (entry.method === 0) data = raw;
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw);
    } catch (err) {
      throw new ZipFormatError(`entry '${entry.name}' does not inflate (${(err as Error).message})`);
    }
  } else throw new ZipFormatError(`entry '${entry.name}' uses compression method ${entry.method} (only stored and deflate are read)`);
  if (data.length !== entry.size) throw new ZipFormatError(`entry '${entry.name}' has ${data.length} bytes, the directory says ${entry.size}`);
  if (crc32(data) !== entry.crc32) throw new ZipFormatError(`entry '${entry.name}' fails its CRC-32 check`);
  return data;
}
