import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { AtomicFileWriter, atomicWriteFile, crc32, UserError } from '@segkit/io';
import type { ImageSet, TrainSet } from './types';

/**
 * Binary cache of one decoded split, so a second load costs one file read instead of thousands
 * of PNG decodes.
 *
 * Layout (little-endian):
 *   0   "TGSCACHE"                       magic
 *   8   u32 format version
 *   12  u32 L, byte length of the header
 *   16  header: UTF-8 JSON {split, fingerprint, count, height, width, channels, hasMasks, ids, objects?}
 *   ..  zero padding to a multiple of 8
 *   P   images  (count·H·W·channels bytes)
 *       masks   (count·H·W bytes, train only)
 *   ..  zero padding to a multiple of 4
 *       depths  (count float32)
 *       sizes   (count·2 u32: each image's own height and width; resized sets only)
 *       full-mask offsets (count+1 u32) and runs (2·R u32), @segkit/resize's MaskRuns (resized train sets only)
 *   end-4   CRC-32 of every byte before it (u32)
 * A file that fails any check (size, magic, version, checksum, header, fingerprint) is ignored.
 */
const MAGIC = 'TGSCACHE';
const FORMAT_VERSION = 3;
const CHECKSUM_BYTES = 4;

export type Split = 'train' | 'test';

interface CacheHeader {
  split: Split;
  fingerprint: string;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  hasMasks: boolean;
  ids: string[];
  /** The RLE rows of each image where a layout keeps objects (several rows per image). */
  objects?: string[][];
  /** A resized set: it stores each image's own size (and, for train, the full-size mask runs, this many pairs). */
  resized?: boolean;
  fullMaskRuns?: number;
}

/** One cache file per split and data directory (different directories may share a cacheDir). */
export function cacheFileFor(cacheDir: string, dataDir: string, split: Split, variant?: string): string {
  const dirKey = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  return join(cacheDir, `${split}-${dirKey}${variant ? `-${variant}` : ''}.tgscache`);
}

/**
 * Fingerprint of the source files: SHA-256 over `name size mtime` of each file (names relative to
 * the data directory, absent files marked as such), so adding, removing, resizing or touching any
 * source invalidates the cache, while the same directory reached by another path does not.
 */
export function fingerprintFiles(dataDir: string, split: Split, files: string[], reading = ''): string {
  // `reading` is how the files are read (the layout descriptor, the channels): reading them another way rebuilds.
  const h = createHash('sha256').update(`tgs-data ${FORMAT_VERSION} ${split}\n${reading}\n`);
  for (const file of files) {
    const name = relative(dataDir, file);
    try {
      const s = statSync(file);
      h.update(`${name}\t${s.size}\t${s.mtimeMs}\n`);
    } catch {
      h.update(`${name}\tabsent\n`);
    }
  }
  return h.digest('hex');
}

const align = (n: number, k: number) => Math.ceil(n / k) * k;

function layout(headerBytes: number, count: number, pixels: number, channels: number, hasMasks: boolean, resized = false, runs = 0) {
  const imagesAt = align(16 + headerBytes, 8);
  const masksAt = imagesAt + count * pixels * channels;
  const depthsAt = align(masksAt + (hasMasks ? count * pixels : 0), 4);
  const sizesAt = depthsAt + count * 4;
  const offsetsAt = sizesAt + (resized ? count * 8 : 0);
  const runsAt = offsetsAt + (resized && hasMasks ? (count + 1) * 4 : 0);
  const checksumAt = runsAt + (resized && hasMasks ? runs * 8 : 0);
  return { imagesAt, masksAt, depthsAt, sizesAt, offsetsAt, runsAt, checksumAt, size: checksumAt + CHECKSUM_BYTES };
}

