import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float32FileWriter, float32FileLength, readFloat32Chunks, readFloat32File, writeFloat32File } from './float32-file';

describe('float32 files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'f32-'));

  it('streams chunks in and out in order', () => {
    const p = join(dir, 'a.f32');
    const w = new Float32FileWriter(p);
    w.write(Float32Array.from([1, 2, 3]));
    w.write(Float32Array.from([4, 5, 6, 7, 8, 9]));
    expect(existsSync(p)).toBe(false);
    w.commit(9);
    const seen: Array<[number[], number]> = [];
    readFloat32Chunks(p, 3, 2, (v, first) => seen.push([[...v], first]));
    expect(seen).toEqual([
      [[1, 2, 3, 4, 5, 6], 0],
      [[7, 8, 9], 2],
    ]);
    expect([...readFloat32File(p)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps exotic values exact', () => {
    const p = join(dir, 'b.f32');
    const v = Float32Array.from([-0, 1e-40, -1e30, Infinity, 0.1]);
    writeFloat32File(p, v);
    expect(readFloat32File(p)).toEqual(v);
  });

  it('refuses a short stream and leaves nothing behind', () => {
    const p = join(dir, 'c.f32');
    const w = new Float32FileWriter(p);
    w.write(Float32Array.from([1]));
    expect(() => w.commit(2)).toThrow('wrote 1 floats, expected 2');
    expect(existsSync(p)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('c.f32'))).toEqual([]);
  });

  it('rejects a file that is not whole items', () => {
    const p = join(dir, 'd.f32');
    writeFileSync(p, Buffer.alloc(10));
    expect(() => float32FileLength(p)).toThrow('not a whole number');
    writeFileSync(p, Buffer.alloc(12));
    expect(() => float32FileLength(p, 2)).toThrow('not a whole number');
  });
});
