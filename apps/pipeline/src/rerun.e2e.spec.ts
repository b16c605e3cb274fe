/**
 * End to end through Nx: a step reruns only when what it reads changed. Each case changes one
 * thing of a tiny run and counts the Nx tasks that actually ran (neither restored from the cache
 * nor found with matching outputs already in place).
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { runLayout, WORKSPACE_ROOT } from '@segkit/run';
import { generateSynthetic } from '@segkit/synthetic';

// Entry points start from their cached bundle, as the pipeline's steps do (tools/run/bundled.cjs).
const BUNDLED = join(WORKSPACE_ROOT, 'tools', 'run', 'bundled.cjs');

const root = join(WORKSPACE_ROOT, 'tmp', `rerun-${process.pid}`);
const dataDir = join(root, 'data');
const configPath = join(root, 'exp.json');
const workRel = join('tmp', `rerun-${process.pid}`, 'work');
const work = runLayout(join(WORKSPACE_ROOT, workRel));

let config: Record<string, unknown> = {
  name: 'rerun',
  folds: { k: 2 },
  model: { depth: 1, baseFilters: 2, batchNorm: false },
  train: { batchSize: 8 },
  stage1: { epochs: 1, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 1, lr: 0.002, loss: [{ kind: 'lovasz', weight: 1 }] },
  predict: { batchSize: 16 },
  tune: { probSteps: 3, refineSteps: 0, minAreas: [0] },
};
const section = (key: string) => config[key] as Record<string, unknown>;

function runPipeline(): { res: SpawnSyncReturns<string>; ran: string[]; out: string } {
  writeFileSync(configPath, JSON.stringify(config));
  const res = spawnSync(process.execPath, ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/pipeline/src/run.ts'), '--data', dataDir, '--out', join(root, 'out'), '--config', configPath, '--backend', 'wasm'], {
    cwd: WORKSPACE_ROOT,
    // The cache is what is tested here, so it is on even when the suite runs with NX_SKIP_NX_CACHE.
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'false', SEGKIT_WORK: workRel },
    encoding: 'utf8',
  });
  // Without colours (under an Nx task, as in `npm test`, Nx forces them on for its children).
  const out = stripVTControlCharacters(res.stdout + res.stderr);
  // Nx announces every task as "> nx run pipeline:<target>", followed by a note when it did not run it.
  const ran = [...out.matchAll(/^> nx run pipeline:(\S+)(.*)$/gm)].filter((m) => m[2].trim() === '').map((m) => m[1]);
  return { res, ran: [...new Set(ran)].sort(), out };
}

function expectRan(change: () => void, tasks: string[]): string {
  change();
  const { res, ran, out } = runPipeline();
  expect(out).not.toMatch(/error:/);
  expect(res.status).toBe(0);
  expect(ran).toEqual([...tasks].sort());
  return out;
}

const trains = ['train-fold-0', 'train-fold-1'];
const predicts = ['predict-fold-0', 'predict-fold-1'];
/** What follows the tune step: the submission, the bundle (it holds the tuned threshold) and the report. */
const afterTune = ['submit', 'bundle', 'report'];
const fromEnsemble = ['ensemble', 'tune', ...afterTune];
const stage1Weights = () => join(work.fold(0).stage(1).best, 'weights.bin');

