import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, readLockOwner } from './file-lock';

describe('acquireLock', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is exclusive until released, and records who holds it', async () => {
    const path = join(dir, 'sub', 'x.lock');
    const a = await acquireLock(path, { label: 'first' });
    expect(a).toBeDefined();
    expect(readLockOwner(path)).toMatchObject({ host: hostname(), pid: process.pid, label: 'first' });
    expect(await acquireLock(path, { label: 'second' })).toBeUndefined();
    a?.release();
    a?.release(); // idempotent
    expect(existsSync(path)).toBe(false);
    const b = await acquireLock(path, { label: 'second' });
    expect(readLockOwner(path)?.label).toBe('second');
    b?.release();
  });

  it('takes over a lock whose owner on this host is dead', async () => {
    const path = join(dir, 'x.lock');
    writeFileSync(path, JSON.stringify({ host: hostname(), pid: 999_999_999, label: 'killed', since: '2020-01-01T00:00:00Z' }));
    const lock = await acquireLock(path, { label: 'next', isAlive: (pid) => pid !== 999_999_999 });
    expect(readLockOwner(path)?.label).toBe('next');
    lock?.release();
  });

  it('leaves a lock held on another host alone (its pid means nothing here)', async () => {
    const path = join(dir, 'x.lock');
    writeFileSync(path, JSON.stringify({ host: 'some-other-node', pid: 1, label: 'remote', since: '2020-01-01T00:00:00Z' }));
    expect(await acquireLock(path, { label: 'next', isAlive: () => false })).toBeUndefined();
    expect(JSON.parse(readFileSync(path, 'utf8')).label).toBe('remote');
  });

  it('does not remove a lock that was taken over after it went stale', async () => {
    const path = join(dir, 'x.lock');
    const mine = await acquireLock(path, { label: 'mine' });
    writeFileSync(path, JSON.stringify({ host: hostname(), pid: process.pid, label: 'theirs', since: 'later' }));
    mine?.release();
    expect(readLockOwner(path)?.label).toBe('theirs');
  });
});
