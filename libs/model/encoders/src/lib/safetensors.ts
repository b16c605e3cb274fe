import { UserError } from '@segkit/io';
import { contiguousStrides, decodeElements, DTYPE_BYTES, type StateDict, type WeightDtype } from './tensor-data';

const HEADER_LIMIT = 100 * 1024 * 1024;

/**
 * Parses a safetensors file (Hugging Face's format, as timm saves it): an unsigned 64-bit
 * little-endian header length n, n bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__"?: {…}}`, then the raw little-endian tensors, offsets relative to byte 8 + n.
 * F32, F16, BF16 and F64 (and the integer types) become float32 values. Every entry is checked:
 * known dtype, integer shape, offsets inside the data and end − begin = numel · itemsize.
 * `file` names the source in errors.
 */
export function parseSafetensors(buf: Buffer, file: string): StateDict {
  const fail = (why: string): never => {
    throw new UserError(`${file}: not a valid safetensors file (${why})`);
  };
  if (buf.length < 8) fail('shorter than its 8-byte header length');
  const headerLength = buf.readBigUInt64LE(0);
  if (headerLength > BigInt(Math.min(HEADER_LIMIT, buf.length - 8))) fail(`header length ${headerLength} exceeds the file`);
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', 8, dataStart));
  } catch (err) {
    fail(`header is not JSON: ${(err as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const data = buf.subarray(dataStart);
  const out: StateDict = new Map();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') fail(`entry '${name}' is not an object`);
    const dtype = e.dtype as WeightDtype;
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(e.dtype)}`);
    const shape = e.shape as number[];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has a bad shape ${JSON.stringify(e.shape)}`);
    const offsets = e.data_offsets as number[];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) fail(`tensor '${name}' has bad data_offsets`);
    const [begin, end] = offsets;
    const bytes = shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
    if (end < begin || end > data.length) fail(`tensor '${name}' lies outside the file (bytes ${begin}–${end} of ${data.length})`);
    if (end - begin !== bytes) fail(`tensor '${name}' (${dtype} ${JSON.stringify(shape)}) needs ${bytes} bytes, has ${end - begin}`);
    out.set(name, { shape: [...shape], dtype, values: decodeElements(data.subarray(begin, end), dtype, shape, contiguousStrides(shape), 0) });
  }
  return out;
}
