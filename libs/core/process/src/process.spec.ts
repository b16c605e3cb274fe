import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '@segkit/io';
import { acquireLock, isNpmCommand, isRunning, launcherChain, processStartTime, readLock, readSteps, registerStep, removeStaleTemps, stepFailureReport, stopProcesses, WATCHDOG_PRELOAD } from './index';

const WORKSPACE = resolve(__dirname, '../../../..');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-process-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Runs a TypeScript snippet (which may import this lib as ./index) in a child node process with tsx. */
function tsChild(code: string, env: NodeJS.ProcessEnv = {}, detached = false): ChildProcess {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, code.replaceAll('$LIB', JSON.stringify(join(__dirname, 'index.ts'))));
  return spawn(process.execPath, ['--import', 'tsx', file], { cwd: WORKSPACE, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached });
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exited = (c: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => c.on('exit', (code, signal) => r({ code, signal })));

describe('isRunning', () => {
  it('tells a live process, a dead pid and a reused pid apart', () => {
    expect(isRunning(process.pid)).toBe(true);
    expect(isRunning(process.pid, processStartTime(process.pid))).toBe(true);
    expect(isRunning(deadPid())).toBe(false);
    // The same pid with another start time is another process.
    expect(isRunning(process.pid, '1')).toBe(processStartTime(process.pid) === undefined);
  });
});

