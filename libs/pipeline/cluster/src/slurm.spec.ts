import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecResult } from './exec';
import { slurmLayout } from '@segkit/run';
import {
  activeJobs,
  detachMessage,
  expandArrayIndices,
  followSlurm,
  jobScript,
  readSubmittedRun,
  jobStatuses,
  lastStepLine,
  parseJobId,
  parseSacct,
  parseScontrolJobs,
  sbatchArgs,
  SlurmRun,
  submitSlurm,
} from './slurm';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'slurm-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runIn(workDir: string): SlurmRun {
  return {
    workspaceRoot: '/ws/tgs',
    workDir,
    k: 3,
    name: 'smoke',
    settings: { config: '/ws/tgs/configs/smoke.json', work: "runs/it's here", backend: 'wasm' },
    node: '/usr/bin/node',
    stageScript: '/ws/tgs/apps/pipeline/src/stage.ts',
    outDir: '/ws/out',
  };
}

// `scontrol show job -o` lines as Slurm 22.05 prints them (fields trimmed to those read, order kept).
const line = (f: Record<string, string>) =>
  Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
const SCONTROL_ARRAY = [
  line({ JobId: '21', ArrayJobId: '20', ArrayTaskId: '2', JobName: 'tgs-smoke-fold', JobState: 'RUNNING', Reason: 'None', ExitCode: '0:0', NodeList: 'n1', BatchHost: 'n1' }),
  line({ JobId: '20', ArrayJobId: '20', ArrayTaskId: '0-1,4-5%2', JobName: 'tgs-smoke-fold', JobState: 'PENDING', Reason: 'Dependency', ExitCode: '0:0', NodeList: '(null)' }),
].join('\n');

