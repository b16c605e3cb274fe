/**
 * End to end on a real Slurm cluster (`tools/slurm/local-cluster.sh` starts a one-node one on
 * localhost; CI runs it before the tests): a small run submitted as a data job, a fold job array
 * and a final job; then a fold task cancelled mid-training, the final job failing on it, and a
 * resubmission that resumes the fold to the same weights as the uninterrupted run.
 *
 * Skipped, saying so, where there is no Slurm; on CI (CI=true) a missing Slurm is a failure.
 */
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSubmittedRun, slurmAvailable } from '@segkit/cluster';
import { slurmLayout } from '@segkit/run';
import { decodeRle } from '@segkit/rle';
import { generateSynthetic } from '@segkit/synthetic';
import { WORKSPACE_ROOT } from './context';

// Entry points start from their cached bundle, as the pipeline's steps do (tools/run/bundled.cjs).
const BUNDLED = join(WORKSPACE_ROOT, 'tools', 'run', 'bundled.cjs');

const slurm = slurmAvailable();
const onCi = process.env.CI === 'true';

const SIZE = 48;
const base = join('tmp', `slurm-e2e-${process.pid}`);
const root = join(WORKSPACE_ROOT, base);
const dataDir = join(root, 'data');
const configPath = join(root, 'slurm-e2e.json');
// Four stage-1 epochs leave time to cancel fold 0 after its first checkpoint.
const config = {
  name: 'slurm-e2e',
  seed: 5,
  folds: { k: 2 },
  model: { depth: 2, baseFilters: 4 },
  train: { batchSize: 8 },
  stage1: { epochs: 4, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 1, lr: 0.002, loss: [{ kind: 'lovasz', weight: 1 }] },
  predict: { batchSize: 16 },
  tune: { probSteps: 5, refineSteps: 3, minAreas: [0, 5] },
};

function args(out: string, extra: string[] = []): string[] {
  return ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/pipeline/src/run.ts'), '--slurm', '--data', dataDir, '--out', out, '--config', configPath, '--backend', 'wasm', ...extra];
}
function env(workRel: string): NodeJS.ProcessEnv {
  return { ...process.env, SEGKIT_WORK: workRel };
}
function pipeline(workRel: string, out: string, extra: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, args(out, extra), { cwd: WORKSPACE_ROOT, env: env(workRel), encoding: 'utf8' });
}
function text(res: SpawnSyncReturns<string>): string {
  return res.stdout + res.stderr;
}
async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 180_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const reference = { work: join(base, 'reference'), out: join(root, 'out-reference') };
const resumed = { work: join(base, 'resumed'), out: join(root, 'out-resumed') };

describe('Slurm', () => {
  it('is there to test against', () => {
    if (slurm.ok) return;
    const why = `no usable Slurm (${slurm.reason}); start one with \`sudo bash tools/slurm/local-cluster.sh\``;
    if (onCi) throw new Error(`CI=true but ${why}`);
    console.warn(`skipping the Slurm end-to-end tests: ${why}`);
  });
});

