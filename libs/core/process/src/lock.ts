import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { UserError } from '@segkit/io';
import { isRunning, processStartTime } from './proc';

/** Who holds a lock, as written in the lock file (JSON). */
export interface LockHolder {
  pid: number;
  /** Kernel start time of `pid` (see processStartTime), so a reused pid is not taken for the holder. */
  startTime?: string;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The command line of the holder, for the message a second run shows. */
  command: string;
}

export interface Lock {
  path: string;
  holder: LockHolder;
  /** The stale holder this lock was taken over from, if any. */
  tookOverFrom?: LockHolder;
  /** Removes the lock file if it is still ours. Safe to call more than once. */
  release(): void;
}

export interface AcquireOptions {
  /** What the lock protects, for messages ("work directory runs/work"). */
  what: string;
  command: string;
  /** Wait for a live holder instead of refusing. */
  wait?: boolean;
  /** Called once per holder waited for. */
  onWait?: (holder: LockHolder) => void;
  /** Called when a stale lock of a killed holder is removed. */
  onTakeover?: (stale: LockHolder) => void;
  pollMs?: number;
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`}, started ${h.startedAt}, command: ${h.command}`;
}

/** The holder named in a lock file; undefined when there is none; null when the file is unreadable (torn or foreign). */
export function readLock(path: string): LockHolder | undefined | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.startedAt === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** True while the holder's process runs. A holder on another host cannot be checked and counts as live. */
export function holderAlive(h: LockHolder): boolean {
  return h.host !== hostname() || isRunning(h.pid, h.startTime);
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.startedAt === b.startedAt && a.host === b.host;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes an exclusive lock file: created with its whole content in one step (a hard link of a
 * fully written temporary file fails if the lock exists), so no reader sees a half-written lock.
 * A live holder makes the call refuse with a {@link UserError} naming it (pid, start time,
 * command), or wait with `wait`. A lock whose holder is gone (killed with `kill -9`, or a reused
 * pid with another start time) is stale: it is removed under a short-lived takeover guard, so two
 * runs finding the same stale lock never both take it. The lock is released on process exit.
 */
export async function acquireLock(path: string, opts: AcquireOptions): Promise<Lock> {
  mkdirSync(dirname(path), { recursive: true });
  const pollMs = opts.pollMs ?? 500;
  const holder: LockHolder = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    host: hostname(),
    startedAt: new Date().toISOString(),
    command: opts.command,
  };
  let waitedFor: LockHolder | undefined;
  let tookOverFrom: LockHolder | undefined;
  for (;;) {
    const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(holder, null, 2) + '\n');
    let created = false;
    try {
      linkSync(tmp, path);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
    if (created) return lockFor(path, holder, tookOverFrom);

    const current = readLock(path);
    if (current === undefined) continue; // released meanwhile
    if (current !== null && holderAlive(current)) {
      if (!opts.wait) {
        throw new UserError(
          `${opts.what} is in use by another run (${describeHolder(current)}); wait for it to finish, stop it (kill ${current.pid}), or pass --wait to queue behind it`,
        );
      }
      if (!waitedFor || !sameHolder(waitedFor, current)) opts.onWait?.(current);
      waitedFor = current;
      await sleep(pollMs);
      continue;
    }
    const stale = await takeOver(path, current);
    if (stale) {
      tookOverFrom = stale;
      opts.onTakeover?.(stale);
    } else {
      await sleep(20);
    }
  }
}

/** Removes a stale lock under a guard file; returns the removed holder, or undefined when another process got there first. */
async function takeOver(path: string, seen: LockHolder | null): Promise<LockHolder | undefined> {
  const guard = `${path}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A guard left by a process killed mid-takeover is removed after a while.
    try {
      if (Date.now() - statSync(guard).mtimeMs > 10_000) rmSync(guard, { force: true });
    } catch {
      // gone already
    }
    return undefined;
  }
  try {
    const now = readLock(path);
    const unchanged = seen === null ? now === null : now !== undefined && now !== null && sameHolder(now, seen);
    if (!unchanged) return undefined;
    unlinkSync(path);
    return seen ?? { pid: 0, host: hostname(), startedAt: 'unknown', command: 'unreadable lock file' };
  } finally {
    rmSync(guard, { force: true });
  }
}

function lockFor(path: string, holder: LockHolder, tookOverFrom: LockHolder | undefined): Lock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const current = readLock(path);
    if (current && sameHolder(current, holder)) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, holder, tookOverFrom, release };
}