describe('parsing Slurm', () => {
  it.each([
    ['3', [3]],
    ['0-3', [0, 1, 2, 3]],
    ['1,4-5', [1, 4, 5]],
    ['0-7%2', [0, 1, 2, 3, 4, 5, 6, 7]],
    ['0-6:3', [0, 3, 6]],
  ])('expands array indices %s', (spec, want) => {
    expect(expandArrayIndices(spec)).toEqual(want);
  });

  it('reads one status per array task from scontrol, the pending ones from their shared line', () => {
    expect(parseScontrolJobs(SCONTROL_ARRAY)).toEqual([
      { id: '20_2', task: 2, state: 'RUNNING', exitCode: '0:0', reason: 'None', node: 'n1' },
      ...[0, 1, 4, 5].map((t) => ({ id: `20_${t}`, task: t, state: 'PENDING', exitCode: '0:0', reason: 'Dependency', node: '(null)' })),
    ]);
  });

  it('reads a plain job and drops a state suffix', () => {
    expect(parseScontrolJobs(line({ JobId: '7', JobName: 'x', JobState: 'CANCELLED+', Reason: 'None', ExitCode: '0:15', BatchHost: 'n2' }))).toEqual([
      { id: '7', state: 'CANCELLED', exitCode: '0:15', reason: 'None', node: 'n2' },
    ]);
  });

  it('reads sacct lines, with array ranges and "CANCELLED by <uid>"', () => {
    expect(parseSacct('30|COMPLETED|0:0|n1\n31_0|CANCELLED by 0|0:15|n1\n31_[1-2]|PENDING|0:0|None assigned\n')).toEqual([
      { id: '30', state: 'COMPLETED', exitCode: '0:0', node: 'n1' },
      { id: '31_0', task: 0, state: 'CANCELLED', exitCode: '0:15', node: 'n1' },
      { id: '31_1', task: 1, state: 'PENDING', exitCode: '0:0', node: undefined },
      { id: '31_2', task: 2, state: 'PENDING', exitCode: '0:0', node: undefined },
    ]);
  });

  it('reads sbatch --parsable output and rejects anything else', () => {
    expect(parseJobId('123\n')).toBe('123');
    expect(parseJobId('123;cluster2\n')).toBe('123');
    expect(() => parseJobId('sbatch: error: invalid partition')).toThrow(/instead of a job id/);
  });

  it('falls back to sacct when the controller forgot the job, and to UNKNOWN', () => {
    const calls: string[] = [];
    const exec = (cmd: string): ExecResult => {
      calls.push(cmd);
      if (cmd === 'scontrol') return { status: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified' };
      return { status: 0, stdout: '9|FAILED|1:0|n3\n', stderr: '' };
    };
    expect(jobStatuses('9', exec)).toEqual([{ id: '9', state: 'FAILED', exitCode: '1:0', node: 'n3' }]);
    expect(calls).toEqual(['scontrol', 'sacct']);
    expect(jobStatuses('9', () => ({ status: 1, stdout: '', stderr: '' }))).toEqual([{ id: '9', state: 'UNKNOWN' }]);
  });
});

describe('job scripts and sbatch arguments', () => {
  it('writes a script per stage that exports the run settings and runs that stage', () => {
    const script = jobScript(runIn('/ws/tgs/runs/work'), 'fold');
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain("export SEGKIT_WORK='runs/it'\\''s here'");
    expect(script).toContain('cd /ws/tgs\n');
    expect(script.trimEnd().split('\n').at(-1)).toBe('exec /usr/bin/node --require ./tools/run/bundled.cjs /ws/tgs/apps/pipeline/src/stage.ts fold');
    expect(jobScript(runIn('/w'), 'final')).toContain('stage.ts final --out /ws/out\n');
    expect(jobScript({ ...runIn('/w'), allowWorthless: true }, 'final')).toContain('stage.ts final --out /ws/out --allow-worthless\n');
    // The script is valid bash.
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
    // Native threads: the task's CPUs, else the job's CPUs on the node; a run's own setting wins.
    const threadsLine = script.split('\n').find((l) => l.includes('SEGKIT_THREADS')) ?? '';
    const threads = (env: Record<string, string>) => spawnSync('bash', ['-c', `${threadsLine}\nprintf %s "$SEGKIT_THREADS"`], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' }).stdout;
    expect(threads({ SLURM_CPUS_PER_TASK: '4', SLURM_CPUS_ON_NODE: '8' })).toBe('4');
    expect(threads({ SLURM_CPUS_ON_NODE: '2' })).toBe('2');
    expect(threads({})).toBe('1');
    expect(threads({ SEGKIT_THREADS: '3', SLURM_CPUS_ON_NODE: '2' })).toBe('3');
  });

  it('submits an array of k tasks after the data job and a final job after every task', () => {
    const args = sbatchArgs(runIn('/w'), { partition: 'gpu', gres: 'gpu:1', time: '4:00:00', account: 'lab', cpusPerTask: 4 }, { prepare: '10', folds: '11' });
    expect(args.prepare).toEqual(expect.arrayContaining(['--parsable', '--partition=gpu', '--account=lab', '--time=4:00:00', '--output=/w/slurm/prepare.log', '--open-mode=append']));
    expect(args.prepare).not.toContain('--gres=gpu:1'); // data and folds need no GPU
    expect(args.prepare.at(-1)).toBe('/w/slurm/prepare.sbatch');
    expect(args.folds).toEqual(expect.arrayContaining(['--array=0-2', '--dependency=afterok:10', '--kill-on-invalid-dep=yes', '--requeue', '--gres=gpu:1', '--cpus-per-task=4', '--output=/w/slurm/fold-%a.log']));
    expect(args.final).toEqual(expect.arrayContaining(['--dependency=afterany:11', '--output=/w/slurm/final.log']));
    expect(sbatchArgs(runIn('/w'), {}).folds.some((a) => a.startsWith('--partition') || a.startsWith('--gres'))).toBe(false);
  });
});

/** A fake Slurm: sbatch hands out ids, scontrol answers from a table the test changes. */
function fakeSlurm(states: Map<string, string>) {
  let next = 100;
  const submitted: string[][] = [];
  const cancelled: string[][] = [];
  const exec = (cmd: string, args: string[]): ExecResult => {
    if (cmd === 'sbatch') {
      submitted.push(args);
      const id = String(next++);
      states.set(id, 'PENDING');
      return { status: 0, stdout: `${id}\n`, stderr: '' };
    }
    if (cmd === 'scancel') {
      cancelled.push(args);
      return { status: 0, stdout: '', stderr: '' };
    }
    if (cmd === 'scontrol') {
      const id = args[3];
      const st = states.get(id);
      if (st === undefined) return { status: 1, stdout: '', stderr: 'Invalid job id' };
      return { status: 0, stdout: st.startsWith('JobId=') ? st : line({ JobId: id, JobState: st, Reason: 'None', ExitCode: '0:0' }), stderr: '' };
    }
    return { status: 1, stdout: '', stderr: '' };
  };
  return { exec, submitted, cancelled };
}

describe('submitSlurm', () => {
  it('submits the three jobs chained by their ids, writes the scripts and the record', async () => {
    const slurm = fakeSlurm(new Map());
    const logs: string[] = [];
    const rec = await submitSlurm(runIn(dir), {}, { exec: slurm.exec, log: (m) => logs.push(m) });
    expect(rec.jobs).toEqual({ prepare: '100', folds: '101', final: '102' });
    expect(slurm.submitted[1]).toContain('--dependency=afterok:100');
    expect(slurm.submitted[2]).toContain('--dependency=afterany:101');
    const paths = slurmLayout(dir);
    for (const stage of ['prepare', 'fold', 'final'] as const) expect(existsSync(paths.script(stage))).toBe(true);
    expect(JSON.parse(readFileSync(paths.record, 'utf8')).jobs).toEqual(rec.jobs);
    expect(existsSync(paths.submitLock)).toBe(false);
    expect(logs[0]).toBe('submitted: data + folds job 100, fold array 101 (tasks 0-2), final job 102');
    expect(detachMessage(rec)[0]).toBe('jobs: 100 (data + folds), 101 (fold array 0-2), 102 (ensemble → report)');
  });

  it('reads its record back; a damaged or foreign record names the file and the field', async () => {
    const slurm = fakeSlurm(new Map());
    const rec = await submitSlurm(runIn(dir), {}, { exec: slurm.exec, log: () => undefined });
    expect(readSubmittedRun(dir)).toEqual(rec);
    const path = slurmLayout(dir).record;
    writeFileSync(path, JSON.stringify({ ...rec, jobs: { prepare: '100', folds: '101' } }));
    expect(() => readSubmittedRun(dir)).toThrow(`${path}: not a Slurm run record (jobs.final: Required)`);
    writeFileSync(path, '{"submittedAt": "x", ');
    expect(() => readSubmittedRun(dir)).toThrow(`${path}: not a Slurm run record (`);
    rmSync(path);
    expect(readSubmittedRun(dir)).toBeUndefined();
  });

  it('refuses while jobs of an earlier submission into the same work directory are queued or running', async () => {
    const states = new Map<string, string>();
    const slurm = fakeSlurm(states);
    await submitSlurm(runIn(dir), {}, { exec: slurm.exec, log: () => undefined });
    states.set('100', 'COMPLETED');
    states.set('101', 'RUNNING');
    expect(activeJobs(dir, slurm.exec)).toEqual(['101', '102']);
    await expect(submitSlurm(runIn(dir), {}, { exec: slurm.exec, log: () => undefined })).rejects.toThrow(/Slurm jobs 101, 102 of an earlier submission are still using .*scancel 101 102/);
    expect(slurm.submitted).toHaveLength(3);
    // Once they have ended, the run can be resubmitted.
    states.set('101', 'CANCELLED');
    states.set('102', 'FAILED');
    const again = await submitSlurm(runIn(dir), {}, { exec: slurm.exec, log: () => undefined });
    expect(again.jobs.prepare).toBe('103');
  });

  it('refuses while another submission holds the submit lock', async () => {
    const paths = slurmLayout(dir);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.submitLock, JSON.stringify({ host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), command: 'npm run pipeline -- --slurm --config gpu' }));
    const slurm = fakeSlurm(new Map());
    await expect(submitSlurm(runIn(dir), {}, { exec: slurm.exec, log: () => undefined })).rejects.toThrow(/the work directory .* is in use by another run \(pid \d+, started .*, command: npm run pipeline -- --slurm --config gpu\)/);
    expect(slurm.submitted).toHaveLength(0);
  });

  it('cancels what it queued when a later sbatch fails, and records nothing', async () => {
    const slurm = fakeSlurm(new Map());
    let n = 0;
    const exec = (cmd: string, args: string[]): ExecResult => (cmd === 'sbatch' && ++n === 2 ? { status: 1, stdout: '', stderr: 'sbatch: error: Invalid generic resource (gres) specification' } : slurm.exec(cmd, args));
    await expect(submitSlurm(runIn(dir), { gres: 'gpu:x' }, { exec, log: () => undefined })).rejects.toThrow(/sbatch failed: sbatch exited with 1: sbatch: error: Invalid generic resource/);
    expect(slurm.cancelled).toEqual([['100']]);
    expect(existsSync(slurmLayout(dir).record)).toBe(false);
  });
});

