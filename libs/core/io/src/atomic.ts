import { randomBytes } from 'node:crypto';
import { close, closeSync, copyFileSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

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
 * True unless `pid` is certainly gone: no such process, or a zombie (exited, not yet reaped, per
 * the state field of `/proc/<pid>/stat`); a process of another user counts as alive (EPERM), and
 * without `/proc` the signal test is all there is. A writer's temporary file is stale only when
 * this is false; @segkit/process's `isRunning` builds on it.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** What {@link removeStaleTempsIn} removed and restored. */
export interface TempCleanup {
  /** Temporary files and folders of writers that are gone, removed. */
  removed: string[];
  /** Previous versions of folders whose replacement was cut off between its two renames, moved back. */
  restored: string[];
}

/**
 * Removes what killed writers of this host left in the folder `dir`: `*.tmp-<host>@<pid>-<hex>`
 * files and folders whose pid no longer runs (a live writer's, and other hosts', are left alone,
 * so this is safe while other processes, here or on other nodes, write). A folder's previous
 * version `<tmp>.old` is moved back when the folder itself is missing, so readers always find the
 * old or the new complete version. With `finalName`, only the temporaries of that one target.
 * Every atomic writer calls this for its own target first, so no output folder — a work
 * directory, `--out`, infer's output — keeps a killed writer's leftovers past the next write.
 */
export function removeStaleTempsIn(dir: string, finalName?: string): TempCleanup & { subdirs: string[] } {
  const out = { removed: [] as string[], restored: [] as string[], subdirs: [] as string[] };
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  // Restores first, so a folder moved aside is back before its sibling temp folder is removed.
  const temps = entries.map((e) => ({ e, t: parseTempName(e.name) })).sort((a, b) => Number(b.t?.old ?? false) - Number(a.t?.old ?? false));
  for (const { e, t } of temps) {
    const path = join(dir, e.name);
    if (!t) {
      if (e.isDirectory()) out.subdirs.push(path);
      continue;
    }
    if (finalName !== undefined && t.finalName !== finalName) continue;
    // Another machine's writer (a work directory shared by cluster nodes): its pid says nothing
    // here, so its temp files are left for that machine's own runs to clean.
    if (t.host !== undefined && t.host !== TEMP_HOST) continue;
    if (pidAlive(t.pid)) continue;
    const finalPath = join(dir, t.finalName);
    if (t.old && !existsSync(finalPath)) {
      renameSync(path, finalPath);
      out.restored.push(finalPath);
    } else {
      rmSync(path, { recursive: true, force: true });
      out.removed.push(path);
    }
  }
  return out;
}

/**
 * Makes a file-system error of a write through `tmp` name `finalPath` instead: a failed write or
 * fsync carries no path at all, a failed copy or rename the temporary name; the user knows the
 * final one (see fromFileSystemError, which turns the error into one line naming its folder).
 */
export function blameFinalPath(err: unknown, tmp: string, finalPath: string): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (typeof e.code !== 'string') return err;
  const rename = (p: string) => (p === tmp ? finalPath : p.startsWith(`${tmp}/`) ? finalPath + p.slice(tmp.length) : p);
  if (e.dest !== undefined) e.dest = rename(e.dest);
  else e.path = e.path === undefined ? finalPath : rename(e.path);
  return err;
}

/** A new temporary path for `finalPath`, after removing the stale ones killed writers left for it. */
export function freshTempPathFor(finalPath: string): string {
  removeStaleTempsIn(dirname(finalPath), basename(finalPath));
  return tempPathFor(finalPath);
}

/**
 * Fault injection for tests of atomicity: with `SEGKIT_FAULT_KILL_AFTER_BYTES=<n>` (optionally
 * `<n>:<substring>`, counting only files whose path contains it), the process kills itself with
 * SIGKILL once `n` bytes have gone through the atomic writers, in the middle of a write.
 */
const fault = (() => {
  const spec = process.env.SEGKIT_FAULT_KILL_AFTER_BYTES;
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
  viaTemp(finalPath, (tmp) => {
    const fd = openSync(tmp, 'w');
    try {
      writeAllSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, finalPath);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

/** Copies a file to `finalPath` atomically (temporary sibling, fsync, rename; the temporary is removed on failure). */
export function atomicCopyFile(src: string, finalPath: string): void {
  viaTemp(finalPath, (tmp) => {
    copyFileSync(src, tmp);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

/** `fill` writes a fresh temporary sibling of `finalPath`, which is then renamed into place; on failure it is removed and the error names `finalPath`. */
function viaTemp(finalPath: string, fill: (tmp: string) => void): void {
  mkdirSync(dirname(finalPath), { recursive: true });
  const tmp = freshTempPathFor(finalPath);
  try {
    fill(tmp);
    renameSync(tmp, finalPath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw blameFinalPath(err, tmp, finalPath);
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
  const tmp = freshTempPathFor(finalDir);
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
    throw blameFinalPath(err, tmp, finalDir);
  }
}

/**
 * Writes one file inside the folder an {@link atomicWriteDir} build is filling (`tmpDir/...`):
 * that folder is private to its writer until the build's rename publishes it whole, so the file
 * needs no temporary sibling of its own, and no scan of its folder for killed writers' leftovers
 * (a scan per file made writing n files O(n²): a quarter of a 1,400-image synthetic build). The
 * bytes go through the same fault-injection budget as the atomic writers; the fsync, so that the
 * published folder never holds a short file after a crash, runs on libuv's thread pool, leaving
 * the JavaScript thread to render the next file meanwhile.
 */
export async function writeBuildFile(path: string, data: string | Uint8Array): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    writeAllSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, path);
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    await new Promise<void>((resolve) => close(fd, () => resolve()));
  }
}

/**
 * A file written piece by piece and committed as atomicWriteFile's (temporary sibling, fsync,
 * rename), so a long output (a 100,000-row submission) never needs to be held in memory whole:
 * `write` appends, `commit` renames into place, `abort` (also after a failed write) removes it.
 */
export class AtomicFileWriter {
  private readonly tmp: string;
  private fd: number | undefined;

  constructor(private readonly finalPath: string) {
    mkdirSync(dirname(finalPath), { recursive: true });
    this.tmp = freshTempPathFor(finalPath);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (err) {
      throw blameFinalPath(err, this.tmp, finalPath);
    }
  }

  write(data: string | Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.finalPath}: writer already closed`);
    try {
      writeAllSync(this.fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, this.finalPath);
    } catch (err) {
      this.abort();
      throw blameFinalPath(err, this.tmp, this.finalPath);
    }
  }

  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.finalPath}: writer already closed`);
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.tmp, this.finalPath);
    } catch (err) {
      this.abort();
      throw blameFinalPath(err, this.tmp, this.finalPath);
    }
  }

  abort(): void {
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // already closed by a failed commit
    }
    rmSync(this.tmp, { force: true });
  }
}
