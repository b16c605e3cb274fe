import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors';

/**
 * Checks, before any work starts, that `dir` can become an output folder: it is a directory or
 * does not exist yet, and its nearest existing ancestor is a writable directory. `what` names the
 * flag or setting in the message (`--out`).
 */
export function checkOutputDir(dir: string, what: string): void {
  let probe = dir;
  for (;;) {
    let st;
    try {
      st = statSync(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UserError(`${what} ${dir}: cannot use ${probe} (${code ?? (err as Error).message})`);
      const parent = dirname(probe);
      if (parent === probe) throw new UserError(`${what} ${dir}: no existing parent folder`);
      probe = parent;
      continue;
    }
    if (!st.isDirectory()) {
      throw new UserError(probe === dir ? `${what} ${dir} is an existing file, not a folder` : `${what} ${dir}: ${probe} is a file, not a folder`);
    }
    try {
      accessSync(probe, constants.W_OK);
    } catch {
      throw new UserError(`${what} ${dir}: ${probe} is not writable`);
    }
    return;
  }
}
