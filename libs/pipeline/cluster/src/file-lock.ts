/**
 * Exclusive lock files: created with O_EXCL (atomic on local filesystems and on NFSv3+), holding
 * the owner's host, pid and a label. A lock whose owner process is gone (same host, pid not
 * alive: a `kill -9`, a node reboot) is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export interface LockOwner {
  host: string;
  pid: number;
  /** What holds it, e.g. "fold 2" or "slurm submission". */
  label: string;
  since: string;
}

export interface AcquireLockOptions {
  label: string;
  /** Wait for the lock (polling) instead of failing at once. */
  wait?: boolean;
  pollMs?: number;
  /** Called once when the lock is held by someone else and we wait. */
  onWait?: (holder: LockOwner) => void;
  /** For tests: whether a pid on this host is alive. */
  isAlive?: (pid: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

/** A held lock; release() is idempotent and only removes the file while it is still ours. */
export interface HeldLock {
  path: string;
  release(): void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock at `path`. Without `wait`, returns undefined when another live process holds it
 * (read its owner with readLockOwner for the message).
 */
export async function acquireLock(path: string, opts: AcquireLockOptions): Promise<HeldLock | undefined> {
  const isAlive = opts.isAlive ?? pidAlive;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const me: LockOwner = { host: hostname(), pid: process.pid, label: opts.label, since: new Date().toISOString() };
  mkdirSync(dirname(path), { recursive: true });
  let waited = false;
  for (;;) {
    if (tryCreate(path, me)) break;
    const holder = readLockOwner(path);
    // Unreadable (being written this instant) counts as held; a dead owner on this host is stale.
    if (holder && holder.host === me.host && !isAlive(holder.pid)) {
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first
      }
      continue;
    }
    if (!opts.wait) return undefined;
    if (!waited && holder) opts.onWait?.(holder);
    waited = true;
    await sleep(opts.pollMs ?? 1000);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    const owner = readLockOwner(path);
    if (owner && owner.pid === me.pid && owner.host === me.host && owner.since === me.since) unlinkSync(path);
  };
  process.on('exit', release);
  return { path, release };
}
