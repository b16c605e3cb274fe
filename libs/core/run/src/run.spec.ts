import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { outLayout, roundWorkDir, runLayout } from './layout';
import { createHash } from 'node:crypto';
import { nxWorkspaceData, resolveDataDir, syntheticPaths, WORKSPACE_PATHS, WORKSPACE_ROOT, workDirRelative } from './settings';
import { clusterStages, experimentTargets, layoutFileGlob, projectSteps, STEP_ORDER, STEPS, stepTargetName } from './steps';
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

  it("orders steps so each reads only steps before it, or the previous round's", () => {
    STEP_ORDER.forEach((s, i) => {
      for (const { step, round } of STEPS[s].after) if (round !== 'previous') expect(STEP_ORDER.indexOf(step)).toBeLessThan(i);
    });
  });

  it("gives a later pseudo-label round its own folder with the work directory's layout; round 0 is the work directory", () => {
    expect(roundWorkDir('/w', 0)).toBe('/w');
    expect(roundWorkDir('/w', 2)).toBe('/w/round-2');
    expect(runLayout(roundWorkDir('/w', 1)).fold(3).predict.meta).toBe('/w/round-1/fold-3/predict/meta.json');
    expect(runLayout(roundWorkDir('/w', 1)).pseudo.record).toBe('/w/round-1/pseudo/pseudo.json');
    expect(() => roundWorkDir('/w', -1)).toThrow('round');
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

  it("gives each work directory Nx's workspace data of its own, the same for the same folder however it is spelled", () => {
    const a = nxWorkspaceData(join(WORKSPACE_ROOT, 'runs', 'work', 'a'));
    // By hand: sha-1 of the absolute path, its first 16 hex digits.
    const sha = createHash('sha1').update(join(WORKSPACE_ROOT, 'runs', 'work', 'a')).digest('hex');
    expect(a).toBe(join(WORKSPACE_ROOT, '.nx', 'workspace-data', 'runs', sha.slice(0, 16)));
    expect(nxWorkspaceData(join(WORKSPACE_ROOT, 'runs', 'work', 'a', '..', 'a') + '/')).toBe(a);
    expect(nxWorkspaceData(join(WORKSPACE_ROOT, 'runs', 'work', 'b'))).not.toBe(a);
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

  it('without pseudo-label rounds, has the targets and dependencies of the plain pipeline', () => {
    const targets = experimentTargets(2, 0);
    expect(targets.map((t) => t.name)).toEqual(['data', 'folds', 'train-fold-0', 'train-fold-1', 'predict-fold-0', 'predict-fold-1', 'ensemble', 'tune', 'submit', 'bundle', 'report']);
    const after = Object.fromEntries(targets.map((t) => [t.name, t.after.map((a) => a.target)]));
    expect(after['train-fold-1']).toEqual(['folds']);
    expect(after['predict-fold-1']).toEqual(['train-fold-1']);
    expect(after.ensemble).toEqual(['predict-fold-0', 'predict-fold-1']);
    expect(after.tune).toEqual(['folds', 'ensemble']);
    expect(after.report).toEqual(['train-fold-0', 'train-fold-1', 'predict-fold-0', 'predict-fold-1', 'ensemble', 'tune', 'submit', 'bundle']);
    expect(targets.every((t) => t.round === 0)).toBe(true);
  });

  it("runs each later round's pseudo-labels after the previous round's ensemble, its folds after them, and the steps after the rounds on the last one", () => {
    const targets = experimentTargets(2, 2);
    const names = targets.map((t) => t.name);
    expect(names).toEqual([
      'data', 'folds',
      'train-fold-0', 'train-fold-1', 'predict-fold-0', 'predict-fold-1', 'ensemble',
      'pseudo-round-1', 'train-round-1-fold-0', 'train-round-1-fold-1', 'predict-round-1-fold-0', 'predict-round-1-fold-1', 'ensemble-round-1',
      'pseudo-round-2', 'train-round-2-fold-0', 'train-round-2-fold-1', 'predict-round-2-fold-0', 'predict-round-2-fold-1', 'ensemble-round-2',
      'tune', 'submit', 'bundle', 'report',
    ]);
    const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
    const after = (name: string) => byName[name].after.map((a) => a.target);
    expect(after('pseudo-round-1')).toEqual(['ensemble']);
    expect(after('pseudo-round-2')).toEqual(['ensemble-round-1']);
    expect(after('train-fold-0')).toEqual(['folds']);
    expect(after('train-round-2-fold-1')).toEqual(['folds', 'pseudo-round-2']);
    expect(after('predict-round-2-fold-1')).toEqual(['train-round-2-fold-1']);
    expect(after('ensemble-round-1')).toEqual(['predict-round-1-fold-0', 'predict-round-1-fold-1']);
    expect(after('tune')).toEqual(['folds', 'ensemble-round-2']);
    expect(after('submit')).toEqual(['ensemble-round-2', 'tune']);
    expect(after('bundle')).toEqual(['predict-round-2-fold-0', 'predict-round-2-fold-1', 'tune']);
    expect(after('report')).toEqual(['train-round-2-fold-0', 'train-round-2-fold-1', 'predict-round-2-fold-0', 'predict-round-2-fold-1', 'ensemble', 'ensemble-round-1', 'ensemble-round-2', 'pseudo-round-1', 'pseudo-round-2', 'tune', 'submit', 'bundle']);
    // Each target after every target it reads; each writes into its round's work directory.
    names.forEach((n, i) => after(n).forEach((a) => expect([n, names.indexOf(a) < i]).toEqual([n, true])));
    expect([byName['train-round-2-fold-1'].round, byName['pseudo-round-1'].round, byName.ensemble.round, byName.tune.round]).toEqual([2, 1, 0, 0]);
    // The training of a round reads its pseudo-labels by their record, fingerprinting the ids and masks.
    const pseudoInput = byName['train-round-1-fold-0'].after.find((a) => a.step === 'pseudo');
    expect(pseudoInput && layoutFileGlob(pseudoInput.file, synthetic)).toBe('**/pseudo/pseudo.json');
    // Round 0's targets are the plain pipeline's: adding rounds leaves them (and their cache) alone.
    const plain = Object.fromEntries(experimentTargets(2, 0).map((t) => [t.name, t]));
    for (const name of ['train-fold-0', 'predict-fold-1', 'ensemble']) expect(byName[name]).toEqual(plain[name]);
  });

  it('names the targets of a round', () => {
    expect([stepTargetName('train', 0, 1), stepTargetName('train', 3, 1), stepTargetName('pseudo', 2), stepTargetName('tune', 2), stepTargetName('ensemble', 1)]).toEqual([
      'train-fold-1',
      'train-round-3-fold-1',
      'pseudo-round-2',
      'tune',
      'ensemble-round-1',
    ]);
    expect(() => experimentTargets(2, -1)).toThrow('pseudo.rounds');
  });

  it("names every step's inputs from steps of its own kind of project, before it", () => {
    for (const s of STEP_ORDER) for (const { step } of STEPS[s].after) expect([s, STEPS[step].project]).toEqual([s, 'experiment']);
  });
});
