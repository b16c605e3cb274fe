import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning, processStartTime, stopProcesses } from './proc';

/**
 * The step processes of one pipeline run, one `<pid>.json` each in the run's steps folder. Nx
 * starts every task in a session of its own, so neither a signal to the run's process group nor
 * the process tree reaches them reliably: the run reads this folder to stop them, to say which
 * step failed and how, and to find survivors of a run that was killed.
 */
export interface StepRecord {
  pid: number;
  startTime?: string;
  /** The Nx target, e.g. `train-fold-1`. */
  step: string;
  startedAt: string;
  /** Set when the step failed: its exit status and its own one-line error. */
  exitCode?: number;
  error?: string;
}

/** The record in a step file, or undefined for a torn or foreign one (the folder is this lib's own, written by rename). */
function parseRecord(text: string): StepRecord | undefined {
  let r: Partial<StepRecord>;
  try {
    r = JSON.parse(text) as Partial<StepRecord>;
  } catch {
    return undefined;
  }
  const ok =
    Number.isInteger(r.pid) &&
    typeof r.step === 'string' &&
    typeof r.startedAt === 'string' &&
    (r.exitCode === undefined || Number.isInteger(r.exitCode)) &&
    (r.startTime === undefined || typeof r.startTime === 'string') &&
    (r.error === undefined || typeof r.error === 'string');
  return ok ? (r as StepRecord) : undefined;
}

function writeRecord(dir: string, record: StepRecord): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${record.pid}.json`);
  const tmp = `${file}.new`;
  writeFileSync(tmp, JSON.stringify(record) + '\n');
  renameSync(tmp, file);
}

export interface StepRegistration {
  record: StepRecord;
  /** Marks the step failed (kept for the run to report); otherwise the record is removed on exit. */
  fail(exitCode: number, error: string): void;
}

/** Registers the calling process as `step` of the run whose steps folder is `dir`. */
export function registerStep(dir: string, step: string): StepRegistration {
  const record: StepRecord = { pid: process.pid, startTime: processStartTime(process.pid), step, startedAt: new Date().toISOString() };
  writeRecord(dir, record);
  let failed = false;
  process.on('exit', () => {
    if (!failed) rmSync(join(dir, `${record.pid}.json`), { force: true });
  });
  return {
    record,
    fail(exitCode, error) {
      failed = true;
      writeRecord(dir, { ...record, exitCode, error });
    },
  };
}

export interface StepStates {
  /** Still running. */
  running: StepRecord[];
  /** Ended with a recorded failure. */
  failed: StepRecord[];
  /** Gone without deregistering or recording a failure: killed by a signal or crashed hard. */
  vanished: StepRecord[];
}

/** Reads the steps folder (missing = no steps). */
export function readSteps(dir: string): StepStates {
  const out: StepStates = { running: [], failed: [], vanished: [] };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.filter((n) => /^\d+\.json$/.test(n)).sort()) {
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue; // removed while listing
    }
    const r = parseRecord(text);
    if (!r) continue; // not a step record: nothing to stop or report

    if (r.exitCode !== undefined) out.failed.push(r);
    else if (isRunning(r.pid, r.startTime)) out.running.push(r);
    else out.vanished.push(r);
  }
  return out;
}

/** Stops every step still running (SIGTERM, then SIGKILL after `graceMs`); returns the ones it stopped. */
export async function stopSteps(dir: string, graceMs = 5000): Promise<StepRecord[]> {
  const { running } = readSteps(dir);
  await stopProcesses(running, graceMs);
  return running;
}

/** Empties the steps folder for a new run. */
export function clearSteps(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * What to tell the user after the run's task runner exited with `status`: which steps failed and
 * with which exit status, each with its own error, ending with the one to read first. `exitCode`
 * is 2 when a step failed with a bug (a stack trace above), else 1.
 */
export function stepFailureReport(states: StepStates, status: number): { earlier: string[]; last: string; exitCode: number } {
  const lines = [
    ...states.vanished.map((s) => `step ${s.step} (pid ${s.pid}) ended without reporting an error (killed by a signal or out of memory?)`),
    ...states.failed.map((s) => `step ${s.step} failed (exit status ${s.exitCode}): ${s.error}${s.exitCode === 2 ? ' (a bug: its stack trace is above)' : ''}`),
  ];
  if (lines.length === 0) lines.push(`the task runner failed (exit status ${status}) outside the pipeline's steps; see its output above`);
  const exitCode = states.failed.some((s) => s.exitCode === 2) ? 2 : 1;
  return { earlier: lines.slice(0, -1), last: lines[lines.length - 1], exitCode };
}