(slurm.ok ? describe : describe.skip)('pipeline on Slurm', () => {
  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    await generateSynthetic({ outDir: dataDir, truthPath: join(root, 'truth.csv'), nTrain: 48, nTest: 8, size: SIZE, seed: 3 });
    writeFileSync(configPath, JSON.stringify(config));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs the data job, a fold array and the final job to a valid submission and report', () => {
    const res = pipeline(reference.work, reference.out);
    expect(text(res)).not.toMatch(/error:/);
    expect(res.status).toBe(0);
    const rec = readSubmittedRun(join(WORKSPACE_ROOT, reference.work));
    if (!rec) throw new Error('no run record');
    const out = text(res);
    expect(out).toContain(`submitted: data + folds job ${rec.jobs.prepare}, fold array ${rec.jobs.folds} (tasks 0-1), final job ${rec.jobs.final}`);
    for (const fold of [0, 1]) expect(out).toContain(`fold ${fold} (job ${rec.jobs.folds}_${fold}): COMPLETED`);
    expect(out).toContain(`ensemble → report (job ${rec.jobs.final}): COMPLETED`);

    // Every job logged to the file the pipeline named.
    const paths = slurmLayout(join(WORKSPACE_ROOT, reference.work));
    expect(readFileSync(paths.log('prepare'), 'utf8')).toMatch(/\[folds\] 2 folds/);
    for (const fold of [0, 1]) expect(readFileSync(paths.foldLog(fold), 'utf8')).toMatch(new RegExp(`array task ${fold}\\)[\\s\\S]*\\[predict\\] fold ${fold}:`));
    expect(readFileSync(paths.log('final'), 'utf8')).toMatch(/\[report\] OOF mAP/);

    const sample = readFileSync(join(dataDir, 'sample_submission.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]);
    const rows = readFileSync(join(reference.out, 'submission.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['id', 'rle_mask']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(sample);
    for (const [, rle] of rows.slice(1)) expect(decodeRle(rle ?? '', SIZE, SIZE)).toHaveLength(SIZE * SIZE);
    const summary = JSON.parse(readFileSync(join(reference.out, 'report', 'summary.json'), 'utf8'));
    expect(summary.folds).toHaveLength(2);
    for (const f of summary.folds) expect(f.device).toMatch(/^wasm/);
  }, 300_000);

  it('a fold cancelled mid-training fails the final job naming it; resubmitted, it resumes to the uninterrupted result', async () => {
    const workDir = join(WORKSPACE_ROOT, resumed.work);
    const paths = slurmLayout(workDir);
    const first = spawn(process.execPath, args(resumed.out), { cwd: WORKSPACE_ROOT, env: env(resumed.work) });
    let output = '';
    first.stdout.on('data', (d) => (output += d));
    first.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((r) => first.on('exit', r));

    const rec = await until('the submission', () => (existsSync(paths.record) ? readSubmittedRun(workDir) : undefined));
    // A second submission into the same work directory while the first runs is refused.
    const second = pipeline(resumed.work, resumed.out, ['--detach']);
    expect(second.status).toBe(1);
    expect(text(second)).toMatch(/Slurm jobs .* of an earlier submission are still using/);

    const ckpt = join(workDir, 'fold-0', 'stage1', 'checkpoints');
    await until('fold 0 to checkpoint its first epoch', () => (existsSync(ckpt) && readdirSync(ckpt).some((f) => f.endsWith('.json')) ? true : undefined));
    expect(spawnSync('scancel', [`${rec.jobs.folds}_0`]).status).toBe(0);

    expect(await exited).toBe(1);
    expect(output).toMatch(new RegExp(`fold 0 \\(job ${rec.jobs.folds}_0\\): CANCELLED`));
    expect(output).toContain(`the final job ${rec.jobs.final} ended FAILED`);
    expect(output).toContain(`fold 0 did not finish`);
    expect(output).toContain(`see ${paths.foldLog(0)}`);
    expect(existsSync(join(workDir, 'fold-0', 'result.json'))).toBe(false);

    // Resubmitted detached, then followed: fold 0 resumes, fold 1 is not retrained.
    const detached = pipeline(resumed.work, resumed.out, ['--detach']);
    expect(detached.status).toBe(0);
    expect(text(detached)).toMatch(/jobs: \d+ \(data \+ folds\), \d+ \(fold array 0-1\), \d+ \(ensemble → report\)/);
    expect(text(detached)).toContain('--slurm --follow');
    const followed = pipeline(resumed.work, resumed.out, ['--follow']);
    expect(text(followed)).not.toMatch(/error:/);
    expect(followed.status).toBe(0);
    const lastAttempt = (fold: number) => readFileSync(paths.foldLog(fold), 'utf8').split(/^\[slurm\] /m).at(-1) ?? '';
    expect(lastAttempt(0)).toMatch(/resuming after epoch [1-3]\/4/);
    expect(lastAttempt(1)).toMatch(/fold 1: already trained/);

    // The same result as the run that was never interrupted.
    const weights = (work: string, stage: number) => readFileSync(join(WORKSPACE_ROOT, work, 'fold-0', `stage${stage}`, 'best', 'weights.bin'));
    expect(weights(resumed.work, 1).equals(weights(reference.work, 1))).toBe(true);
    expect(weights(resumed.work, 2).equals(weights(reference.work, 2))).toBe(true);
    expect(readFileSync(join(resumed.out, 'submission.csv'), 'utf8')).toBe(readFileSync(join(reference.out, 'submission.csv'), 'utf8'));
  }, 400_000);
});
