import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { truncateSync } from 'node:fs';
import { NpyReader, NpyWriter, npyHeader, readNpy, readNpyChunks, readNpyInfo, writeNpy } from './npy';

/**
 * A second reader written from the format's description, sharing no code with npy.ts: the magic
 * bytes, version 1.0, a uint16 LE header length, a Python dict literal, then the raw values.
 */
function independentRead(bytes: Buffer): { header: string; descr: string; fortran: boolean; shape: number[]; values: number[] } {
  expect([...bytes.subarray(0, 6)]).toEqual([0x93, ...Buffer.from('NUMPY', 'ascii')]);
  expect([bytes[6], bytes[7]]).toEqual([1, 0]);
  const len = bytes[8] + 256 * bytes[9];
  const header = bytes.subarray(10, 10 + len).toString('latin1');
  const dict = header.trimEnd();
  const m = /^\{'descr': '(.*?)', 'fortran_order': (True|False), 'shape': \((.*?)\), \}$/.exec(dict);
  if (m === null) throw new Error(`unexpected header ${JSON.stringify(header)}`);
  const shape = m[3].split(',').filter((s) => s.trim() !== '').map((s) => parseInt(s, 10));
  const values: number[] = [];
  for (let off = 10 + len; off < bytes.length; off += 4) values.push(bytes.readFloatLE(off));
  return { header, descr: m[1], fortran: m[2] === 'True', shape, values };
}

function hasNumpy(): boolean {
  return spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
}

