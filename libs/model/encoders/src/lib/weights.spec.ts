import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { crc32, UserError } from '@segkit/io';
import { parsePth } from './pth';
import { parseSafetensors } from './safetensors';
import { bfloat16ToFloat, halfToFloat, type StateDict } from './tensor-data';
import { matchStateDict, readWeightsFile, stripPrefixes } from './weights-file';
import { readZipDirectory, readZipEntry } from './zip';

// Written by tools/parity/reader_fixtures.py with the values restated below.
const FIXTURES = join(__dirname, 'fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

/** The tiny state dict of the fixtures, by hand. */
const TINY: [string, number[], string, number[]][] = [
  ['conv1.weight', [2, 1, 1, 1], 'F32', [1.5, -2]],
  ['bn1.running_mean', [2], 'F16', [0.5, -0.25]],
  ['bn1.running_var', [2], 'BF16', [1, -3.140625]],
  ['bn1.num_batches_tracked', [], 'I64', [7]],
  ['fc.weight', [3, 2], 'F32', [0, 3, 1, 4, 2, 5]],
  ['fc.bias', [2], 'F32', [4, 5]],
];

function expectTiny(sd: StateDict): void {
  expect([...sd.keys()]).toEqual(TINY.map(([name]) => name));
  for (const [name, shape, dtype, values] of TINY) {
    const t = sd.get(name)!;
    expect([name, t.shape, t.dtype, Array.from(t.values)]).toEqual([name, shape, dtype, values]);
  }
}

describe('half-precision decoding', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x0400, 2 ** -14],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('F16 0x%s is %s', (bits, value) => {
    expect(halfToFloat(bits)).toBe(value);
  });

  it('F16 NaN', () => expect(halfToFloat(0x7e00)).toBeNaN());

  it.each([
    [0x3f80, 1],
    [0xc049, -3.140625],
    [0x0000, 0],
    [0x7f80, Infinity],
    [0x3e80, 0.25],
  ])('BF16 0x%s is %s', (bits, value) => {
    expect(bfloat16ToFloat(bits)).toBe(value);
  });
});

describe('zip reader', () => {
  it('lists a PyTorch archive (ZIP64 end records) and reads stored and deflated entries alike', () => {
    const stored = fixture('tiny.pth');
    const deflated = fixture('tiny-deflated.pth');
    const names = readZipDirectory(stored).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['tiny/data.pkl', 'tiny/data/0', 'tiny/version']));
    const a = readZipDirectory(stored).find((e) => e.name === 'tiny/data/0')!;
    const b = readZipDirectory(deflated).find((e) => e.name === 'tiny/data/0')!;
    expect([a.method, b.method]).toEqual([0, 8]);
    // float32 1.5 and −2, little-endian.
    expect(Array.from(readZipEntry(stored, a))).toEqual([0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]);
    expect(readZipEntry(deflated, b)).toEqual(readZipEntry(stored, a));
  });

  it('a flipped data byte fails the CRC check', () => {
    const buf = Buffer.from(fixture('tiny.pth'));
    const entry = readZipDirectory(buf).find((e) => e.name === 'tiny/data/0')!;
    const start = entry.localHeaderOffset + 30 + buf.readUInt16LE(entry.localHeaderOffset + 26) + buf.readUInt16LE(entry.localHeaderOffset + 28);
    buf[start] ^= 1;
    expect(() => readZipEntry(buf, entry)).toThrow(/CRC-32/);
  });
});

describe('parsePth', () => {
  it('reads a state dict: float32, float16, bfloat16, int64, a transposed view and a view with an offset', () => {
    expectTiny(parsePth(fixture('tiny.pth'), 'tiny.pth'));
  });

  it('reads the same from a deflated archive', () => {
    expectTiny(parsePth(fixture('tiny-deflated.pth'), 'tiny-deflated.pth'));
  });

  it("unwraps a training checkpoint's state_dict", () => {
    expectTiny(parsePth(fixture('checkpoint.pth'), 'checkpoint.pth'));
  });

  it('refuses a pickle that calls os.system, naming the file and the global', () => {
    expect(() => parsePth(fixture('evil.pth'), 'evil.pth')).toThrow(UserError);
    expect(() => parsePth(fixture('evil.pth'), 'evil.pth')).toThrow(/^evil\.pth: .*refuses the global 'posix\.system'|^evil\.pth: .*refuses the global 'os\.system'/);
  });

  it('refuses the legacy (pre-1.6) format with what to do', () => {
    expect(() => parsePth(fixture('legacy.pth'), 'legacy.pth')).toThrow(/legacy \(pre-1\.6\).*re-save/);
  });

  it('refuses a truncated archive', () => {
    const buf = fixture('tiny.pth');
    expect(() => parsePth(buf.subarray(0, buf.length - 30), 'cut.pth')).toThrow(/^cut\.pth: not a PyTorch zip checkpoint/);
  });

  it('refuses opcodes a state dict does not use', () => {
    // A zip holding x/data.pkl = PROTO 2, EMPTY_SET (0x8f), STOP.
    const pkl = Buffer.from([0x80, 0x02, 0x8f, 0x2e]);
    expect(() => parsePth(storedZip([['x/data.pkl', pkl]]), 'set.pth')).toThrow(/refuses opcode EMPTY_SET/);
  });

  it('refuses a dict without tensors', () => {
    // PROTO 2, EMPTY_DICT, SHORT_BINUNICODE 'a', BININT1 1, SETITEM, STOP.
    const pkl = Buffer.from([0x80, 0x02, 0x7d, 0x8c, 0x01, 0x61, 0x4b, 0x01, 0x73, 0x2e]);
    expect(() => parsePth(storedZip([['x/data.pkl', pkl]]), 'dict.pth')).toThrow(/dict\.pth: not a plain state dict: .*without tensors under keys \["a"\]/);
  });
});

