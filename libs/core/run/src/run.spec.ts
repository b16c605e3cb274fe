import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { outLayout, runLayout } from './layout';
import { resolveDataDir, syntheticPaths, WORKSPACE_PATHS, WORKSPACE_ROOT, workDirRelative } from './settings';
import { clusterStages, layoutFileGlob, projectSteps, STEP_ORDER, STEPS } from './steps';
import { readStepSeconds, writeStepTiming } from './timings';

describe('run layout', () => {
  it('spells every path under the work directory', () => {
    const l = runLayout('/w');
    expect(l.folds).toBe('/w/folds.csv');
    expect(l.fold(3).stage(2).best).toBe('/w/fold-3/stage2/best');
    expect(l.fold(3).stage(1).checkpoints).toBe('/w/fold-3/stage1/checkpoints');
    expect(l.fold(0).stage(1).snapshot(4)).toBe('/w/fold-0/stage1/snapshot-4');
    expect(l.fold(1).predict.test).toBe('/w/fold-1/predict/test.npy');
    expect(l.ensemble.oofStage2).toBe('/w/ensemble/oof-stage2.npy');
    expect(l.tune.record).toBe('/w/tune/tune.json');
    expect(l.submission.csv).toBe('/w/submission/submission.csv');
    expect(l.report.summary).toBe('/w/report/summary.json');
    expect(l.timings.step('predict-fold-2')).toBe('/w/timings/predict-fold-2.json');
    expect(l.slurm.record).toBe('/w/slurm/run.json');
    expect(l.slurm.foldLog(2)).toBe('/w/slurm/fold-2.log');
    expect(l.slurm.foldLogPattern).toBe('/w/slurm/fold-%a.log');
    expect(l.slurm.script('final')).toBe('/w/slurm/final.sbatch');
  });

  it('spells the --out folder', () => {
    const o = outLayout('/o');
    expect([o.submission, o.reportHtml, o.bundle, o.k8sManifest]).toEqual(['/o/submission.csv', '/o/report/index.html', '/o/bundle', '/o/k8s/pipeline.yaml']);
  });

  it.each(['experiment', 'blend'] as const)('gives no two steps of an %s the same output, and every output lies in the layout or the workspace data folder', (project) => {
    const l = runLayout('/w');
    const synthetic = { nTrain: 10, nTest: 5, size: 8, seed: 1 };
    const all = projectSteps(project).flatMap((s) => (STEPS[s].perFold ? [0, 1].flatMap((k) => STEPS[s].outputs(l, k, synthetic)) : STEPS[s].outputs(l, 0, synthetic)));
    expect(new Set(all).size).toBe(all.length);
    for (const p of all) expect(p.startsWith('/w/') || p.startsWith(join(WORKSPACE_ROOT, 'data'))).toBe(true);
  });

  it('orders steps so each reads only steps before it', () => {
    STEP_ORDER.forEach((s, i) => {
      for (const { step } of STEPS[s].after) expect(STEP_ORDER.indexOf(step)).toBeLessThan(i);
    });
  });
});

describe('run settings', () => {
  it.each([
    [undefined, 'runs/work/exp1'],
    ['', 'runs/work/exp1'],
    ['tmp/e2e/work', 'tmp/e2e/work'],
    ['runs/exp1/', 'runs/exp1'],
    [join(WORKSPACE_ROOT, 'runs', 'abs'), 'runs/abs'],
  ])('work directory %p is %p inside the workspace', (value, rel) => {
    expect(workDirRelative(value, '/any/where/exp1.json')).toEqual({ rel });
  });

  it.each(['/elsewhere', '../outside', '.'])('refuses the work directory %p', (value) => {
    expect('error' in workDirRelative(value, 'exp1.json')).toBe(true);
  });

  it('falls back to the synthetic competition without a data folder', () => {
    const s = { nTrain: 48, nTest: 24, size: 101, seed: 7 };
    expect(resolveDataDir(undefined, s)).toEqual({ dataDir: join(WORKSPACE_PATHS.synthetic, '48-train-24-test-101px-seed-7'), synthetic: true });
    expect(resolveDataDir('/data/tgs', s)).toEqual({ dataDir: '/data/tgs', synthetic: false });
  });

  it('gives each synthetic setting its own competition folder, its truth beside it', () => {
    const a = syntheticPaths({ nTrain: 48, nTest: 24, size: 101, seed: 7 });
    expect(a.truth).toBe(join(WORKSPACE_PATHS.synthetic, '48-train-24-test-101px-seed-7.test-truth.csv'));
    expect(a.truth.startsWith(a.dataDir + '/')).toBe(false);
    const others = [{ nTrain: 49, nTest: 24, size: 101, seed: 7 }, { nTrain: 48, nTest: 25, size: 101, seed: 7 }, { nTrain: 48, nTest: 24, size: 64, seed: 7 }, { nTrain: 48, nTest: 24, size: 101, seed: 8 }];
    for (const o of others) expect(syntheticPaths(o).dataDir).not.toBe(a.dataDir);
  });
});

describe('step timings', () => {
  it('round-trips and names the file of a damaged record', () => {
    const work = mkdtempSync(join(tmpdir(), 'timings-'));
    expect(readStepSeconds(work, 'tune')).toBe(0);
    writeStepTiming(work, 'tune', 1.5);
    expect(readStepSeconds(work, 'tune')).toBe(1.5);
    mkdirSync(runLayout(work).timings.dir, { recursive: true });
    writeFileSync(runLayout(work).timings.step('tune'), '{"step":"tune","seconds":"slow"}');
    expect(() => readStepSeconds(work, 'tune')).toThrow(UserError);
    expect(() => readStepSeconds(work, 'tune')).toThrow(/timings\/tune\.json: seconds: Expected number/);
  });
});

describe('the step table', () => {
  const synthetic = { nTrain: 10, nTest: 5, size: 8, seed: 1 };

  it('splits the experiment steps into the cluster stages: before the per-fold steps, the per-fold steps, the rest', () => {
    expect(clusterStages()).toEqual({ prepare: ['data', 'folds'], fold: ['train', 'predict'], final: ['ensemble', 'tune', 'submit', 'bundle', 'report'] });
    expect(projectSteps('blend')).toEqual(['blend']);
  });

  it.each([
    ['folds', 'train', '**/folds.csv'],
    ['train', 'predict', '**/fold-*/fingerprint.json'],
    ['predict', 'ensemble', '**/fold-*/predict/meta.json'],
    ['data', 'folds', '**/synthetic.json'],
    ['bundle', 'report', '**/bundle/bundle.json'],
    ['tune', 'blend', '**/tune/tune.json'],
  ] as const)("matches %s's file that %s reads by its place in the layout", (before, step, glob) => {
    const entry = STEPS[step].after.find((a) => a.step === before);
    expect(entry && layoutFileGlob(entry.file, synthetic)).toBe(glob);
  });

  it("names every step's inputs from steps of its own kind of project, before it", () => {
    for (const s of STEP_ORDER) for (const { step } of STEPS[s].after) expect([s, STEPS[step].project]).toEqual([s, 'experiment']);
  });
});
