import { readFileSync } from 'node:fs';
import { pidAlive } from '@segkit/io';

/**
 * A process's start time as the kernel records it (field 22 of `/proc/<pid>/stat`, clock ticks
 * since boot), so a pid recorded in a file can be told apart from a later process that reuses the
 * number. Undefined when the process does not exist or the system has no `/proc`.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/**
 * True when `pid` is a live process and, if `startTime` is given and the system can tell, the same
 * process that recorded it. A zombie (exited, not yet reaped) counts as gone.
 */
export function isRunning(pid: number, startTime?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/** Sends `signal` to `pid`, ignoring a process that is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stops processes: SIGTERM, then SIGKILL for any still running after `graceMs`. Resolves when all
 * are gone. Each entry carries its recorded start time so a reused pid is never signalled.
 */
export async function stopProcesses(procs: { pid: number; startTime?: string }[], graceMs = 5000): Promise<void> {
  const alive = () => procs.filter((p) => isRunning(p.pid, p.startTime));
  for (const p of alive()) signalProcess(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const p of alive()) signalProcess(p.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (alive().length > 0 && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 20));
}