const bytesOf = (a: Uint32Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Writes a decoded split atomically (a reader never sees a half-written cache). */
export function writeCache(file: string, split: Split, fingerprint: string, set: ImageSet | TrainSet): void {
  const hasMasks = 'masks' in set;
  const count = set.ids.length;
  const pixels = set.height * set.width;
  const header: CacheHeader = {
    split,
    fingerprint,
    count,
    height: set.height,
    width: set.width,
    channels: set.channels ?? 1,
    hasMasks,
    ids: set.ids,
    ...(hasMasks && (set as TrainSet).objects ? { objects: (set as TrainSet).objects } : {}),
    ...(set.sizes ? { resized: true } : {}),
  };
  const full = hasMasks ? (set as TrainSet).fullMasks : undefined;
  if (set.sizes && hasMasks && !full) throw new Error('writeCache: a resized train set needs its full-size masks');
  if (full) header.fullMaskRuns = full.runs.length / 2;
  const headerBuf = Buffer.from(JSON.stringify(header), 'utf8');
  const at = layout(headerBuf.length, count, pixels, header.channels, hasMasks, header.resized, header.fullMaskRuns);
  const buf = Buffer.alloc(at.size);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(FORMAT_VERSION, 8);
  buf.writeUInt32LE(headerBuf.length, 12);
  headerBuf.copy(buf, 16);
  buf.set(set.images, at.imagesAt);
  if (hasMasks) buf.set((set as TrainSet).masks, at.masksAt);
  buf.set(bytesOf(set.depths), at.depthsAt);
  if (set.sizes) buf.set(bytesOf(set.sizes), at.sizesAt);
  if (full) {
    buf.set(bytesOf(full.offsets), at.offsetsAt);
    buf.set(bytesOf(full.runs), at.runsAt);
  }
  buf.writeUInt32LE(crc32(buf.subarray(0, at.checksumAt)), at.checksumAt);
  try {
    atomicWriteFile(file, buf);
  } catch (err) {
    throw new UserError(`cannot write the data cache ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Reads a cached split, or undefined when the file is absent, corrupt, from another format
 * version, or was built from different source files. The returned typed arrays are views into
 * one buffer read straight from disk (no per-image copies).
 */
export function readCache(file: string, split: Split, fingerprint: string): ImageSet | TrainSet | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    return readOpenCache(fd, split, fingerprint);
  } catch {
    return undefined; // unreadable counts as corrupt: the caller rebuilds
  } finally {
    closeSync(fd);
  }
}

function readExactly(fd: number, buf: Buffer, position: number): boolean {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) return false;
    off += n;
  }
  return true;
}

/**
 * A cache file's size, magic, format version and JSON header (16 bytes: magic, version, header
 * length; then the header), or undefined when any of them is not this format's. The header alone
 * decides whether the cache is current, so a stale cache costs one small read.
 */
function readCacheHeader(fd: number): { size: number; headerBytes: number; header: CacheHeader } | undefined {
  const size = fstatSync(fd).size;
  if (size < 16 + CHECKSUM_BYTES) return undefined;
  const head = Buffer.alloc(16);
  if (!readExactly(fd, head, 0)) return undefined;
  if (head.toString('latin1', 0, 8) !== MAGIC || head.readUInt32LE(8) !== FORMAT_VERSION) return undefined;
  const headerBytes = head.readUInt32LE(12);
  if (16 + headerBytes > size - CHECKSUM_BYTES) return undefined;
  const headerBuf = Buffer.alloc(headerBytes);
  if (!readExactly(fd, headerBuf, 16)) return undefined;
  let header: CacheHeader;
  try {
    header = JSON.parse(headerBuf.toString('utf8')) as CacheHeader;
  } catch {
    return undefined;
  }
  if (header === null || typeof header !== 'object') return undefined;
  return { size, headerBytes, header };
}

function readOpenCache(fd: number, split: Split, fingerprint: string): ImageSet | TrainSet | undefined {
  const read = readCacheHeader(fd);
  if (!read) return undefined;
  const { size, headerBytes, header } = read;
  if (header.split !== split || header.fingerprint !== fingerprint) return undefined;
  const { count, height, width, channels, hasMasks, ids, objects } = header;
  const resized = header.resized === true;
  const runs = header.fullMaskRuns ?? 0;
  if (!Number.isInteger(runs) || runs < 0) return undefined;
  if (!Array.isArray(ids) || ids.length !== count || !Number.isInteger(height) || !Number.isInteger(width)) return undefined;
  if (height <= 0 || width <= 0 || hasMasks !== (split === 'train') || (channels !== 1 && channels !== 3)) return undefined;
  if (objects !== undefined && (!Array.isArray(objects) || objects.length !== count)) return undefined;
  const at = layout(headerBytes, count, height * width, channels, hasMasks, resized, runs);
  if (at.size !== size) return undefined;
  // One buffer with its own ArrayBuffer at offset 0, so the typed views below are aligned.
  const buf = Buffer.allocUnsafeSlow(size);
  if (!readExactly(fd, buf, 0)) return undefined;
  if (crc32(buf.subarray(0, at.checksumAt)) !== buf.readUInt32LE(at.checksumAt)) return undefined;
  const ab = buf.buffer;
  const pixels = count * height * width;
  const set: ImageSet = {
    ids,
    height,
    width,
    ...(channels === 3 ? { channels } : {}),
    images: new Uint8Array(ab, at.imagesAt, pixels * channels),
    depths: new Float32Array(ab, at.depthsAt, count),
    ...(resized ? { sizes: new Uint32Array(ab, at.sizesAt, count * 2) } : {}),
  };
  const fullMasks = resized && hasMasks ? { offsets: new Uint32Array(ab, at.offsetsAt, count + 1), runs: new Uint32Array(ab, at.runsAt, runs * 2) } : undefined;
  return hasMasks ? { ...set, masks: new Uint8Array(ab, at.masksAt, pixels), ...(objects ? { objects } : {}), ...(fullMasks ? { fullMasks } : {}) } : set;
}

/** A test split's cache opened for reading its images a chunk at a time (see openTestCache). */
export interface TestImages {
  ids: string[];
  height: number;
  width: number;
  channels: 1 | 3;
  depths: Float32Array;
  /** Each image's own size (2 per image), where the split was resized. */
  sizes?: Uint32Array;
  /** The cache file and its size in bytes. */
  file: string;
  bytes: number;
  /** Images start … start + n − 1 (n·H·W·C bytes, row-major per image); a view valid until the next read. */
  read(start: number, n: number): Uint8Array;
  close(): void;
}

/** Bytes read at a time when a cache is checked or its images streamed. */
const STREAM_BYTES = 32 << 20;

/**
 * Opens a test split's cache for chunked reads, or undefined when it is absent, damaged (size,
 * magic, version, header, checksum) or from other source files. The checksum is verified in
 * chunks of 32 MB, so memory stays flat whatever the number of images.
 */
export function openTestCache(file: string, fingerprint: string): TestImages | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  let open = false;
  try {
    const read = readCacheHeader(fd);
    if (!read) return undefined;
    const { size, headerBytes, header } = read;
    if (header.split !== 'test' || header.fingerprint !== fingerprint || header.hasMasks) return undefined;
    const { count, height, width, channels, ids } = header;
    if (!Array.isArray(ids) || ids.length !== count || !Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) return undefined;
    if (channels !== 1 && channels !== 3) return undefined;
    const resized = header.resized === true;
    const at = layout(headerBytes, count, height * width, channels, false, resized, 0);
    if (at.size !== size) return undefined;
    let crc = 0;
    const scratch = Buffer.allocUnsafe(Math.min(STREAM_BYTES, at.checksumAt));
    for (let pos = 0; pos < at.checksumAt; pos += scratch.length) {
      const part = scratch.subarray(0, Math.min(scratch.length, at.checksumAt - pos));
      if (!readExactly(fd, part, pos)) return undefined;
      crc = crc32(part, crc);
    }
    const tail = Buffer.alloc(size - at.depthsAt);
    if (!readExactly(fd, tail, at.depthsAt)) return undefined;
    if (crc !== tail.readUInt32LE(at.checksumAt - at.depthsAt)) return undefined;
    const copy = (from: number, bytes: number) => tail.buffer.slice(tail.byteOffset + from - at.depthsAt, tail.byteOffset + from - at.depthsAt + bytes);
    const depths = new Float32Array(copy(at.depthsAt, count * 4));
    const sizes = resized ? new Uint32Array(copy(at.sizesAt, count * 8)) : undefined;
    const imageBytes = height * width * channels;
    let buffer = Buffer.alloc(0);
    open = true;
    return {
      ids,
      height,
      width,
      channels,
      depths,
      ...(sizes ? { sizes } : {}),
      file,
      bytes: size,
      read(start: number, n: number): Uint8Array {
        if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > count) throw new Error(`${file}: images ${start}…${start + n - 1} are outside its ${count}`);
        if (buffer.length < n * imageBytes) buffer = Buffer.alloc(n * imageBytes);
        const view = buffer.subarray(0, n * imageBytes);
        if (!readExactly(fd, view, at.imagesAt + start * imageBytes)) throw new UserError(`${file}: truncated while reading; delete it to rebuild`);
        return view;
      },
      close() {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch {
    return undefined;
  } finally {
    if (!open) closeSync(fd);
  }
}

/**
 * Writes a test split's cache image chunk by image chunk (the same file format as writeCache), so
 * building it never holds the split in memory: `append` the images in order, then `commit` with
 * the depths (and each image's own size when resized) — the file is renamed into place only then.
 */
export class TestCacheWriter {
  private readonly out: AtomicFileWriter;
  private crc = 0;
  private written = 0;
  private readonly at: ReturnType<typeof layout>;
  private readonly count: number;
  private readonly imageBytes: number;

  constructor(
    private readonly file: string,
    fingerprint: string,
    set: { ids: string[]; height: number; width: number; channels: 1 | 3; resized: boolean },
  ) {
    const header: CacheHeader = {
      split: 'test',
      fingerprint,
      count: set.ids.length,
      height: set.height,
      width: set.width,
      channels: set.channels,
      hasMasks: false,
      ids: set.ids,
      ...(set.resized ? { resized: true } : {}),
    };
    const headerBuf = Buffer.from(JSON.stringify(header), 'utf8');
    this.count = set.ids.length;
    this.imageBytes = set.height * set.width * set.channels;
    this.at = layout(headerBuf.length, this.count, set.height * set.width, set.channels, false, set.resized, 0);
    const head = Buffer.alloc(this.at.imagesAt);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(FORMAT_VERSION, 8);
    head.writeUInt32LE(headerBuf.length, 12);
    headerBuf.copy(head, 16);
    try {
      this.out = new AtomicFileWriter(file);
      this.put(head);
    } catch (err) {
      throw this.cannotWrite(err);
    }
  }

  /** A file-system failure as the user error naming the cache; anything else (a bug) as it is. */
  private cannotWrite(err: unknown): unknown {
    if (!(err instanceof Error) || !('code' in err)) return err;
    return new UserError(`cannot write the data cache ${this.file} (${(err as NodeJS.ErrnoException).code ?? err.message})`);
  }

  private put(bytes: Uint8Array): void {
    this.out.write(bytes);
    this.crc = crc32(bytes, this.crc);
  }

  /** The next images, in order (whole images only). */
  append(images: Uint8Array): void {
    if (images.length % this.imageBytes !== 0 || this.written + images.length / this.imageBytes > this.count) {
      throw new Error(`${this.file}: ${images.length} bytes are not whole images within the ${this.count}`);
    }
    this.put(images);
    this.written += images.length / this.imageBytes;
  }

  /** Writes the depths, the sizes and the checksum, and renames the file into place. */
  commit(depths: Float32Array, sizes?: Uint32Array): void {
    try {
      if (this.written !== this.count) throw new Error(`${this.file}: ${this.written} of ${this.count} images written`);
      if (depths.length !== this.count || (this.at.offsetsAt !== this.at.sizesAt) !== (sizes !== undefined)) throw new Error(`${this.file}: depths or sizes do not fit the header`);
      const rest = Buffer.alloc(this.at.checksumAt - this.at.imagesAt - this.count * this.imageBytes);
      rest.set(bytesOf(depths), this.at.depthsAt - this.at.imagesAt - this.count * this.imageBytes);
      if (sizes) rest.set(bytesOf(sizes), this.at.sizesAt - this.at.imagesAt - this.count * this.imageBytes);
      this.put(rest);
      const sum = Buffer.alloc(CHECKSUM_BYTES);
      sum.writeUInt32LE(this.crc >>> 0, 0);
      this.put(sum);
      this.out.commit();
    } catch (err) {
      this.abort();
      throw this.cannotWrite(err);
    }
  }

  /** Discards the partial file; safe to call more than once. */
  abort(): void {
    this.out.abort();
  }
}
