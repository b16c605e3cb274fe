/**
 * A small binary file of named tensors, for checkpoints (optimizer slots, EMA weights, OOF logits).
 *
 * Layout (little-endian):
 *   bytes 0..7   magic "TGSTNSR1"
 *   bytes 8..11  uint32 header length H
 *   bytes 12..   H bytes of UTF-8 JSON: { tensors: [{ name, dtype, shape, offset, byteLength }] }
 *   then zero padding to a multiple of 8, then the data section; each tensor's `offset` is
 *   relative to the data section and 8-byte aligned, so typed arrays view the file without copies.
 *
 * Written atomically (temp file + rename), so a crash mid-checkpoint leaves the previous file.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { atomicWriteFile, UserError } from '@segkit/io';

const MAGIC = 'TGSTNSR1';
const SUPPORTED = ['float32', 'int32', 'bool'] as const;
type StoredDtype = (typeof SUPPORTED)[number];

interface TensorEntry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  offset: number;
  byteLength: number;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function bytesOf(dtype: StoredDtype, size: number): number {
  return dtype === 'bool' ? size : size * 4;
}

/** Writes `tensors` to `path` atomically. Tensors are read (`dataSync`) but not disposed. */
export function saveTensors(path: string, tensors: Record<string, tf.Tensor>): void {
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (!(SUPPORTED as readonly string[]).includes(t.dtype)) {
      throw new Error(`saveTensors: tensor "${name}" has dtype ${t.dtype}; only ${SUPPORTED.join(', ')} are stored`);
    }
    const dtype = t.dtype as StoredDtype;
    const values = t.dataSync();
    const bytes =
      dtype === 'bool'
        ? Uint8Array.from(values as Uint8Array)
        : new Uint8Array(values.buffer, values.byteOffset, bytesOf(dtype, t.size));
    entries.push({ name, dtype, shape: t.shape.slice(), offset, byteLength: bytes.byteLength });
    chunks.push(bytes);
    offset = align8(offset + bytes.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ tensors: entries }), 'utf8');
  const dataStart = align8(12 + header.byteLength);
  const out = new Uint8Array(dataStart + offset);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(8, header.byteLength, true);
  out.set(header, 12);
  entries.forEach((e, i) => out.set(chunks[i], dataStart + e.offset));
  atomicWriteFile(path, out);
}

function parseHeader(path: string, file: Buffer, fileLength = file.byteLength): { entries: TensorEntry[]; dataStart: number } {
  if (file.byteLength < 12 || file.toString('latin1', 0, 8) !== MAGIC) {
    throw new UserError(fileLength === 0 ? `${path}: empty (0 bytes); not a tensor file` : `${path}: not a tensor file (bad magic; expected "${MAGIC}")`);
  }
  const headerLength = file.readUInt32LE(8);
  if (12 + headerLength > file.byteLength) throw new UserError(`${path}: truncated header`);
  let header: { tensors?: unknown };
  try {
    header = JSON.parse(file.toString('utf8', 12, 12 + headerLength));
  } catch (err) {
    throw new UserError(`${path}: corrupt header (${(err as Error).message})`);
  }
  if (!Array.isArray(header.tensors)) throw new UserError(`${path}: header has no "tensors" list`);
  const dataStart = align8(12 + headerLength);
  const entries = header.tensors as TensorEntry[];
  for (const e of entries) {
    const size = Array.isArray(e.shape) ? e.shape.reduce((a, b) => a * b, 1) : NaN;
    if (!(SUPPORTED as readonly string[]).includes(e.dtype) || !(size >= 0) || e.byteLength !== bytesOf(e.dtype, size)) {
      throw new UserError(`${path}: tensor "${e.name}" has an invalid header entry`);
    }
    if (dataStart + e.offset + e.byteLength > fileLength) {
      throw new UserError(`${path}: truncated; tensor "${e.name}" extends past the end of the file`);
    }
  }
  return { entries, dataStart };
}

/**
 * Checks that a file written by {@link saveTensors} is whole — magic, header and every tensor's
 * bytes present — reading only its header; a damaged, truncated or empty file is a UserError
 * naming it (the same one {@link loadTensors} would raise).
 */
export function checkTensorFile(path: string): void {
  if (!existsSync(path)) throw new UserError(`${path}: tensor file not found`);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 12));
    readSync(fd, head, 0, head.byteLength, 0);
    const headerLength = head.byteLength === 12 && head.toString('latin1', 0, 8) === MAGIC ? head.readUInt32LE(8) : 0;
    const prefix = Buffer.alloc(Math.min(size, 12 + headerLength));
    readSync(fd, prefix, 0, prefix.byteLength, 0);
    // parseHeader judges the tensors' extents by the file's length: give it the real one.
    parseHeader(path, prefix, size);
  } finally {
    closeSync(fd);
  }
}

/** Reads a file written by {@link saveTensors}. The caller owns (and disposes) the returned tensors. */
export function loadTensors(path: string): Record<string, tf.Tensor> {
  if (!existsSync(path)) throw new UserError(`${path}: tensor file not found`);
  const file = readFileSync(path);
  const { entries, dataStart } = parseHeader(path, file);
  const out: Record<string, tf.Tensor> = {};
  for (const e of entries) {
    const start = file.byteOffset + dataStart + e.offset;
    // Copy out of the file buffer so the tensors do not pin it and alignment is guaranteed.
    const raw = file.buffer.slice(start, start + e.byteLength) as ArrayBuffer;
    const values = e.dtype === 'float32' ? new Float32Array(raw) : e.dtype === 'int32' ? new Int32Array(raw) : new Uint8Array(raw);
    out[e.name] = tf.tensor(values, e.shape, e.dtype);
  }
  return out;
}
