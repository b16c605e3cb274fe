/**
 * GPU placement through the real processes, without a GPU: a fake `nvidia-smi` on PATH for the
 * wrapper's checks, and a fold step given the wrapper's SEGKIT_GPUS plan, whose GPU slot is held by
 * this test until it lets go.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { acquireGpuSlot } from '@segkit/cluster';
import { generateSynthetic } from '@segkit/synthetic';
import { WORKSPACE_ROOT } from './context';

// Entry points start from their cached bundle, as the pipeline's steps do (tools/run/bundled.cjs).
const BUNDLED = join(WORKSPACE_ROOT, 'tools', 'run', 'bundled.cjs');

const rel = join('tmp', `gpus-e2e-${process.pid}`);
const root = join(WORKSPACE_ROOT, rel);
const dataDir = join(root, 'data');
const binDir = join(root, 'bin');
const lockDir = join(root, 'gpu-locks');
const configPath = join(root, 'tiny.json');
const config = {
  name: 'gpus-e2e',
  folds: { k: 2 },
  model: { depth: 2, baseFilters: 4 },
  train: { batchSize: 8 },
  stage1: { epochs: 1, lr: 0.01, loss: [{ kind: 'bce', weight: 1 }] },
  stage2: { epochs: 1, lr: 0.002, loss: [{ kind: 'lovasz', weight: 1 }] },
};

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${binDir}${delimiter}${process.env.PATH}`,
  SEGKIT_WORK: join(rel, 'work'),
  SEGKIT_GPU_LOCK_DIR: lockDir,
  ...extra,
});
const step = (args: string[]) => [join(WORKSPACE_ROOT, 'apps/pipeline/src/main.ts'), ...args, '--config', configPath, '--data', dataDir, '--backend', 'wasm'];

beforeAll(async () => {
  mkdirSync(binDir, { recursive: true });
  // What `nvidia-smi -L` prints on a two-GPU machine.
  writeFileSync(join(binDir, 'nvidia-smi'), '#!/bin/sh\necho "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa)"\necho "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-bbbb)"\n');
  chmodSync(join(binDir, 'nvidia-smi'), 0o755);
  await generateSynthetic({ outDir: dataDir, truthPath: join(root, 'truth.csv'), nTrain: 16, nTest: 4, size: 32, seed: 2 });
  writeFileSync(configPath, JSON.stringify(config));
  const folds = spawnSync(process.execPath, ['--require', BUNDLED, ...step(['folds'])], { cwd: WORKSPACE_ROOT, env: env(), encoding: 'utf8' });
  expect(folds.status).toBe(0);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('--gpus against nvidia-smi', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--require', BUNDLED, join(WORKSPACE_ROOT, 'apps/pipeline/src/run.ts'), '--config', configPath, '--data', dataDir, ...args], { cwd: WORKSPACE_ROOT, env: env(), encoding: 'utf8' });

  it.each([
    [['--gpus', '5'], /--gpus 5: no GPU 5 \(nvidia-smi -L lists 0, 1\)/],
    [['--gpus', 'all', '--backend', 'wasm'], /--gpus all needs the tensorflow-gpu backend, but --backend is wasm/],
    [['--gpus', '0', '--slurm'], /on a cluster ask for them with --gres gpu:1/],
  ])('%j is refused before any work', (args, message) => {
    const res = run(args);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(message);
  });
});

describe('a fold process given the wrapper GPU plan', () => {
  it('pins itself to GPU k mod n, waits while another fold trains there, and records the device', async () => {
    // Fold 1 of SEGKIT_GPUS=0,2 belongs on GPU 2; this test holds GPU 2's training slot first.
    const held = await acquireGpuSlot(2, 9, { dir: lockDir });
    const child = spawn(process.execPath, ['--require', BUNDLED, ...step(['train', '--fold', '1'])], { cwd: WORKSPACE_ROOT, env: env({ SEGKIT_GPUS: '0,2' }) });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    const started = Date.now();
    while (!stderr.includes('waits for GPU 2') && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('[train] fold 1 on GPU 2');
    expect(stderr).toContain(`[train] fold 1 waits for GPU 2 (held by fold 9, pid ${process.pid})`);
    expect(stderr).not.toContain('stage 1 epoch 1/1:'); // not training while the slot is taken
    held.release();
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/\[train\] fold 1 stage 1 epoch 1\/1:/);
    const backend = JSON.parse(readFileSync(join(root, 'work', 'fold-1', 'backend.json'), 'utf8'));
    expect(backend.device).toBe('GPU 2');
  }, 120_000);
});
