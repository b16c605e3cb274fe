/**
 * An error caused by the user's input (a file, a row, a field, a flag), as opposed to a bug.
 * CLIs print only its message, without a stack trace, and exit with `exitCode` (1 unless set:
 * a wrapper reporting a child's failure passes the child's status on).
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The exit status {@link runCli} gives an error: its own for a user error, 2 for a bug. */
export function exitCodeFor(err: unknown): number {
  return err instanceof UserError ? err.exitCode : 2;
}

/** The one line a CLI prints for an error (a user error's message; a bug's first line). */
export function errorLine(err: unknown): string {
  if (err instanceof Error) return err instanceof UserError ? err.message : `${err.name}: ${err.message}`.split('\n')[0];
  return String(err);
}

/**
 * Runs a CLI main function: user errors print a one-line `error: …` and exit 1 (or their
 * `exitCode`); bugs print the stack and exit 2. `onError` runs first (to record the failure).
 */
export function runCli(main: () => Promise<void>, onError?: (err: unknown, exitCode: number) => void): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
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
