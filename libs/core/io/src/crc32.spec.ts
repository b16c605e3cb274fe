import { crc32, crc32Table } from './crc32';

describe('crc32', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926], // the standard CRC-32 check value
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('crc32(%j) = %i', (text, expected) => {
    const bytes = Buffer.from(text, 'latin1');
    expect(crc32Table(bytes)).toBe(expected);
    expect(crc32(bytes)).toBe(expected);
  });

  it('the native and table versions agree on binary data', () => {
    const bytes = Uint8Array.from({ length: 4099 }, (_, i) => (i * 2654435761) >>> 24);
    expect(crc32(bytes)).toBe(crc32Table(bytes));
  });

  it('continues a checksum over chunks: crc32("56789", crc32("1234")) is the check value', () => {
    const a = Buffer.from('1234', 'latin1');
    const b = Buffer.from('56789', 'latin1');
    expect(crc32(b, crc32(a))).toBe(0xcbf43926);
    expect(crc32Table(b, crc32Table(a))).toBe(0xcbf43926);
  });
});