describe('acquireLock', () => {
  const opts = { what: 'work directory w', command: 'npm run pipeline -- --config smoke' };

  it('writes the holder, refuses a second taker naming it, and is free again after release', async () => {
    const path = join(dir, 'run', 'lock.json');
    const lock = await acquireLock(path, opts);
    expect(readLock(path)).toMatchObject({ pid: process.pid, command: opts.command });
    let err: unknown;
    try {
      // The holder is this (live) process, so a second acquire must refuse.
      await acquireLock(path, { ...opts, command: 'second' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `work directory w is in use by another run (pid ${process.pid}, started ${lock.holder.startedAt}, command: ${opts.command}); ` +
        `wait for it to finish, stop it (kill ${process.pid}), or pass --wait to queue behind it`,
    );
    lock.release();
    expect(existsSync(path)).toBe(false);
    (await acquireLock(path, opts)).release();
  });

  it('takes over the stale lock of a killed run and says whose', async () => {
    const path = join(dir, 'lock.json');
    const stale = { pid: deadPid(), startTime: '1', host: require('node:os').hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'killed run' };
    writeFileSync(path, JSON.stringify(stale));
    const seen: unknown[] = [];
    const lock = await acquireLock(path, { ...opts, onTakeover: (h) => seen.push(h) });
    expect(seen).toEqual([stale]);
    expect(lock.tookOverFrom).toEqual(stale);
    expect(readLock(path)?.pid).toBe(process.pid);
    lock.release();
  });

  it('exactly one of several processes racing for the same stale lock wins', async () => {
    const path = join(dir, 'lock.json');
    writeFileSync(path, JSON.stringify({ pid: deadPid(), host: require('node:os').hostname(), startedAt: 'x', command: 'killed run' }));
    const racers = Array.from({ length: 3 }, () =>
      tsChild(`
        import { acquireLock } from $LIB;
        acquireLock(${JSON.stringify(path)}, { what: 'w', command: 'racer' }).then(
          () => { process.stdout.write('won'); setTimeout(() => process.exit(0), 3000); },
          (e) => { process.stdout.write('lost: ' + e.message); process.exit(0); },
        );`),
    );
    const outputs = await Promise.all(
      racers.map((c) => new Promise<string>((r) => {
        let out = '';
        c.stdout?.on('data', (d) => (out += d));
        c.on('exit', () => r(out));
      })),
    );
    expect(outputs.filter((o) => o === 'won')).toHaveLength(1);
    expect(outputs.filter((o) => o.startsWith('lost: w is in use by another run'))).toHaveLength(2);
  }, 60_000);

  it('with wait, queues behind a live holder and says who it waits for', async () => {
    const path = join(dir, 'lock.json');
    const first = await acquireLock(path, opts);
    const waited: number[] = [];
    const second = acquireLock(path, { ...opts, wait: true, pollMs: 20, onWait: (h) => waited.push(h.pid) });
    await new Promise((r) => setTimeout(r, 100));
    expect(waited).toEqual([process.pid]);
    first.release();
    const lock = await second;
    expect(readLock(path)?.startedAt).toBe(lock.holder.startedAt);
    lock.release();
  });
});

describe('step registry', () => {
  it('running, failed with status and message, and vanished (killed) steps', async () => {
    const steps = join(dir, 'steps');
    const ok = tsChild(`import { registerStep } from $LIB; registerStep(${JSON.stringify(steps)}, 'ensemble');`);
    const failing = tsChild(`import { registerStep } from $LIB; registerStep(${JSON.stringify(steps)}, 'tune').fail(1, 'tune.json: broken'); process.exit(1);`);
    const killed = tsChild(`import { registerStep } from $LIB; registerStep(${JSON.stringify(steps)}, 'train-fold-0'); setInterval(() => undefined, 1000);`);
    const mine = registerStep(steps, 'report');
    await Promise.all([exited(ok), exited(failing)]);
    await until(() => readSteps(steps).running.some((s) => s.step === 'train-fold-0'), 'the long step to register');
    killed.kill('SIGKILL');
    await exited(killed);
    const states = readSteps(steps);
    expect(states.running.map((s) => s.step)).toEqual(['report']);
    expect(states.running[0].pid).toBe(mine.record.pid);
    expect(states.failed.map((s) => [s.step, s.exitCode, s.error])).toEqual([['tune', 1, 'tune.json: broken']]);
    expect(states.vanished.map((s) => s.step)).toEqual(['train-fold-0']);
  }, 60_000);
});

describe('step registry files', () => {
  it('skips torn and foreign step files instead of judging a pid it cannot read', () => {
    const steps = join(dir, 'steps-foreign');
    mkdirSync(steps, { recursive: true });
    writeFileSync(join(steps, '123.json'), '{"pid": 123, "step": "tu');
    writeFileSync(join(steps, '124.json'), JSON.stringify({ pid: '124', step: 'tune', startedAt: 'x' }));
    writeFileSync(join(steps, '125.json'), JSON.stringify({ pid: 125, step: 'tune', startedAt: 'x', exitCode: 1, error: 'tune.json: broken' }));
    const states = readSteps(steps);
    expect(states.running).toEqual([]);
    expect(states.vanished).toEqual([]);
    expect(states.failed.map((s) => s.pid)).toEqual([125]);
  });
});

describe('run watchdog', () => {
  it('a step notices its run was killed with kill -9 and stops, even while its main thread is busy', async () => {
    const run = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
    const runStart = processStartTime(run.pid as number);
    const step = tsChild(
      `import { runFromEnv, startRunWatchdog } from $LIB;
       startRunWatchdog(runFromEnv()!, 'train-fold-0', 50);
       process.stdout.write('busy\\n');
       for (;;) { /* a synchronous epoch */ }`,
      { SEGKIT_RUN_PID: String(run.pid), SEGKIT_RUN_START: runStart ?? '' },
      true, // a session of its own, like Nx tasks: no signal to the run's group reaches it
    );
    let stderr = '';
    step.stderr?.on('data', (d) => (stderr += d));
    await new Promise<void>((r) => step.stdout?.once('data', () => r()));
    run.kill('SIGKILL');
    const end = await exited(step);
    expect(end.signal).toBe('SIGTERM');
    expect(stderr).toContain(`train-fold-0: the pipeline run that started this process (pid ${run.pid}) is gone; stopping`);
  }, 60_000);

  it('also when the whole process group died: stderr leads nowhere, the main thread is busy', async () => {
    const run = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
    const step = spawn(process.execPath, ['--require', WATCHDOG_PRELOAD, '-e', "process.stdout.write('busy\\n'); for (;;) { /* a synchronous epoch */ }"], {
      env: { ...process.env, SEGKIT_RUN_PID: String(run.pid), SEGKIT_RUN_START: processStartTime(run.pid as number) ?? '', SEGKIT_WATCHDOG_LABEL: 'train-fold-0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    await new Promise<void>((r) => step.stdout?.once('data', () => r()));
    // Nx, which reads the step's output, is killed with the run: nothing reads stderr any more.
    step.stdout?.destroy();
    step.stderr?.destroy();
    const end = exited(step);
    run.kill('SIGKILL');
    const outcome = await Promise.race([end, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 8000))]);
    if (outcome === 'still running') process.kill(step.pid as number, 'SIGKILL');
    expect(outcome).toEqual({ code: null, signal: 'SIGTERM' });
  }, 60_000);

  it('a step started after its run is gone stops at once', async () => {
    const step = tsChild(`import { runFromEnv, startRunWatchdog } from $LIB; startRunWatchdog(runFromEnv()!, 'tune'); process.stdout.write('started work');`, {
      SEGKIT_RUN_PID: String(deadPid()),
    });
    let out = '';
    step.stdout?.on('data', (d) => (out += d));
    expect((await exited(step)).code).toBe(143);
    expect(out).toBe('');
  }, 30_000);
});

describe('launcher watchdog', () => {
  it('recognises npm and npx by title or script', () => {
    expect(isNpmCommand(['npm run pipeline'])).toBe(true);
    expect(isNpmCommand(['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'run', 'pipeline'])).toBe(true);
    expect(isNpmCommand(['/usr/bin/npx', 'tsx', 'run.ts'])).toBe(true);
    expect(isNpmCommand(['sh', '-c', 'tsx apps/pipeline/src/run.ts'])).toBe(false);
    expect(isNpmCommand(['node', '/work/npm-tools/x.js'])).toBe(false);
  });

  it('watches the chain up to npm, or only the parent without one', () => {
    const table: Record<number, { ppid: number; argv: string[] }> = {
      50: { ppid: 40, argv: ['node', 'run.ts'] },
      40: { ppid: 30, argv: ['node', 'tsx', 'run.ts'] },
      30: { ppid: 20, argv: ['sh', '-c', 'tsx run.ts'] },
      20: { ppid: 10, argv: ['npm run pipeline'] },
      10: { ppid: 1, argv: ['bash'] },
      9: { ppid: 8, argv: ['node', 'run.ts'] },
      8: { ppid: 1, argv: ['bash'] },
    };
    expect(launcherChain(50, (pid) => table[pid]).map((p) => p.pid)).toEqual([40, 30, 20]);
    expect(launcherChain(9, (pid) => table[pid]).map((p) => p.pid)).toEqual([8]);
  });

  it('kill -9 of npm alone stops the run it launched, through its SIGTERM handler', async () => {
    // A stand-in npm (named like npm's script) runs sh, which runs the "run".
    const marker = join(dir, 'stopped');
    writeFileSync(
      join(dir, 'run.ts'),
      `import { writeFileSync } from 'node:fs';
       import { startLauncherWatchdog } from ${JSON.stringify(join(__dirname, 'index.ts'))};
       process.on('SIGTERM', () => { writeFileSync(${JSON.stringify(marker)}, 'orderly'); process.exit(143); });
       const chain = startLauncherWatchdog('pipeline', { intervalMs: 50 });
       process.stdout.write('watching ' + chain.length + '\\n');
       setInterval(() => undefined, 1000);`,
    );
    const npmCli = join(dir, 'npm-cli.js');
    writeFileSync(npmCli, `require('node:child_process').spawn('sh', ['-c', ${JSON.stringify(`"${process.execPath}" --import tsx "${join(dir, 'run.ts')}"`)}], { stdio: 'inherit' }); setInterval(() => undefined, 1000);`);
    const npm = spawn(process.execPath, [npmCli], { cwd: WORKSPACE, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout?.on('data', (d) => (out += d));
    npm.stderr?.on('data', (d) => (out += d));
    await until(() => out.includes('watching'), 'the run to start');
    expect(out).toContain('watching 2'); // sh and npm
    npm.kill('SIGKILL');
    await until(() => existsSync(marker), 'the run to stop', 10_000);
    expect(readFileSync(marker, 'utf8')).toBe('orderly');
    expect(out).toMatch(/pipeline: the process that launched this run \(.*npm-cli\.js.*\) \(pid \d+\) is gone; stopping/);
  }, 60_000);
});

describe('runSupervised', () => {
  it('on SIGTERM stops the child and the steps it started in other sessions, and says so', async () => {
    const steps = join(dir, 'steps');
    const script = join(dir, 'supervisor.ts');
    // A supervisor runs a "nx" that starts a detached step registering itself, then waits.
    writeFileSync(
      script,
      `import { runSupervised } from ${JSON.stringify(join(__dirname, 'index.ts'))};
       const nx = \`const { spawn } = require('node:child_process');
         spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(join(dir, 'step.ts'))}], { detached: true, stdio: 'ignore' }).unref();
         setInterval(() => undefined, 1000);\`;
       runSupervised(process.execPath, ['-e', nx], { stepsDir: ${JSON.stringify(steps)}, log: (m) => console.log(m), graceMs: 2000 }).then((r) => {
         console.log('result ' + JSON.stringify({ kind: r.kind, signal: (r as { signal?: string }).signal, stopped: ((r as { stopped?: { step: string }[] }).stopped ?? []).map((s) => s.step) }));
       });`,
    );
    writeFileSync(join(dir, 'step.ts'), `import { registerStep } from ${JSON.stringify(join(__dirname, 'index.ts'))}; registerStep(${JSON.stringify(steps)}, 'train-fold-1'); setInterval(() => undefined, 1000);`);
    const sup = spawn(process.execPath, ['--import', 'tsx', script], { cwd: WORKSPACE, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sup.stdout?.on('data', (d) => (out += d));
    await until(() => readSteps(steps).running.length === 1, 'the step to start');
    const [stepPid] = readSteps(steps).running.map((s) => s.pid);
    sup.kill('SIGTERM');
    await exited(sup);
    expect(out).toMatch(/interrupted by SIGTERM: stopping nx \(pid \d+\) and 1 running step\(s\): train-fold-1 \(pid \d+\)/);
    expect(out).toContain('result {"kind":"interrupted","signal":"SIGTERM","stopped":["train-fold-1"]}');
    expect(isRunning(stepPid)).toBe(false);
  }, 60_000);
});

describe('stopProcesses', () => {
  it('SIGKILLs a process that ignores SIGTERM after the grace period', async () => {
    const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => undefined); process.stdout.write('ready'); setInterval(() => undefined, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((r) => stubborn.stdout?.once('data', () => r()));
    const end = exited(stubborn);
    await stopProcesses([{ pid: stubborn.pid as number }], 200);
    expect((await end).signal).toBe('SIGKILL');
  });
});

describe('removeStaleTemps', () => {
  it("removes dead writers' temp files, keeps live writers' and restores a folder cut off between its renames", () => {
    const dead = deadPid();
    const live = process.pid;
    const pred = join(dir, 'fold-0', 'predict');
    mkdirSync(pred, { recursive: true });
    writeFileSync(join(pred, 'oof-stage2.f32'), 'complete');
    writeFileSync(join(pred, `oof-stage2.f32.tmp-${dead}-0a1b2c3d`), 'partial');
    writeFileSync(join(pred, `test.f32.tmp-${live}-0a1b2c3d`), 'being written');
    // A dead pid of another node sharing the work directory: not ours to judge.
    writeFileSync(join(pred, `test.f32.tmp-othernode@${dead}-0a1b2c3d`), 'written on another node');
    // atomicWriteDir killed after moving best/ aside and before renaming the new one in.
    const stage = join(dir, 'fold-0', 'stage1');
    mkdirSync(join(stage, `best.tmp-${dead}-deadbeef.old`), { recursive: true });
    writeFileSync(join(stage, `best.tmp-${dead}-deadbeef.old`, 'model.json'), 'old model');
    mkdirSync(join(stage, `best.tmp-${dead}-deadbeef`));
    writeFileSync(join(stage, `best.tmp-${dead}-deadbeef`, 'model.json'), 'new model');
    const r = removeStaleTemps(dir);
    expect(readdirSync(pred).sort()).toEqual(['oof-stage2.f32', `test.f32.tmp-${live}-0a1b2c3d`, `test.f32.tmp-othernode@${dead}-0a1b2c3d`].sort());
    expect(readdirSync(stage)).toEqual(['best']);
    expect(readFileSync(join(stage, 'best', 'model.json'), 'utf8')).toBe('old model');
    expect(r.restored).toEqual([join(stage, 'best')]);
    expect(r.removed.sort()).toEqual([join(pred, `oof-stage2.f32.tmp-${dead}-0a1b2c3d`), join(stage, `best.tmp-${dead}-deadbeef`)].sort());
  });
});

describe('stepFailureReport', () => {
  const rec = (step: string, extra: object = {}) => ({ pid: 7, step, startedAt: 't', ...extra });

  it('names each failed step with its exit status and its own error, the last one last', () => {
    const r = stepFailureReport(
      { running: [], vanished: [rec('predict-fold-1')], failed: [rec('train-fold-0', { exitCode: 1, error: 'fold 0 stage 1 epoch 2/5 step 3/9: training diverged' })] },
      1,
    );
    expect(r).toEqual({
      earlier: ['step predict-fold-1 (pid 7) ended without reporting an error (killed by a signal or out of memory?)'],
      last: 'step train-fold-0 failed (exit status 1): fold 0 stage 1 epoch 2/5 step 3/9: training diverged',
      exitCode: 1,
    });
  });

  it('a bug in a step gives exit status 2; no step record at all blames the task runner', () => {
    expect(stepFailureReport({ running: [], vanished: [], failed: [rec('tune', { exitCode: 2, error: 'TypeError: x is undefined' })] }, 1)).toMatchObject({
      last: 'step tune failed (exit status 2): TypeError: x is undefined (a bug: its stack trace is above)',
      exitCode: 2,
    });
    expect(stepFailureReport({ running: [], vanished: [], failed: [] }, 130).last).toBe("the task runner failed (exit status 130) outside the pipeline's steps; see its output above");
  });
});