describe('followSlurm', () => {
  it('prints a line per change of each fold and returns the final state', async () => {
    const states = new Map<string, string>();
    const slurm = fakeSlurm(states);
    const rec = await submitSlurm({ ...runIn(dir), k: 2 }, {}, { exec: slurm.exec, log: () => undefined });
    const paths = slurmLayout(dir);
    writeFileSync(paths.foldLog(0), '[stage] fold 0 of 2\npipeline: fold 0 stage 1 epoch 1/3 50% 2/4 loss 0.71 elapsed 0:02 eta 0:02\n');
    const arrayLine = (a: string, b: string) =>
      [line({ JobId: '101', ArrayJobId: '101', ArrayTaskId: '0', JobState: a, Reason: 'None', ExitCode: '0:0', BatchHost: 'n1' }), line({ JobId: '104', ArrayJobId: '101', ArrayTaskId: '1', JobState: b, Reason: 'None', ExitCode: '0:0', BatchHost: 'n2' })].join('\n');
    const script: (() => void)[] = [
      () => (states.set('100', 'RUNNING'), undefined),
      () => {
        states.set('100', 'COMPLETED');
        states.set('101', arrayLine('RUNNING', 'RUNNING'));
      },
      () => states.set('101', arrayLine('COMPLETED', 'FAILED')) && undefined,
      () => states.set('102', 'FAILED') && undefined,
    ];
    const logs: string[] = [];
    const res = await followSlurm(rec, { exec: slurm.exec, log: (m) => logs.push(m), sleep: async () => script.shift()?.() });
    expect(res.state).toBe('FAILED');
    expect(logs).toEqual([
      'data + folds (job 100): PENDING',
      // A pending array is one line without task ids: it stands for every task.
      'fold 0 (job 101_0): PENDING',
      'fold 1 (job 101_1): PENDING',
      'ensemble → report (job 102): PENDING',
      'data + folds (job 100): RUNNING',
      'data + folds (job 100): COMPLETED',
      'fold 0 (job 101_0): RUNNING on n1 — fold 0 stage 1 epoch 1/3 50% 2/4 loss 0.71 elapsed 0:02 eta 0:02',
      'fold 1 (job 101_1): RUNNING on n2',
      'fold 0 (job 101_0): COMPLETED',
      'fold 1 (job 101_1): FAILED (exit 0:0)',
      'ensemble → report (job 102): FAILED (exit 0:0)',
    ]);
  });
});

describe('lastStepLine', () => {
  it("picks the last step or progress line, without Nx's prefix", () => {
    const p = join(dir, 'fold-1.log');
    writeFileSync(p, '[stage] nx run pipeline:train-fold-1\n\n> nx run pipeline:train-fold-1\n\npipeline: [train] fold 1 stage 1 epoch 1/1: loss 0.7 (best)\n\n NX   Successfully ran target\n');
    expect(lastStepLine(p)).toBe('[train] fold 1 stage 1 epoch 1/1: loss 0.7 (best)');
    expect(lastStepLine(join(dir, 'none.log'))).toBeUndefined();
  });
});
