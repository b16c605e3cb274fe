// Kept apart from ./errors (which needs node:path) so a web page can throw and catch it too.

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