/** A zip archive of stored or deflated entries, written by hand (no ZIP64) for the reader's tests. */
function storedZip(files: [string, Buffer][], deflate = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const body = deflate ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A safetensors file by hand: header JSON padded with spaces to a multiple of 8, then the data. */
function safetensors(header: Record<string, unknown>, data: Buffer): Buffer {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json), data]);
}

describe('parseSafetensors', () => {
  // F32 [1.5, −2] | F16 [1, −2] | BF16 [1, −3.140625] | I64 [7]
  const data = Buffer.from([0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0, 0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x49, 0xc0, 7, 0, 0, 0, 0, 0, 0, 0]);
  const header = {
    __metadata__: { format: 'pt' },
    'a.f32': { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] },
    'b.f16': { dtype: 'F16', shape: [2], data_offsets: [8, 12] },
    'c.bf16': { dtype: 'BF16', shape: [1, 2], data_offsets: [12, 16] },
    'd.i64': { dtype: 'I64', shape: [], data_offsets: [16, 24] },
  };

  it('reads F32, F16, BF16 and I64 tensors', () => {
    const sd = parseSafetensors(safetensors(header, data), 'w.safetensors');
    expect([...sd].map(([k, t]) => [k, t.dtype, t.shape, Array.from(t.values)])).toEqual([
      ['a.f32', 'F32', [2, 1], [1.5, -2]],
      ['b.f16', 'F16', [2], [1, -2]],
      ['c.bf16', 'BF16', [1, 2], [1, -3.140625]],
      ['d.i64', 'I64', [], [7]],
    ]);
  });

  it.each<[string, Buffer, RegExp]>([
    ['a short file', Buffer.from([1, 2, 3]), /shorter than its 8-byte header/],
    ['a header longer than the file', Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0x7b]), /header length 255 exceeds/],
    ['a header that is not JSON', safetensors({}, Buffer.alloc(0)).fill(0x21, 8), /header is not JSON/],
    ['an unknown dtype', safetensors({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /'x' has unsupported dtype "F8_E4M3"/],
    ['a size that does not fit the shape', safetensors({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)), /'x' \(F32 \[3\]\) needs 12 bytes, has 8/],
    ['offsets past the end', safetensors({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, Buffer.alloc(8)), /'x' lies outside the file/],
  ])('refuses %s, naming the file', (_label, buf, message) => {
    expect(() => parseSafetensors(buf, 'w.safetensors')).toThrow(UserError);
    expect(() => parseSafetensors(buf, 'w.safetensors')).toThrow(message);
  });
});

describe('readWeightsFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weights-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tells the formats apart by their bytes and records the sha-256 of the file', () => {
    const pth = join(dir, 'weights.bin');
    writeFileSync(pth, fixture('tiny.pth'));
    const st = join(dir, 'model.pth'); // a misleading extension: the bytes decide
    writeFileSync(st, safetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, Buffer.from([0, 0, 0x80, 0x3f])));
    const a = readWeightsFile(pth);
    expect([a.format, a.sha256]).toEqual(['pth', createHash('sha256').update(fixture('tiny.pth')).digest('hex')]);
    expectTiny(a.stateDict);
    const b = readWeightsFile(st);
    expect([b.format, Array.from(b.stateDict.get('w')!.values)]).toEqual(['safetensors', [1]]);
  });

  it('a missing file is a UserError naming it', () => {
    expect(() => readWeightsFile(join(dir, 'nope.pth'))).toThrow(/nope\.pth: weights file not found/);
  });
});

describe('stripPrefixes and matchStateDict', () => {
  const t = (shape: number[]) => ({ shape, dtype: 'F32' as const, values: new Float32Array(shape.reduce((a, d) => a * d, 1)) });

  it('strips module. and encoder., keeping only the encoder of a whole segmentation model', () => {
    const sd: StateDict = new Map([
      ['module.encoder.conv1.weight', t([1])],
      ['module.encoder.bn1.weight', t([1])],
      ['module.decoder.blocks.0.conv1.0.weight', t([1])],
      ['module.segmentation_head.0.weight', t([1])],
    ]);
    expect([...stripPrefixes(sd).keys()]).toEqual(['conv1.weight', 'bn1.weight']);
    expect([...stripPrefixes(new Map([['conv1.weight', t([1])], ['fc.bias', t([1])]])).keys()]).toEqual(['conv1.weight', 'fc.bias']);
  });

  it('matches names and shapes, dropping num_batches_tracked and ignored names', () => {
    const sd: StateDict = new Map([
      ['conv1.weight', t([4, 3, 7, 7])],
      ['bn1.num_batches_tracked', t([])],
      ['fc.weight', t([10, 4])],
    ]);
    const matched = matchStateDict([{ name: 'conv1.weight', shape: [4, 3, 7, 7] }], sd, 'f.pth', (n) => n.startsWith('fc.'));
    expect([...matched.keys()]).toEqual(['conv1.weight']);
  });

  it('names every missing, unexpected and wrong-shape tensor in one error', () => {
    const sd: StateDict = new Map([
      ['conv1.weight', t([4, 3, 3, 3])],
      ['layer9.weight', t([1])],
    ]);
    const expected = [
      { name: 'conv1.weight', shape: [4, 3, 7, 7] },
      { name: 'bn1.weight', shape: [4] },
    ];
    expect(() => matchStateDict(expected, sd, 'f.pth')).toThrow(
      'f.pth: does not fit the encoder: missing bn1.weight; unexpected layer9.weight; wrong shape: conv1.weight is [4, 3, 3, 3], expected [4, 3, 7, 7]',
    );
  });
});
