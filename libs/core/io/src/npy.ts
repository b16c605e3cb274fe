import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AtomicFileWriter } from './atomic';
import { UserError } from './errors';

/**
 * numpy's `.npy` format, version 1.0, for little-endian float32 C-order arrays
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 *
 *   "\x93NUMPY" · major 1 · minor 0 · uint16 LE header length · header · data
 *
 * where the header is the Python literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, H, W), }`
 * padded with spaces and terminated by "\n" so that magic + version + length + header is a multiple of
 * 64 bytes (numpy aligns the data that way). `np.load` reads these files as they are.
 */
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const PREAMBLE = MAGIC.length + 2 + 2;
const ALIGN = 64;

function checkShape(shape: readonly number[], where: string): void {
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${where}: shape must be non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

/** The full header (preamble included) for a float32 array of `shape`. */
export function npyHeader(shape: readonly number[]): Buffer {
  checkShape(shape, 'npyHeader');
  // Python's tuple repr: a one-element tuple keeps its trailing comma.
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  const unpadded = PREAMBLE + dict.length + 1;
  const total = Math.ceil(unpadded / ALIGN) * ALIGN;
  const headerLen = total - PREAMBLE;
  if (headerLen > 0xffff) throw new Error(`npyHeader: header of ${headerLen} bytes does not fit version 1.0`);
  const out = Buffer.alloc(total, 0x20);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(headerLen, 8);
  out.write(dict, PREAMBLE, 'latin1');
  out[total - 1] = 0x0a;
  return out;
}

export interface NpyInfo {
  shape: number[];
  /** Byte offset of the first value. */
  dataOffset: number;
}

/** Parses and checks the header of a float32 C-order `.npy` file; errors name the file. */
export function readNpyInfo(path: string): NpyInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const pre = Buffer.alloc(PREAMBLE);
    if (size < PREAMBLE || readSync(fd, pre, 0, PREAMBLE, 0) !== PREAMBLE || !pre.subarray(0, 6).equals(MAGIC)) {
      throw new UserError(`${path}: not a .npy file (bad magic string)`);
    }
    if (pre[6] !== 1) throw new UserError(`${path}: .npy version ${pre[6]}.${pre[7]} is not supported (expected 1.0)`);
    const headerLen = pre.readUInt16LE(8);
    const header = Buffer.alloc(headerLen);
    if (readSync(fd, header, 0, headerLen, PREAMBLE) !== headerLen) throw new UserError(`${path}: truncated .npy header`);
    const text = header.toString('latin1');
    const descr = /'descr':\s*'([^']*)'/.exec(text)?.[1];
    const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
    const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
    if (descr !== '<f4') throw new UserError(`${path}: dtype ${descr ?? '(none)'} is not little-endian float32 '<f4'`);
    if (fortran !== 'False') throw new UserError(`${path}: fortran_order must be False`);
    if (shapeText === undefined) throw new UserError(`${path}: .npy header has no shape`);
    const shape = shapeText
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map(Number);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new UserError(`${path}: bad shape (${shapeText})`);
    const dataOffset = PREAMBLE + headerLen;
    const expected = dataOffset + 4 * shape.reduce((a, b) => a * b, 1);
    if (size !== expected) throw new UserError(`${path}: ${size} bytes, but shape (${shape.join(', ')}) needs ${expected}`);
    return { shape, dataOffset };
  } finally {
    closeSync(fd);
  }
}

/**
 * Streams a float32 array of a known shape into a `.npy` file: header first, then values in C
 * order as they come. The file appears under its final name only on `commit()`, which checks that
 * exactly the shape's number of values was written.
 */
export class NpyWriter {
  private readonly file: AtomicFileWriter;
  private written = 0;
  private readonly expected: number;

  constructor(
    private readonly finalPath: string,
    readonly shape: readonly number[],
  ) {
    const header = npyHeader(shape);
    this.expected = shape.reduce((a, b) => a * b, 1);
    this.file = new AtomicFileWriter(finalPath);
    this.file.write(header);
  }

  /** Appends values (host order is little-endian on every platform Node supports). */
  write(values: Float32Array): void {
    if (this.written + values.length > this.expected) {
      throw new Error(`${this.finalPath}: more than the ${this.expected} values of shape (${this.shape.join(', ')})`);
    }
    this.file.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.written += values.length;
  }

