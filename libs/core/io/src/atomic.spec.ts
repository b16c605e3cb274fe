import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeNpy } from './npy';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AtomicFileWriter, atomicCopyFile, atomicWriteDir, atomicWriteFile, parseTempName, tempPathFor, TEMP_HOST, writeBuildFile } from './atomic';

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

  it('copies a file whole, replacing the old one', () => {
    const src = join(dir, 'src.csv');
    writeFileSync(src, 'id,rle_mask\n');
    writeFileSync(join(dir, 'copy.csv'), 'old');
    atomicCopyFile(src, join(dir, 'copy.csv'));
    expect(readFileSync(join(dir, 'copy.csv'), 'utf8')).toBe('id,rle_mask\n');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
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

  it("writes a build's files in place, many at once, published whole by the directory's rename", async () => {
    const d = join(dir, 'built');
    await atomicWriteDir(d, async (tmp) => {
      await Promise.all(Array.from({ length: 40 }, (_, i) => writeBuildFile(join(tmp, `${i}.bin`), i % 2 ? `text ${i}` : new Uint8Array([i, i + 1]))));
      expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
      expect(existsSync(d)).toBe(false);
    });
    expect(readdirSync(d)).toHaveLength(40);
    expect(readFileSync(join(d, '3.bin'), 'utf8')).toBe('text 3');
    expect([...readFileSync(join(d, '4.bin'))]).toEqual([4, 5]);
    await expect(writeBuildFile(join(dir, 'no-such-folder', 'x.bin'), 'x')).rejects.toThrow(/no-such-folder/);
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

describe('stale temporary files', () => {
  const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

  it('every atomic writer first removes what killed writers left for its own target, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'io-stale-'));
    const dead = deadPid();
    const stale = (name: string) => `${name}.tmp-${TEMP_HOST}@${dead}-0a1b2c3d`;
    // What `kill -9` of infer mid-write leaves beside x.npy, and of others beside their outputs.
    for (const name of ['x.npy', 'a.csv', 'other.csv']) writeFileSync(join(dir, stale(name)), 'partial');
    mkdirSync(join(dir, stale('masks')));
    const live = `x.npy.tmp-${TEMP_HOST}@${process.pid}-0a1b2c3d`;
    const foreign = `x.npy.tmp-othernode@${dead}-0a1b2c3d`;
    writeFileSync(join(dir, live), 'being written');
    writeFileSync(join(dir, foreign), 'written on another node');
    writeNpy(join(dir, 'x.npy'), new Float32Array(2), [2]);
    atomicWriteFile(join(dir, 'a.csv'), 'id\n');
    await atomicWriteDir(join(dir, 'masks'), (tmp) => writeFileSync(join(tmp, 'm.png'), ''));
    expect(readdirSync(dir).sort()).toEqual(['a.csv', foreign, 'masks', stale('other.csv'), 'x.npy', live].sort());
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('AtomicFileWriter', () => {
  it('shows the old file until commit, and leaves it after abort', () => {
    const dir = mkdtempSync(join(tmpdir(), 'afw-'));
    const path = join(dir, 'out.csv');
    writeFileSync(path, 'old\n');
    const w = new AtomicFileWriter(path);
    w.write('a,1\n');
    w.write(Buffer.from('b,2\n'));
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    w.commit();
    expect(readFileSync(path, 'utf8')).toBe('a,1\nb,2\n');
    const aborted = new AtomicFileWriter(path);
    aborted.write('partial');
    aborted.abort();
    expect(readFileSync(path, 'utf8')).toBe('a,1\nb,2\n');
    expect(readdirSync(dir)).toEqual(['out.csv']);
    rmSync(dir, { recursive: true, force: true });
  });
});
