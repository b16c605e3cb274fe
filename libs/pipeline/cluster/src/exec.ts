import { spawnSync } from 'node:child_process';

/** The outcome of running an external command (nvidia-smi, sbatch, squeue, ...). */
export interface ExecResult {
  /** Exit code; null when the command could not be started or was killed. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started (for example ENOENT: not installed). */
  error?: NodeJS.ErrnoException;
}

/** Runs a command; injected in tests so no GPU or cluster is needed. */
export type Exec = (command: string, args: string[]) => ExecResult;

export const defaultExec: Exec = (command, args) => {
  const res = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, stdout: res.stdout ?? '', stderr: res.stderr ?? '', error: res.error as NodeJS.ErrnoException | undefined };
};

/** A one-line description of why a command failed, for error messages. */
export function execFailure(command: string, res: ExecResult): string {
  if (res.error) return res.error.code === 'ENOENT' ? `${command} not found` : `${command}: ${res.error.message}`;
  const detail = (res.stderr || res.stdout).trim().split('\n')[0];
  return `${command} exited with ${res.status}${detail ? `: ${detail}` : ''}`;
}