describe('.npy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));

  it.each([
    // header text by hand; 10 preamble bytes + text (≥ 59 characters) + padding + "\n" = 128
    [[2, 3, 4], "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 128],
    [[5], "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", 128],
    [[18000, 101, 101], "{'descr': '<f4', 'fortran_order': False, 'shape': (18000, 101, 101), }", 128],
  ])('header for shape %j', (shape, dict, total) => {
    const h = npyHeader(shape);
    expect(h.length).toBe(total);
    const text = h.subarray(10).toString('latin1');
    expect(text.startsWith(dict)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(dict.length, -1)).toMatch(/^ *$/);
    expect(h.readUInt16LE(8)).toBe(total - 10);
  });

  it('streams values under a header an independent reader accepts', () => {
    const p = join(dir, 'a.npy');
    const w = new NpyWriter(p, [3, 2, 2]);
    w.write(Float32Array.from([0, 1, 2, 3, 4, 5]));
    expect(existsSync(p)).toBe(false); // appears only on commit
    w.write(Float32Array.from([6, 7, 8, 9, 10, 11.5]));
    w.commit();
    const r = independentRead(readFileSync(p));
    expect(r.descr).toBe('<f4');
    expect(r.fortran).toBe(false);
    expect(r.shape).toEqual([3, 2, 2]);
    expect(r.values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.5]);
    expect((10 + r.header.length) % 64).toBe(0);
    expect(readNpyInfo(p)).toEqual({ shape: [3, 2, 2], dataOffset: 128 });
    const seen: Array<[number[], number]> = [];
    readNpyChunks(p, 3, 2, (v, first) => seen.push([[...v], first]));
    expect(seen).toEqual([
      [[0, 1, 2, 3, 4, 5, 6, 7], 0],
      [[8, 9, 10, 11.5], 2],
    ]);
  });

  it('a short or long stream is an error and leaves nothing behind', () => {
    const p = join(dir, 'short.npy');
    const w = new NpyWriter(p, [2, 2]);
    w.write(Float32Array.from([1, 2, 3]));
    expect(() => w.commit()).toThrow(/wrote 3 values, shape \(2, 2\) needs 4/);
    const long = new NpyWriter(join(dir, 'long.npy'), [1]);
    expect(() => long.write(Float32Array.from([1, 2]))).toThrow(/more than the 1 values/);
    long.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('short') || f.startsWith('long.npy.tmp'))).toEqual([]);
  });

  it('keeps exotic values exact', () => {
    const p = join(dir, 'b.npy');
    const v = Float32Array.from([-0, 1e-40, -1e30, Infinity, 0.1, NaN]);
    writeNpy(p, v, [6]);
    const back = readNpy(p);
    expect(back.shape).toEqual([6]);
    expect(back.data).toEqual(v);
  });

  it.each([
    ['a foreign file', Buffer.from('hello world, not numpy at all'), /bad magic/],
    ['float64 data', Buffer.concat([Buffer.from(npyHeader([1]).toString('latin1').replace("'<f4'", "'<f8'"), 'latin1'), Buffer.alloc(8)]), /dtype <f8 is not little-endian float32/],
    ['a truncated body', Buffer.concat([npyHeader([4]), Buffer.alloc(12)]), /140 bytes, but shape \(4\) needs 144/],
  ])('rejects %s, naming the file', (_what, bytes, message) => {
    const p = join(dir, 'bad.npy');
    writeFileSync(p, bytes);
    expect(() => readNpyInfo(p)).toThrow(message);
    expect(() => readNpyInfo(p)).toThrow(p);
  });

  it('NpyReader reads any rows in any order, as the values were written', () => {
    const p = join(dir, 'rows.npy');
    // Row r of shape (4, 2, 3) holds 10r + 0..5.
    writeNpy(p, Float32Array.from({ length: 24 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6)), [4, 2, 3]);
    const reader = new NpyReader(p, 3);
    try {
      expect([reader.rows, reader.rowSize]).toEqual([4, 6]);
      expect(Array.from(reader.read(2, 2))).toEqual([20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35]);
      expect(Array.from(reader.read(0, 1))).toEqual([0, 1, 2, 3, 4, 5]);
      expect(reader.read(4, 0).length).toBe(0);
      expect(() => reader.read(3, 2)).toThrow(/rows \[3, 5\) are outside the 4 rows/);
    } finally {
      reader.close();
    }
    expect(() => reader.read(0, 1)).toThrow(/closed/);
    expect(() => new NpyReader(p, 4)).toThrow(/rank 3, expected at least 4/);
  });

  it('a file cut short after its header was checked is an end-of-file error naming it, not a short read', () => {
    const p = join(dir, 'shrinks.npy');
    writeNpy(p, new Float32Array(4 * 6).fill(1), [4, 6]);
    const reader = new NpyReader(p);
    try {
      truncateSync(p, 128 + 4 * 6 * 2);
      expect(Array.from(reader.read(1, 1))).toEqual([1, 1, 1, 1, 1, 1]);
      expect(() => reader.read(1, 2)).toThrow(`${p}: unexpected end of file`);
    } finally {
      reader.close();
    }
  });

  const numpy = hasNumpy();
  const ci = process.env.CI === 'true';
  (numpy || ci ? it : it.skip)('np.load reads them (python3-numpy)', () => {
    if (!numpy) throw new Error('python3 with numpy is required on CI (apt-get install python3-numpy)');
    const p = join(dir, 'np.npy');
    const values = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => i * 0.25 - 3);
    writeNpy(p, values, [2, 3, 5]);
    const script = 'import sys, numpy as np\na = np.load(sys.argv[1])\nprint(a.dtype.str, a.shape, a.flags["C_CONTIGUOUS"], float(a[1, 2, 4]), float(a.sum()))';
    const res = spawnSync('python3', ['-c', script, p], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    // a[1,2,4] = index 29 → 29·0.25 − 3 = 4.25; sum = 0.25·(0+…+29) − 90 = 18.75
    expect(res.stdout.trim()).toBe('<f4 (2, 3, 5) True 4.25 18.75');
    // and np.save writes the very same bytes for the same array
    const saved = join(dir, 'np-saved.npy');
    const save = spawnSync('python3', ['-c', 'import sys, numpy as np\nnp.save(sys.argv[2], np.load(sys.argv[1]))', p, saved], { encoding: 'utf8' });
    expect(save.stderr).toBe('');
    expect(readFileSync(saved).equals(readFileSync(p))).toBe(true);
  });
  if (!numpy && !ci) it('np.load check skipped: python3-numpy is not installed', () => undefined);
});