beforeAll(async () => {
  mkdirSync(root, { recursive: true });
  await generateSynthetic({ outDir: dataDir, truthPath: join(root, 'truth.csv'), nTrain: 16, nTest: 6, size: 24, seed: 5 });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('reruns through Nx', () => {
  it('the first run runs every step', () => {
    expectRan(() => undefined, ['data', 'folds', ...trains, ...predicts, ...fromEnsemble]);
  }, 180_000);

  it('a new name, defaults written out and test images touched but unchanged rerun only the bundle and report (they record the whole config)', () => {
    const testDir = join(dataDir, 'test', 'images');
    const later = new Date(Date.now() + 60_000);
    expectRan(() => {
      config = { ...config, name: 'renamed', ensemble: { mode: 'logit-mean' }, predict: { ...section('predict'), hflipTta: true, snapshots: false }, seed: 42 };
      // The data fingerprint is the files' content, not their times.
      readdirSync(testDir).forEach((f) => utimesSync(join(testDir, f), later, later));
    }, ['bundle', 'report']);
  }, 120_000);

  it('a tune-only change reruns tune → submit, bundle → report', () => {
    expectRan(() => (config = { ...config, tune: { ...section('tune'), minAreas: [0, 5] } }), ['tune', ...afterTune]);
  }, 120_000);

  it('an ensemble-only change reruns the ensemble onward', () => {
    expectRan(() => (config = { ...config, ensemble: { mode: 'prob-mean' } }), fromEnsemble);
  }, 120_000);

  it('a predict-only change (TTA off) re-predicts without retraining', () => {
    const out = expectRan(() => (config = { ...config, predict: { ...section('predict'), hflipTta: false } }), [...predicts, ...fromEnsemble]);
    expect(out).toMatch(/fold 0: predictions were made from other weights, settings or images; predicting again/);
  }, 120_000);

  it('a stage-2-only change retrains stage 2 from the kept stage-1 weights', () => {
    const [bytes, mtime] = [readFileSync(stage1Weights()), statSync(stage1Weights()).mtimeMs];
    const out = expectRan(() => (config = { ...config, stage2: { ...section('stage2'), lr: 0.004 } }), [...trains, ...predicts, ...fromEnsemble]);
    expect(out).toMatch(/fold 0 stage 1: already done/);
    expect(out).toMatch(/fold 1 stage 1: already done/);
    expect(out).toMatch(/fold 0 stage 2 epoch 1\/1/);
    expect(out).not.toMatch(/stage 1 epoch/);
    expect(readFileSync(stage1Weights()).equals(bytes)).toBe(true);
    expect(statSync(stage1Weights()).mtimeMs).toBe(mtime);
  }, 180_000);

  it('a model change retrains every fold from scratch', () => {
    const out = expectRan(() => (config = { ...config, model: { ...section('model'), baseFilters: 3 } }), [...trains, ...predicts, ...fromEnsemble]);
    expect(out).toMatch(/fold 0 stage 1 epoch 1\/1/);
    expect(out).toMatch(/fold 1 stage 1 epoch 1\/1/);
  }, 180_000);

  it("a pseudo-label round runs after round 0's ensemble in its own folder; round 0 keeps its artifacts", () => {
    const round1 = ['pseudo-round-1', 'train-round-1-fold-0', 'train-round-1-fold-1', 'predict-round-1-fold-0', 'predict-round-1-fold-1', 'ensemble-round-1'];
    config = { ...config, pseudo: { rounds: 1, minConfidence: 0.5 } };
    const { res, ran, out } = runPipeline();
    expect(out).not.toMatch(/error:/);
    expect(res.status).toBe(0);
    // New targets change the project's configuration, which Nx hashes into every task: round 0's
    // steps run again but find their artifacts (by fingerprint) and do no work.
    expect(ran).toEqual(expect.arrayContaining([...round1, 'tune', ...afterTune]));
    expect(out).toMatch(/fold 0: already trained/);
    expect(out).toMatch(/\[pseudo\] round 1: \d+ of 6 test images/);
    expect(out).toMatch(/fold 0: 8 train \+ \d+ pseudo-labelled test \/ 8 validation images/);
    const round = runLayout(join(work.workDir, 'round-1'));
    for (const path of [round.pseudo.record, round.fold(1).result, round.ensemble.meta]) expect(statSync(path).isFile()).toBe(true);
    const summary = JSON.parse(readFileSync(join(root, 'out', 'report', 'summary.json'), 'utf8')) as { pseudo_rounds: { round: number }[] };
    expect(summary.pseudo_rounds.map((r) => r.round)).toEqual([0, 1]);
  }, 240_000);

  it('a pseudo-label setting reruns the round after round 0, never round 0', () => {
    config = { ...config, pseudo: { rounds: 1, minConfidence: 0.25 } };
    const { res, ran, out } = runPipeline();
    expect(out).not.toMatch(/error:/);
    expect(res.status).toBe(0);
    expect(ran).toContain('pseudo-round-1');
    expect(ran.filter((t) => ['data', 'folds', ...trains, ...predicts, 'ensemble'].includes(t))).toEqual([]);
  }, 180_000);
});

describe('the Nx fingerprint of the data', () => {
  const copy = join(root, 'data-copy');
  const fingerprint = (step: string) =>
    spawnSync(process.execPath, [join(WORKSPACE_ROOT, 'tools/nx/fingerprint.cjs'), step], { cwd: WORKSPACE_ROOT, env: { ...process.env, SEGKIT_CONFIG: configPath, SEGKIT_DATA: copy }, encoding: 'utf8' }).stdout;

  it('follows the test images\' content, not their times, and only for the steps that read them', () => {
    cpSync(dataDir, copy, { recursive: true });
    const before = { predict: fingerprint('predict'), train: fingerprint('train') };
    expect(before.predict).toMatch(/^[0-9a-f]{64}$/);
    const testDir = join(copy, 'test', 'images');
    const [a, b] = readdirSync(testDir).sort();
    const [pa, pb] = [join(testDir, a), join(testDir, b)];
    const later = new Date(Date.now() + 60_000);
    utimesSync(pa, later, later);
    expect(fingerprint('predict')).toBe(before.predict);
    // Two images swap contents and keep their modification times: the predictions would be stale.
    const [ta, tb] = [statSync(pa).mtime, statSync(pb).mtime];
    const [ca, cb] = [readFileSync(pa), readFileSync(pb)];
    writeFileSync(pa, cb);
    writeFileSync(pb, ca);
    utimesSync(pa, ta, ta);
    utimesSync(pb, tb, tb);
    expect(fingerprint('predict')).not.toBe(before.predict);
    expect(fingerprint('train')).toBe(before.train);
  }, 60_000);
});
