import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { atomicWriteDir, atomicWriteFile, parseTempName, tempPathFor, TEMP_HOST } from './atomic';

describe('atomic writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'io-'));

  it('writes text and bytes, leaving no temporary file behind', () => {
    atomicWriteFile(join(dir, 'a.txt'), 'hello');
    atomicWriteFile(join(dir, 'sub', 'b.bin'), new Uint8Array([1, 2, 3]));
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('hello');
    expect([...readFileSync(join(dir, 'sub', 'b.bin'))]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('replaces an existing file whole', () => {
    const p = join(dir, 'c.json');
    writeFileSync(p, 'old');
    atomicWriteFile(p, JSON.stringify({ x: 1 }));
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ x: 1 });
  });

  it('keeps the old directory when building the new one fails', async () => {
    const d = join(dir, 'out');
    await atomicWriteDir(d, (tmp) => writeFileSync(join(tmp, 'f'), '1'));
    await expect(
      atomicWriteDir(d, (tmp) => {
        writeFileSync(join(tmp, 'f'), '2');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readFileSync(join(d, 'f'), 'utf8')).toBe('1');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(existsSync(d)).toBe(true);
  });
});

describe('temporary names', () => {
  it('carry the host and pid of their writer, and parse back', () => {
    const name = basename(tempPathFor('/work/fold-0/predict/test.npy'));
    expect(parseTempName(name)).toEqual({ finalName: 'test.npy', host: TEMP_HOST, pid: process.pid, old: false });
    expect(parseTempName(`best.tmp-node-07@123-deadbeef.old`)).toEqual({ finalName: 'best', host: 'node-07', pid: 123, old: true });
    // Names written before hosts were recorded: this host.
    expect(parseTempName('oof.npy.tmp-42-0a1b2c3d')).toEqual({ finalName: 'oof.npy', host: undefined, pid: 42, old: false });
    expect(parseTempName('oof.npy')).toBeUndefined();
  });
});
