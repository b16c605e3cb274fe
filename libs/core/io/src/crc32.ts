import * as zlib from 'node:zlib';

let table: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF), the
 * checksum of zip/PNG, computed byte-wise with a 256-entry table. Check value:
 * crc32("123456789") = 0xCBF43926.
 */
export function crc32Table(bytes: Uint8Array, previous = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * CRC-32 of `bytes`: zlib's native one (Node >= 20.15, several GB/s) or the table fallback. With
 * `previous` (the CRC of the bytes before them) it continues that checksum: crc32(b, crc32(a)) =
 * crc32(a ‖ b), so a file written or read in chunks is checked without holding it whole.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return native ? native(bytes, previous) : crc32Table(bytes, previous);
}
