/**
 * End to end, the way things go wrong for a competitor: bad flags and folders caught before any
 * work, a diverging fold named, two runs on one work directory, two runs of other configs at
 * once, Ctrl-C, `kill -9` of the run,
 * and kill -9 in the middle of checkpoint, prediction and submission writes.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadTensors } from '@segkit/backend';
import { parseTempName, readNpyInfo } from '@segkit/io';
import { isRunning, readSteps } from '@segkit/process';
import { Rng } from '@segkit/random';
import { LAYOUTS } from '@segkit/layouts';
import { validateSubmission } from '@segkit/submit';
import { generateSynthetic } from '@segkit/synthetic';
import { nxWorkspaceData, runLayout } from '@segkit/run';
import { WORKSPACE_ROOT } from './context';

// Entry points start from their cached bundle, as the pipeline's steps do (tools/run/bundled.cjs).
const BUNDLED = join(WORKSPACE_ROOT, 'tools', 'run', 'bundled.cjs');

const SIZE = 32;
const root = join(WORKSPACE_ROOT, 'tmp', `e2e-reliability-${process.pid}`);
const rel = (...parts: string[]) => join(relative(WORKSPACE_ROOT, root), ...parts);
const dataDir = join(root, 'data');
const configPath = join(root, 'tiny.json');

const tinyConfig = {
  name: 'e2e-reliability',
  seed: 5,
  folds: { k: 2 },
  model: { depth: 2, baseFilters: 4 },
  train: { batchSize: 8 },
  stage1: { epochs: 2, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 1, lr: 0.002, loss: [{ kind: 'lovasz', weight: 1 }] },
  predict: { batchSize: 16 },
  tune: { probSteps: 5, refineSteps: 3, minAreas: [0, 5] },
};

// Every step really runs here (nothing restored from the Nx cache), so each test sees real processes.
const baseEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true' };

function entryArgs(script: string, args: string[]): string[] {
  return ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/pipeline/src', script), ...args];
}
function runSync(args: string[], workRel: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, entryArgs('run.ts', args), { cwd: WORKSPACE_ROOT, env: { ...baseEnv, SEGKIT_WORK: workRel, ...env }, encoding: 'utf8' });
}
function startRun(args: string[], workRel: string, detached = false): { child: ChildProcess; output: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, entryArgs('run.ts', args), { cwd: WORKSPACE_ROOT, env: { ...baseEnv, SEGKIT_WORK: workRel }, stdio: ['ignore', 'pipe', 'pipe'], detached });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, output: () => out, exit };
}
const pipelineArgs = (out: string, config = configPath) => ['--data', dataDir, '--out', out, '--config', config, '--backend', 'wasm'];

async function until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Fails unless the run failed cleanly: exit status, the last line, no stack trace, nothing in `out`. */
function expectCleanFailure(res: SpawnSyncReturns<string>, lastLine: RegExp, out?: string): void {
  const output = (res.stderr + res.stdout).trim();
  expect(res.status).toBe(1);
  expect(res.stderr.trim().split('\n').pop()).toMatch(lastLine);
  expect(output).not.toMatch(/^\s+at /m);
  if (out) expect(existsSync(out)).toBe(false);
}

