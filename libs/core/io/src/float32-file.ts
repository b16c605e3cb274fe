import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempPathFor } from './atomic';

/**
 * Raw little-endian float32 files for logits (N images × H·W pixels, image-major), written as a
 * stream so 18,000 test images × 5 folds never need to sit in memory together. The file appears
 * under its final name only on `commit()`.
 */
export class Float32FileWriter {
  private readonly tmp: string;
  private fd: number | undefined;
  private written = 0;

  constructor(private readonly finalPath: string) {
    mkdirSync(dirname(finalPath), { recursive: true });
    this.tmp = tempPathFor(finalPath);
    this.fd = openSync(this.tmp, 'w');
  }

  /** Appends values; returns the number of floats written so far. */
  write(values: Float32Array): number {
    if (this.fd === undefined) throw new Error(`${this.finalPath}: writer already closed`);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.written += values.length;
    return this.written;
  }

  /** Flushes and renames into place. `expectedFloats` guards against a short stream. */
  commit(expectedFloats?: number): void {
    if (this.fd === undefined) throw new Error(`${this.finalPath}: writer already closed`);
    if (expectedFloats !== undefined && expectedFloats !== this.written) {
      this.abort();
      throw new Error(`${this.finalPath}: wrote ${this.written} floats, expected ${expectedFloats}`);
    }
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tmp, this.finalPath);
  }

  /** Discards the partial file. Safe to call more than once. */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}

/** Writes a whole array through {@link Float32FileWriter}. */
export function writeFloat32File(path: string, values: Float32Array): void {
  const w = new Float32FileWriter(path);
  try {
    w.write(values);
    w.commit(values.length);
  } catch (err) {
    w.abort();
    throw err;
  }
}

/** Number of float32 values in a file; errors if the size is not a multiple of 4 or of `floatsPerItem`. */
export function float32FileLength(path: string, floatsPerItem = 1): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size % (4 * floatsPerItem) !== 0) throw new Error(`${path}: size ${size} bytes is not a whole number of items of ${floatsPerItem} float32`);
    return size / 4;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `path` in chunks of `itemsPerChunk` items of `floatsPerItem` floats each; `onChunk`
 * receives a view valid until it returns, and the index of the chunk's first item.
 */
export function readFloat32Chunks(
  path: string,
  floatsPerItem: number,
  itemsPerChunk: number,
  onChunk: (values: Float32Array, firstItem: number) => void,
): number {
  const total = float32FileLength(path, floatsPerItem) / floatsPerItem;
  const buf = new Float32Array(floatsPerItem * itemsPerChunk);
  const bytes = new Uint8Array(buf.buffer);
  const fd = openSync(path, 'r');
  try {
    for (let item = 0; item < total; item += itemsPerChunk) {
      const n = Math.min(itemsPerChunk, total - item);
      const want = n * floatsPerItem * 4;
      let got = 0;
      while (got < want) {
        const r = readSync(fd, bytes, got, want - got, item * floatsPerItem * 4 + got);
        if (r === 0) throw new Error(`${path}: unexpected end of file`);
        got += r;
      }
      onChunk(buf.subarray(0, n * floatsPerItem), item);
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

/** Reads a whole float32 file (for OOF-sized data that fits in memory). */
export function readFloat32File(path: string): Float32Array {
  const out = new Float32Array(float32FileLength(path));
  readFloat32Chunks(path, 1, Math.max(1, out.length), (v) => out.set(v));
  return out;
}
