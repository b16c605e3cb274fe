import { spawn, SpawnOptions } from 'node:child_process';
import { constants } from 'node:os';
import { readSteps, StepRecord } from './children';
import { processStartTime, signalProcess, stopProcesses } from './proc';

export type SupervisedExit =
  | { kind: 'exited'; status: number }
  | { kind: 'signalled'; signal: NodeJS.Signals }
  | { kind: 'interrupted'; signal: NodeJS.Signals; stopped: StepRecord[] };

export interface SuperviseOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** The run's steps folder (see registerStep). */
  stepsDir: string;
  log: (msg: string) => void;
  /** How long stopped processes get to exit after SIGTERM before SIGKILL. */
  graceMs?: number;
}

/** The exit status a shell reports for a process ended by `signal` (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 15);
}

/**
 * Runs `command` (Nx) with inherited stdio and, on SIGINT, SIGTERM or SIGHUP, stops it and every
 * step registered in `stepsDir` (they run in sessions of their own, out of reach of the terminal's
 * Ctrl-C), saying so, before resolving. A second signal more than a second after the first kills
 * everything at once.
 */
export function runSupervised(command: string, args: string[], opts: SuperviseOptions): Promise<SupervisedExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: 'inherit' });
    const childStart = child.pid === undefined ? undefined : processStartTime(child.pid);
    let interrupted: { signal: NodeJS.Signals; at: number; stopped: StepRecord[]; done: Promise<void> } | undefined;
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) {
        // A terminal's Ctrl-C reaches this process and its wrapper (which relays it) together: only a later one insists.
        if (Date.now() - interrupted.at < 1000) return;
        opts.log(`${signal} again: killing everything now`);
        for (const s of readSteps(opts.stepsDir).running) signalProcess(s.pid, 'SIGKILL');
        if (child.pid !== undefined) signalProcess(child.pid, 'SIGKILL');
        return;
      }
      const steps = readSteps(opts.stepsDir).running;
      const names = steps.map((s) => `${s.step} (pid ${s.pid})`);
      opts.log(`interrupted by ${signal}: stopping nx (pid ${child.pid})${names.length ? ` and ${names.length} running step(s): ${names.join(', ')}` : ''}`);
      const procs = [...steps, ...(child.pid === undefined ? [] : [{ pid: child.pid, startTime: childStart }])];
      interrupted = { signal, at: Date.now(), stopped: steps, done: stopProcesses(procs, opts.graceMs ?? 5000) };
    };
    for (const s of signals) process.on(s, onSignal);
    const cleanup = () => {
      for (const s of signals) process.removeListener(s, onSignal);
    };
    child.on('error', (err) => {
      cleanup();
      reject(err);
    });
    child.on('exit', (status, signal) => {
      const finish = async () => {
        if (interrupted) {
          // Steps Nx had started may still be running: stop them too before reporting.
          await interrupted.done;
          const late = readSteps(opts.stepsDir).running;
          await stopProcesses(late, opts.graceMs ?? 5000);
          cleanup();
          resolve({ kind: 'interrupted', signal: interrupted.signal, stopped: [...interrupted.stopped, ...late] });
          return;
        }
        cleanup();
        resolve(signal ? { kind: 'signalled', signal } : { kind: 'exited', status: status ?? 1 });
      };
      finish().catch(reject);
    });
  });
}
