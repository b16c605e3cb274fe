/**
 * An error caused by the user's input (a file, a row, a field, a flag), as opposed to a bug.
 * CLIs print only its message, without a stack trace, and exit non-zero.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Runs a CLI main function: user errors print a one-line message and exit 1; bugs print the stack and exit 2. */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(2);
    },
  );
}
