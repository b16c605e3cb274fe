import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** This machine's name as it appears in temporary names (a pid means something only on its host). */
export const TEMP_HOST = hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'localhost';

/**
 * A temporary sibling path, unique per host, process and call, so concurrent writers never
 * collide, also on a work directory shared by several machines: `<final>.tmp-<host>@<pid>-<hex>`.
 */
export function tempPathFor(finalPath: string): string {
  return `${finalPath}.tmp-${TEMP_HOST}@${process.pid}-${randomBytes(4).toString('hex')}`;
}

const TEMP_NAME = /^(.+)\.tmp-(?:([A-Za-z0-9_-]+)@)?(\d+)-[0-9a-f]{8}(\.old)?$/;

/**
 * Recognises a name made by {@link tempPathFor}: the final name it stands for, the writer's host
 * (undefined in names without one: this host) and pid, and whether it is the previous version of a
 * directory moved aside by {@link atomicWriteDir}.
 */
export function parseTempName(name: string): { finalName: string; host?: string; pid: number; old: boolean } | undefined {
  const m = TEMP_NAME.exec(name);
  return m ? { finalName: m[1], host: m[2], pid: Number(m[3]), old: m[4] !== undefined } : undefined;
}

/**
 * Fault injection for tests of atomicity: with `TGS_FAULT_KILL_AFTER_BYTES=<n>` (optionally
 * `<n>:<substring>`, counting only files whose path contains it), the process kills itself with
 * SIGKILL once `n` bytes have gone through the atomic writers, in the middle of a write.
 */
const fault = (() => {
  const spec = process.env.TGS_FAULT_KILL_AFTER_BYTES;
  if (!spec) return undefined;
  const [n, ...rest] = spec.split(':');
  return { budget: Number(n), filter: rest.join(':') };
})();

/** Writes `bytes[off..]` to `fd`, honouring the fault-injection budget. */
export function writeAllSync(fd: number, bytes: Uint8Array, path: string): void {
  let off = 0;
  if (fault && (fault.filter === '' || path.includes(fault.filter))) {
    if (bytes.length >= fault.budget) {
      while (off < fault.budget) off += writeSync(fd, bytes, off, fault.budget - off);
      process.kill(process.pid, 'SIGKILL');
    }
    fault.budget -= bytes.length;
  }
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
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
      writeAllSync(fd, bytes, finalPath);
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

/**
 * Builds a directory's contents under a temporary sibling and renames it into place, so a
 * half-built directory is never visible under `finalDir`. An existing `finalDir` is replaced: it
 * is first moved aside to `<tmp>.old`, so a process killed between the two renames leaves the old
 * complete directory there, which the next run's stale-temp cleanup moves back.
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