  commit(): void {
    if (this.written !== this.expected) {
      this.abort();
      throw new Error(`${this.finalPath}: wrote ${this.written} values, shape (${this.shape.join(', ')}) needs ${this.expected}`);
    }
    this.file.commit();
  }

  /** Discards the partial file. Safe to call more than once. */
  abort(): void {
    this.file.abort();
  }
}

/** Writes a whole array as `.npy` (atomically). */
export function writeNpy(path: string, values: Float32Array, shape: readonly number[]): void {
  const w = new NpyWriter(path, shape);
  try {
    w.write(values);
    w.commit();
  } catch (err) {
    w.abort();
    throw err;
  }
}

/** Reads a whole float32 `.npy` file. */
export function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const { shape } = readNpyInfo(path);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  readNpyChunks(path, 1, Math.max(1, shape[0]), (v) => data.set(v));
  return { shape, data };
}

/**
 * A one-dimensional .npy file of exactly `n` values, as its metadata promised; otherwise a user
 * error naming the file, its shape and `fix` (what to rerun).
 */
export function readNpyVector(path: string, n: number, fix: string): Float32Array {
  const { shape, data } = readNpy(path);
  if (shape.length !== 1 || shape[0] !== n) throw new UserError(`${path}: shape (${shape.join(', ')}), expected (${n},) as its meta.json says; ${fix}`);
  return data;
}

/**
 * A float32 `.npy` file of shape (N, ...) open for reading rows along its first axis, any rows in
 * any order (several files side by side, chunk by chunk). The header is checked on opening (see
 * readNpyInfo); a file that ends early after that is a UserError naming it, never a short read.
 */
export class NpyReader {
  readonly shape: number[];
  /** Values per row: the product of the shape after the first axis. */
  readonly rowSize: number;
  private readonly dataOffset: number;
  private fd: number | undefined;
  private buf = new Float32Array(0);

  /** `minRank` guards against a file of the wrong rank. */
  constructor(
    readonly path: string,
    minRank = 1,
  ) {
    const { shape, dataOffset } = readNpyInfo(path);
    if (shape.length < minRank) throw new UserError(`${path}: shape (${shape.join(', ')}) has rank ${shape.length}, expected at least ${minRank}`);
    this.shape = shape;
    this.dataOffset = dataOffset;
    this.rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
    this.fd = openSync(path, 'r');
  }

  /** Number of rows (the first axis). */
  get rows(): number {
    return this.shape[0];
  }

  /** Rows [first, first + n) in C order, as a view valid until the next read. */
  read(first: number, n: number): Float32Array {
    if (this.fd === undefined) throw new Error(`NpyReader: ${this.path} is closed`);
    if (!Number.isInteger(first) || !Number.isInteger(n) || first < 0 || n < 0 || first + n > this.rows) {
      throw new Error(`NpyReader: rows [${first}, ${first + n}) are outside the ${this.rows} rows of ${this.path}`);
    }
    const values = n * this.rowSize;
    if (this.buf.length < values) this.buf = new Float32Array(values);
    const bytes = new Uint8Array(this.buf.buffer, 0, values * 4);
    const position = this.dataOffset + first * this.rowSize * 4;
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(this.fd, bytes, got, bytes.length - got, position + got);
      if (r === 0) throw new UserError(`${this.path}: unexpected end of file`);
      got += r;
    }
    return this.buf.subarray(0, values);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Reads a `.npy` file of shape (N, ...) in chunks of `itemsPerChunk` rows along the first axis;
 * `onChunk` receives a view valid until it returns and the index of the chunk's first row.
 * `minRank` guards against a file of the wrong rank. Returns N.
 */
export function readNpyChunks(path: string, minRank: number, itemsPerChunk: number, onChunk: (values: Float32Array, firstItem: number) => void): number {
  const reader = new NpyReader(path, minRank);
  try {
    for (let item = 0; item < reader.rows; item += itemsPerChunk) onChunk(reader.read(item, Math.min(itemsPerChunk, reader.rows - item)), item);
  } finally {
    reader.close();
  }
  return reader.rows;
}
