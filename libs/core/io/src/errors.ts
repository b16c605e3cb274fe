import { basename, dirname } from 'node:path';
import { adoptLegacyEnv } from './legacy-env';
import { UserError } from './user-error';

export { UserError } from './user-error';

/**
 * File-system failures that come from the machine, not from a bug: what the user fixes (space,
 * permissions, a read-only or failing disk), with the advice the message gives.
 */
const FS_CAUSES: Record<string, { cause: string; fix: string }> = {
  ENOSPC: { cause: 'no space left on device', fix: 'free some space there or choose another folder' },
  EDQUOT: { cause: 'disk quota exceeded', fix: 'free some space there or choose another folder' },
  EROFS: { cause: 'read-only file system', fix: 'choose a writable folder' },
  EACCES: { cause: 'permission denied', fix: 'check its permissions or choose another folder' },
  EPERM: { cause: 'operation not permitted', fix: 'check its permissions or choose another folder' },
  EIO: { cause: 'input/output error', fix: 'check the disk' },
  EMFILE: { cause: 'too many open files', fix: 'raise the limit (ulimit -n)' },
  ENFILE: { cause: 'too many open files in the system', fix: 'raise the limit or close other programs' },
};

/**
 * The one place where file-system errors become user errors: a Node error with one of the codes
 * above and a path (`ENOSPC: no space left on device, copyfile 'a' -> 'b'`) becomes the line
 * `<folder>: no space left on device (copyfile b); free some space there or choose another folder`,
 * naming the folder written to (the destination of a copy or rename). Anything else is returned
 * as it is.
 */
export function fromFileSystemError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof UserError) return err;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const known = e.code === undefined ? undefined : FS_CAUSES[e.code];
  const target = e.dest ?? e.path;
  if (!known || target === undefined) return err;
  const folder = e.dest !== undefined || e.syscall !== 'mkdir' ? dirname(target) : target;
  const what = e.syscall ? ` (${e.syscall} ${basename(target)})` : '';
  return new UserError(`${folder}: ${known.cause}${what}; ${known.fix}`);
}

/** The exit status {@link runCli} gives an error: its own for a user error, 2 for a bug. */
export function exitCodeFor(err: unknown): number {
  const e = fromFileSystemError(err);
  return e instanceof UserError ? e.exitCode : 2;
}

/** The one line a CLI prints for an error (a user error's message; a bug's first line). */
export function errorLine(err: unknown): string {
  const e = fromFileSystemError(err);
  if (e instanceof Error) return e instanceof UserError ? e.message : `${e.name}: ${e.message}`.split('\n')[0];
  return String(e);
}

/**
 * Runs a CLI main function: user errors print a one-line `error: …` and exit 1 (or their
 * `exitCode`); bugs print the stack and exit 2. `onError` runs first (to record the failure).
 * Variables of the workspace's former name (`TGS_…`) are adopted first (see adoptLegacyEnv).
 */
export function runCli(main: () => Promise<void>, onError?: (err: unknown, exitCode: number) => void): void {
  adoptLegacyEnv();
  main().then(
    () => process.exit(0),
    (raw: unknown) => {
      const err = fromFileSystemError(raw);
      const code = exitCodeFor(err);
      try {
        onError?.(err, code);
      } catch {
        // reporting must not hide the error itself
      }
      if (err instanceof UserError) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(code);
      }
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(2);
    },
  );
}