beforeAll(async () => {
  mkdirSync(root, { recursive: true });
  await generateSynthetic({ outDir: dataDir, truthPath: join(root, 'truth.csv'), nTrain: 24, nTest: 8, size: SIZE, seed: 3 });
  // As saved by Excel: a byte order mark and CRLF line endings (the submission must carry neither BOM nor stray CR).
  const sample = readFileSync(join(dataDir, 'sample_submission.csv'), 'utf8');
  writeFileSync(join(dataDir, 'sample_submission.csv'), '\uFEFF' + sample.replace(/\n/g, '\r\n'));
  writeFileSync(configPath, JSON.stringify(tinyConfig));
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the data folder with `edit` applied. */
function dataVariant(name: string, edit: (dir: string) => Promise<void> | void): Promise<string> {
  const dir = join(root, name);
  cpSync(dataDir, dir, { recursive: true });
  return Promise.resolve(edit(dir)).then(() => dir);
}

describe('caught before any work starts', () => {
  it('--out naming an existing regular file', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    const res = runSync(pipelineArgs(file), rel('work-preflight'));
    expectCleanFailure(res, new RegExp(`^error: --out ${file} is an existing file, not a folder$`));
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('--data naming a file and --config naming a folder', () => {
    const out = join(root, 'out-bad-flags');
    expectCleanFailure(runSync(['--data', configPath, '--out', out], rel('work-preflight')), /^error: data directory .* does not exist \(it is a file\)$/, out);
    expectCleanFailure(runSync(['--config', root, '--out', out], rel('work-preflight')), new RegExp(`^error: ${root}: is a directory, not a config file`), out);
  });

  it('test images of another size than the train images: both sizes and a file of each', async () => {
    const { default: sharp } = await import('sharp');
    const dir = await dataVariant('data-test-size', async (d) => {
      const testDir = join(d, 'test', 'images');
      for (const f of readdirSync(testDir)) {
        await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toFile(join(testDir, `${f}.new.png`));
        rmSync(join(testDir, f));
        cpSync(join(testDir, `${f}.new.png`), join(testDir, f));
        rmSync(join(testDir, `${f}.new.png`));
      }
    });
    const out = join(root, 'out-test-size');
    const res = runSync(['--data', dir, '--out', out, '--config', configPath], rel('work-preflight'));
    expectCleanFailure(res, /^error: test images are 40x40 \(HxW, e\.g\. .*test\/images\/\w+\.png\) but train images are 32x32 \(e\.g\. .*train\/images\/\w+\.png\)/, out);
  });

  it('one odd train image that sorts first is the one named', async () => {
    const { default: sharp } = await import('sharp');
    const odd = join(root, 'data-odd', 'train', 'images', '0000000000.png');
    const dir = await dataVariant('data-odd', async (d) => {
      await sharp({ create: { width: 30, height: 30, channels: 3, background: { r: 1, g: 1, b: 1 } } }).png().toFile(join(d, 'train', 'images', '0000000000.png'));
      await sharp({ create: { width: 30, height: 30, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toFile(join(d, 'train', 'masks', '0000000000.png'));
    });
    const res = runSync(['--data', dir, '--out', join(root, 'out-odd'), '--config', configPath], rel('work-preflight'));
    expectCleanFailure(res, new RegExp(`^error: ${odd} is 30x30 \\(HxW\\) but the other images are 32x32`));
  });
});

describe('a pipeline run', () => {
  const refWork = rel('work-reference');
  const refOut = join(root, 'out-reference');
  let reference: string;

  it('uninterrupted, as the reference; the BOM of the sample submission never reaches the submission', () => {
    const res = runSync(pipelineArgs(refOut), refWork);
    expect(res.stderr).not.toMatch(/error:/);
    expect(res.status).toBe(0);
    reference = readFileSync(join(refOut, 'submission.csv'), 'utf8');
    expect(reference.startsWith('id,rle_mask\n')).toBe(true);
    expect(reference).not.toMatch(/[\uFEFF\r]/);
    expect(readdirSync(join(WORKSPACE_ROOT, refWork, 'run', 'steps'))).toEqual([]);
  }, 300_000);

  it('a temp file a killed writer left in an output folder is neither cached by Nx nor restored from it', () => {
    const tuneDir = join(WORKSPACE_ROOT, refWork, 'tune');
    const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const stale = join(tuneDir, `tune.json.tmp-${deadPid}-0a1b2c3d`);
    writeFileSync(stale, '{"half": ');
    const nx = () =>
      spawnSync(process.execPath, [join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx'), 'run', 'pipeline:tune', '--exclude-task-dependencies', '--output-style=stream'], {
        cwd: WORKSPACE_ROOT,
        // The run's own Nx workspace data, as `npm run pipeline` gives Nx: in the shared default, an Nx
        // of another suite building its graph at the same moment would lend this one its targets.
        env: { ...baseEnv, NX_SKIP_NX_CACHE: 'false', NX_WORKSPACE_DATA_DIRECTORY: nxWorkspaceData(join(WORKSPACE_ROOT, refWork)), SEGKIT_WORK: refWork, SEGKIT_CONFIG: configPath, SEGKIT_DATA: dataDir, SEGKIT_BACKEND: 'wasm' },
        encoding: 'utf8',
      });
    const first = nx();
    expect(first.status).toBe(0);
    expect(existsSync(stale)).toBe(false);
    rmSync(tuneDir, { recursive: true });
    const restored = nx();
    expect(restored.status).toBe(0);
    expect(restored.stdout).toMatch(/local cache|remote cache|existing outputs match the cache/);
    expect(readdirSync(tuneDir)).toEqual(['tune.json']);
  }, 120_000);

  it('a diverging fold fails the run naming the step, its exit status, and fold, stage, epoch and step, last', () => {
    const diverging = join(root, 'diverging.json');
    writeFileSync(diverging, JSON.stringify({ ...tinyConfig, stage1: { ...tinyConfig.stage1, lr: 1e30 } }));
    const out = join(root, 'out-diverging');
    const res = runSync(pipelineArgs(out, diverging), rel('work-diverging'), { NX_SKIP_NX_CACHE: 'true' });
    expectCleanFailure(
      res,
      /^error: step train-fold-[01] failed \(exit status 1\): fold [01] stage 1 epoch [12]\/2 (step \d+\/\d+|validation): training diverged \(.*\); lower stage1\.lr \(now 1e\+30\) in the config and rerun$/,
      out,
    );
  }, 300_000);

  it('a second run on the same work directory refuses naming the first; SIGTERM stops the first and every step', async () => {
    const workRel = rel('work-concurrent');
    const paths = runLayout(join(WORKSPACE_ROOT, workRel)).run;
    const first = startRun(pipelineArgs(join(root, 'out-first')), workRel);
    await until(() => readSteps(paths.steps).running.some((s) => s.step.startsWith('train-fold')), 'a training step of the first run');
    const second = runSync(pipelineArgs(join(root, 'out-second')), workRel);
    expectCleanFailure(
      second,
      new RegExp(`^error: the work directory .* is in use by another run \\(pid ${first.child.pid}, started [0-9T:.Z-]+, command: npm run pipeline -- --data .*\\); wait for it to finish, stop it \\(kill ${first.child.pid}\\), or pass --wait`),
      join(root, 'out-second'),
    );

    const steps = readSteps(paths.steps).running;
    first.child.kill('SIGTERM');
    const end = await first.exit;
    expect(end.code).toBe(143);
    expect(first.output()).toMatch(/interrupted by SIGTERM: stopping nx \(pid \d+\)( and \d+ running step\(s\): .*train-fold-\d \(pid \d+\))?/);
    expect(first.output()).toMatch(/run the same command again to resume/);
    for (const s of steps) expect(isRunning(s.pid, s.startTime)).toBe(false);
    expect(readSteps(paths.steps).running).toEqual([]);
  }, 300_000);

  it('two runs of other configs started at the same moment each run their own folds', async () => {
    // Three folds and two: each run's Nx must build its own targets (Nx shares one project graph
    // between processes that build it at the same time).
    const three = join(root, 'three-folds.json');
    writeFileSync(three, JSON.stringify({ ...tinyConfig, name: 'three', folds: { k: 3 }, stage1: { ...tinyConfig.stage1, epochs: 1 } }));
    const runs = [
      { out: join(root, 'out-two'), work: rel('work-two'), config: configPath, k: 2 },
      { out: join(root, 'out-three'), work: rel('work-three'), config: three, k: 3 },
    ].map((r) => ({ ...r, run: startRun(pipelineArgs(r.out, r.config), r.work) }));
    for (const r of runs) {
      const end = await r.run.exit;
      expect({ k: r.k, code: end.code, tail: r.run.output().slice(-2000) }).toEqual({ k: r.k, code: 0, tail: expect.anything() });
      const summary = JSON.parse(readFileSync(join(r.out, 'report', 'summary.json'), 'utf8')) as { folds: unknown[] };
      expect({ k: r.k, folds: summary.folds.length }).toEqual({ k: r.k, folds: r.k });
    }
  }, 300_000);

  it('after kill -9 of the run and Nx (its process group) its steps stop by themselves; the next run takes over the lock and ends with the reference submission', async () => {
    const workRel = rel('work-killed');
    const paths = runLayout(join(WORKSPACE_ROOT, workRel)).run;
    // A process group of its own, as a terminal gives `npm run pipeline`: the run and Nx.
    const run = startRun(pipelineArgs(join(root, 'out-killed')), workRel, true);
    await until(() => readSteps(paths.steps).running.some((s) => s.step.startsWith('train-fold')), 'a training step');
    const steps = readSteps(paths.steps).running;
    // Nothing reads the steps' output after this: their watchdogs must stop them all the same.
    process.kill(-(run.child.pid as number), 'SIGKILL');
    await run.exit;
    await until(() => steps.every((s) => !isRunning(s.pid, s.startTime)), 'the orphaned steps to stop', 30_000);

    const again = runSync(pipelineArgs(join(root, 'out-killed')), workRel);
    expect({ status: again.status, tail: (again.stdout + again.stderr).slice(-3000) }).toEqual({ status: 0, tail: expect.anything() });
    expect(again.stdout + again.stderr).toMatch(new RegExp(`taking over the lock of a run that is gone \\(pid ${run.child.pid}, `));
    expect(readFileSync(join(root, 'out-killed', 'submission.csv'), 'utf8')).toBe(reference);
  }, 300_000);

  it('kill -9 in the middle of checkpoint, prediction and submission writes leaves only complete artifacts; the rerun gives the reference submission', () => {
    // The steps run one by one (as Nx would), each first killed once or twice at a random byte of
    // one kind of write, then run to the end. Fold 1 is copied from the reference run.
    const workRel = rel('work-faults');
    const work = join(WORKSPACE_ROOT, workRel);
    const refDir = join(WORKSPACE_ROOT, refWork);
    mkdirSync(work, { recursive: true });
    cpSync(join(refDir, 'folds.csv'), join(work, 'folds.csv'));
    cpSync(join(refDir, 'fold-1'), join(work, 'fold-1'), { recursive: true });
    const sampleIds = readFileSync(join(dataDir, 'sample_submission.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/).slice(1).map((l) => l.split(',')[0]);
    const rng = new Rng(20260);
    const size = (p: string) => statSync(join(refDir, p)).size;
    // Each step in order: killed at a random byte of each listed kind of write, then run to the end.
    const plan: [string[], [string, number][]][] = [
      [
        ['train', '--fold', '0'],
        [
          ['ckpt-', size('fold-0/stage1/checkpoints/' + readdirSync(join(refDir, 'fold-0/stage1/checkpoints')).find((f) => f.endsWith('.bin')))],
          ['weights.bin', size('fold-0/stage2/best/weights.bin')],
        ],
      ],
      [['predict', '--fold', '0'], [[join('fold-0', 'predict'), 4 * SIZE * SIZE * 12]]],
      [['predict', '--fold', '1'], []],
      [['ensemble'], [['ensemble', 4 * SIZE * SIZE * 24]]],
      [['tune'], []],
      [['submit'], [['submission.csv', size('submission/submission.csv')]]],
    ];
    const step = (args: string[], fault?: string) =>
      spawnSync(process.execPath, entryArgs('main.ts', [...args, '--config', configPath, '--data', dataDir, '--work', work, '--backend', 'wasm']), {
        cwd: WORKSPACE_ROOT,
        env: { ...baseEnv, ...(fault ? { SEGKIT_FAULT_KILL_AFTER_BYTES: fault } : {}) },
        encoding: 'utf8',
      });
    let killedMidWrite = 0;
    for (const [args, kills] of plan) {
      for (const [filter, bytes] of kills) {
        const at = 1 + Math.floor(rng.next() * (bytes - 1));
        const res = step(args, `${at}:${filter}`);
        if (res.signal === 'SIGKILL') killedMidWrite++;
        else expect({ args, status: res.status, stderr: res.stderr.slice(-1500) }).toEqual({ args, status: 0, stderr: expect.anything() }); // fewer bytes than drawn: nothing to kill
        expectCompleteArtifacts(work, sampleIds);
      }
      const res = step(args);
      expect({ args, status: res.status, stderr: res.stderr.slice(-1500) }).toEqual({ args, status: 0, stderr: expect.not.stringMatching(/error:/) });
    }
    expect(killedMidWrite).toBeGreaterThanOrEqual(4);
    expectCompleteArtifacts(work, sampleIds);
    expect(readFileSync(join(work, 'submission', 'submission.csv'), 'utf8')).toBe(reference);
    expect(tempsUnder(work)).toEqual([]);
  }, 300_000);
});

function tempsUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (parseTempName(e.name)) out.push(join(d, e.name));
      else if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/**
 * Every artifact under the final names is whole: JSON parses, .npy/.f32 sizes match their shape,
 * each model's weights.bin holds what its manifest lists, checkpoints load, the submission
 * validates. (Temporary files of killed writers may exist; nothing reads them.)
 */
function expectCompleteArtifacts(work: string, sampleIds: string[]): void {
  const pixels = SIZE * SIZE;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (parseTempName(e.name) || e.name === 'run') continue;
      if (e.isDirectory()) {
        if (existsSync(join(p, 'model.json')) || e.name === 'best') {
          const model = JSON.parse(readFileSync(join(p, 'model.json'), 'utf8'));
          const bytes = (model.weightsManifest as { weights: { shape: number[] }[] }[])
            .flatMap((g) => g.weights)
            .reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
          expect([p, statSync(join(p, 'weights.bin')).size]).toEqual([p, bytes]);
        }
        walk(p);
        continue;
      }
      if (e.name.endsWith('.json')) expect(() => JSON.parse(readFileSync(p, 'utf8'))).not.toThrow();
      else if (e.name.endsWith('.npy')) expect(readNpyInfo(p).shape.reduce((a, b) => a * b, 1) % pixels).toBe(0);
      else if (e.name.endsWith('.f32')) expect(statSync(p).size % (4 * pixels)).toBe(0);
      else if (/^ckpt-\d+\.bin$/.test(e.name)) Object.values(loadTensors(p)).forEach((t) => t.dispose());
      else if (e.name === 'submission.csv') validateSubmission(p, sampleIds, SIZE, SIZE, LAYOUTS.tgs.submission);
      else if (e.name.endsWith('.csv') || e.name.endsWith('.txt') || e.name.endsWith('.jsonl')) expect(readFileSync(p, 'utf8').endsWith('\n')).toBe(true);
    }
  };
  walk(work);
}
