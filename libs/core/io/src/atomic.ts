import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** A temporary sibling path, unique per process and call, so concurrent writers never collide. */
export function tempPathFor(finalPath: string): string {
  return `${finalPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes `data` to `finalPath` so that readers see either the old file or the whole new one:
 * write to a temporary sibling, fsync, then rename (atomic on POSIX within one file system).
 */
export function atomicWriteFile(finalPath: string, data: string | Uint8Array): void {
  mkdirSync(dirname(finalPath), { recursive: true });
  const tmp = tempPathFor(finalPath);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, finalPath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** JSON with a trailing newline, written atomically. */
export function atomicWriteJson(finalPath: string, value: unknown): void {
  atomicWriteFile(finalPath, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Builds a directory's contents under a temporary sibling and renames it into place, so a
 * half-built directory is never visible under `finalDir`. An existing `finalDir` is replaced.
 */
export async function atomicWriteDir(finalDir: string, build: (tmpDir: string) => Promise<void> | void): Promise<void> {
  mkdirSync(dirname(finalDir), { recursive: true });
  const tmp = tempPathFor(finalDir);
  mkdirSync(tmp, { recursive: true });
  try {
    await build(tmp);
    const old = `${tmp}.old`;
    let hadOld = false;
    try {
      renameSync(finalDir, old);
      hadOld = true;
    } catch {
      // no previous directory
    }
    renameSync(tmp, finalDir);
    if (hadOld) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
