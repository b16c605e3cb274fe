import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFoldsFinished, finishedFolds, foldFromEnv, nxJobEnv, runFinalStage, runFoldStage, runPrepareStage } from './stages';

let work: string;
beforeEach(() => (work = mkdtempSync(join(tmpdir(), 'stages-'))));
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Marks a fold as trained and predicted (the files the final job checks). */
function finishFold(fold: number, { predicted = true } = {}): void {
  mkdirSync(join(work, `fold-${fold}`, 'predict'), { recursive: true });
  writeFileSync(join(work, `fold-${fold}`, 'result.json'), '{}');
  if (predicted) writeFileSync(join(work, `fold-${fold}`, 'predict', 'meta.json'), '{}');
}

function recorder(status = 0) {
  const runs: { args: string[]; env: NodeJS.ProcessEnv }[] = [];
  return { runs, nx: (args: string[], env: NodeJS.ProcessEnv) => (runs.push({ args, env }), status) };
}

describe('foldFromEnv', () => {
  it.each([
    ['--fold', '2', {}, 2],
    ['Slurm', undefined, { SLURM_ARRAY_TASK_ID: '1' }, 1],
    ['Kubernetes', undefined, { JOB_COMPLETION_INDEX: '0' }, 0],
    ['--fold over the scheduler', '0', { SLURM_ARRAY_TASK_ID: '2' }, 0],
  ])('reads the fold from %s', (_what, flag, env, want) => {
    expect(foldFromEnv(flag, 3, env)).toBe(want);
  });
  it('names the source of a bad fold', () => {
    expect(() => foldFromEnv(undefined, 3, { SLURM_ARRAY_TASK_ID: '3' })).toThrow('SLURM_ARRAY_TASK_ID must be a fold in 0..2 (folds.k = 3), got "3"');
    expect(() => foldFromEnv(undefined, 3, {})).toThrow(/needs --fold/);
  });
});

describe('checkFoldsFinished', () => {
  it('names every unfinished fold and its log', () => {
    writeFileSync(join(work, 'folds.csv'), 'id,fold\n');
    finishFold(0);
    finishFold(2, { predicted: false });
    expect(finishedFolds(work, 3).map((f) => f.finished)).toEqual([true, false, false]);
    expect(() => checkFoldsFinished(work, 3)).toThrow(
      `fold 1 did not finish (no ${join(work, 'fold-1', 'result.json')}): see ${join(work, 'slurm', 'fold-1.log')}; ` +
        `fold 2 did not finish (no ${join(work, 'fold-2', 'predict', 'meta.json')}): see ${join(work, 'slurm', 'fold-2.log')}`,
    );
  });
  it('points at the data job when there are no folds', () => {
    expect(() => checkFoldsFinished(work, 2)).toThrow(`see ${join(work, 'slurm', 'prepare.log')}`);
  });
});

describe('stages', () => {
  const ctx = (nx: ReturnType<typeof recorder>['nx']) => ({ workspaceRoot: '/ws', workDir: work, k: 2, nx, env: { SLURM_JOB_ID: '55', SEGKIT_GPUS: '0,1', SEGKIT_CONFIG: 'smoke' }, log: () => undefined });

  it('prepare runs the data and folds targets', () => {
    const r = recorder();
    runPrepareStage(ctx(r.nx));
    expect(r.runs.map((x) => x.args)).toEqual([['run-many', '--projects=pipeline', '--targets=data,folds', '--output-style=stream']]);
  });

  it('a fold task trains then predicts its fold only, in an Nx environment of its own', () => {
    writeFileSync(join(work, 'folds.csv'), 'id,fold\n');
    const r = recorder();
    runFoldStage(ctx(r.nx), 1);
    expect(r.runs.map((x) => x.args)).toEqual([['run-many', '--projects=pipeline', '--targets=train-fold-1,predict-fold-1', '--excludeTaskDependencies', '--output-style=stream']]);
    const env = r.runs[0].env;
    expect(env).toMatchObject({ NX_DAEMON: 'false', NX_SKIP_NX_CACHE: 'true', SEGKIT_CONFIG: 'smoke' });
    expect(env.NX_WORKSPACE_DATA_DIRECTORY).toMatch(/tgs-nx-55-\d+$/);
    expect(env.SEGKIT_GPUS).toBeUndefined();
  });

  it('a fold task refuses to start before the folds exist', () => {
    const r = recorder();
    expect(() => runFoldStage(ctx(r.nx), 0)).toThrow(/folds\.csv is missing/);
    expect(r.runs).toHaveLength(0);
  });

  it('the final stage checks the folds, then runs ensemble → report; a failing target stops it', () => {
    writeFileSync(join(work, 'folds.csv'), 'id,fold\n');
    finishFold(0);
    const r = recorder();
    expect(() => runFinalStage(ctx(r.nx))).toThrow(/fold 1 did not finish/);
    expect(r.runs).toHaveLength(0);
    finishFold(1);
    runFinalStage(ctx(r.nx));
    expect(r.runs.map((x) => x.args[2])).toEqual(['--targets=ensemble,tune,submit,bundle,report']);
    const failing = recorder(1);
    expect(() => runFinalStage(ctx(failing.nx))).toThrow('pipeline:ensemble, pipeline:tune, pipeline:submit, pipeline:bundle, pipeline:report failed (nx exit code 1)');
  });

  it('the final stage runs the later pseudo-label rounds between the ensemble and tune', () => {
    writeFileSync(join(work, 'folds.csv'), 'id,fold\n');
    finishFold(0);
    finishFold(1);
    const r = recorder();
    runFinalStage({ ...ctx(r.nx), rounds: 1 });
    expect(r.runs.map((x) => x.args[2])).toEqual([
      '--targets=ensemble,pseudo-round-1,train-round-1-fold-0,train-round-1-fold-1,predict-round-1-fold-0,predict-round-1-fold-1,ensemble-round-1,tune,submit,bundle,report',
    ]);
  });

  it('nxJobEnv keeps the run settings', () => {
    expect(nxJobEnv({ SEGKIT_WORK: 'runs/x', PATH: '/bin' }, 'a')).toMatchObject({ SEGKIT_WORK: 'runs/x', PATH: '/bin', NX_NO_CLOUD: 'true' });
  });
});
