/** Element types a weights file may hold, in safetensors' spelling. */
export type WeightDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each {@link WeightDtype}. */
export const DTYPE_BYTES: Record<WeightDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** One tensor of a state dict: its row-major shape, the dtype the file stored, and its values as float32. */
export interface WeightTensor {
  shape: number[];
  dtype: WeightDtype;
  values: Float32Array;
}

/** A state dict: parameter name → tensor, in file order. */
export type StateDict = Map<string, WeightTensor>;

/**
 * IEEE 754 half precision → number: sign · 2^(e−15) · (1 + m/1024) for 0 < e < 31,
 * sign · 2^−14 · m/1024 for e = 0 (subnormals), ±∞ / NaN for e = 31.
 */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return sign * 2 ** -14 * (m / 1024);
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (e - 15) * (1 + m / 1024);
}

/** bfloat16 → number: the 16 bits are the upper half of a float32. */
export function bfloat16ToFloat(bits: number): number {
  const scratch = new DataView(new ArrayBuffer(4));
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}

/**
 * `count` little-endian elements of `dtype` starting at element `offset` of `bytes`, picked with
 * row-major `strides` (in elements) for `shape`, as float32. Contiguous tensors have strides
 * [∏shape[1:], …, 1]; PyTorch views may have others.
 */
export function decodeElements(bytes: Uint8Array, dtype: WeightDtype, shape: number[], strides: number[], offset: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = DTYPE_BYTES[dtype];
  if (dtype === 'F32' && isContiguous(shape, strides)) {
    const count = shape.reduce((a, d) => a * d, 1);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32((offset + i) * 4, true);
    return out;
  }
  const read = elementReader(view, dtype);
  const count = shape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  let source = offset;
  for (let i = 0; i < count; i++) {
    out[i] = read(source * size);
    // Odometer over the shape, keeping the source element index in step with the strides.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]++;
      source += strides[axis];
      if (index[axis] < shape[axis]) break;
      source -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

let halfTable: Float32Array | undefined;

function elementReader(view: DataView, dtype: WeightDtype): (byte: number) => number {
  switch (dtype) {
    case 'F64':
      return (b) => view.getFloat64(b, true);
    case 'F32':
      return (b) => view.getFloat32(b, true);
    case 'F16': {
      // All 65,536 half values, decoded once: a lookup is far cheaper than the formula per element.
      const table = (halfTable ??= Float32Array.from({ length: 65536 }, (_, bits) => halfToFloat(bits)));
      return (b) => table[view.getUint16(b, true)];
    }
    case 'BF16':
      return (b) => bfloat16ToFloat(view.getUint16(b, true));
    case 'I64':
      return (b) => Number(view.getBigInt64(b, true));
    case 'I32':
      return (b) => view.getInt32(b, true);
    case 'I16':
      return (b) => view.getInt16(b, true);
    case 'I8':
      return (b) => view.getInt8(b);
    case 'U8':
    case 'BOOL':
      return (b) => view.getUint8(b);
  }
}

function isContiguous(shape: number[], strides: number[]): boolean {
  const expected = contiguousStrides(shape);
  return shape.every((d, axis) => d <= 1 || strides[axis] === expected[axis]);
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis--) strides[axis] = strides[axis + 1] * shape[axis + 1];
  return strides;
}
