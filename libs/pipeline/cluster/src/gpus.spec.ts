import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecResult } from './exec';
import { acquireGpuSlot, detectGpus, devicesFromEnv, foldGpuEnv, gpuSchedule, parseNvidiaSmiList, pinFoldToGpu, resolveGpus } from './gpus';

// Real `nvidia-smi -L` output of a 4-GPU node, one GPU split into MIG instances.
const FOUR_GPUS = [
  'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5fd8a3c1-1111-2222-3333-444455556666)',
  'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-7a2b0c9d-1111-2222-3333-444455556666)',
  '  MIG 1g.5gb     Device  0: (UUID: MIG-0e6f3a2b-1111-2222-3333-444455556666)',
  'GPU 2: NVIDIA A100-SXM4-40GB (UUID: GPU-9c1d2e3f-1111-2222-3333-444455556666)',
  'GPU 3: NVIDIA A100-SXM4-40GB (UUID: GPU-0b1c2d3e-1111-2222-3333-444455556666)',
  '',
].join('\n');

const smi = (stdout: string, status = 0): (() => ExecResult) => () => ({ status, stdout, stderr: '' });
const absent = (): ExecResult => ({ status: null, stdout: '', stderr: '', error: Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' }) });

describe('parseNvidiaSmiList', () => {
  it('reads index, name and UUID of each GPU line and skips MIG lines', () => {
    const gpus = parseNvidiaSmiList(FOUR_GPUS);
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(gpus[1]).toEqual({ index: 1, name: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-7a2b0c9d-1111-2222-3333-444455556666' });
  });
  it('reads a line without a UUID', () => {
    expect(parseNvidiaSmiList('GPU 0: Tesla K80\n')).toEqual([{ index: 0, name: 'Tesla K80' }]);
  });
});

describe('detectGpus', () => {
  it('runs nvidia-smi -L through the injected runner', () => {
    const calls: string[][] = [];
    const found = detectGpus((cmd, args) => {
      calls.push([cmd, ...args]);
      return { status: 0, stdout: FOUR_GPUS, stderr: '' };
    });
    expect(calls).toEqual([['nvidia-smi', '-L']]);
    expect(found.gpus).toHaveLength(4);
  });
  it('says why there are none when nvidia-smi is absent or fails', () => {
    expect(detectGpus(absent)).toEqual({ gpus: [], reason: 'nvidia-smi -L not found' });
    const failed = detectGpus(() => ({ status: 9, stdout: 'NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.', stderr: '' }));
    expect(failed.gpus).toEqual([]);
    expect(failed.reason).toMatch(/exited with 9: NVIDIA-SMI has failed/);
  });
});

describe('resolveGpus', () => {
  const four = { detect: () => detectGpus(smi(FOUR_GPUS)), gpuBackendInstalled: (): boolean => true };
  const none = { detect: () => detectGpus(absent), gpuBackendInstalled: (): boolean => true };

  it.each([
    ['auto with tensorflow-gpu and 4 GPUs', undefined, 'tensorflow-gpu', four, [0, 1, 2, 3]],
    ['auto with the auto backend and 4 GPUs', undefined, 'auto', four, [0, 1, 2, 3]],
    ['auto without nvidia-smi', undefined, 'tensorflow-gpu', none, []],
    ['auto with the wasm backend', undefined, 'wasm', four, []],
    ['auto with the CPU tensorflow backend', undefined, 'tensorflow', four, []],
    ['auto when tfjs-node-gpu is not installed', undefined, undefined, { ...four, gpuBackendInstalled: (): boolean => false }, []],
    ['none', 'none', 'tensorflow-gpu', four, []],
    ['all', 'all', undefined, four, [0, 1, 2, 3]],
    ['a list', '0,2,3', 'tensorflow-gpu', four, [0, 2, 3]],
    ['a list without nvidia-smi (trusted)', '1', 'tensorflow-gpu', none, [1]],
  ])('%s', (_what, flag, backend, opts, devices) => {
    expect(resolveGpus(flag, { backend, ...opts }).devices).toEqual(devices);
  });

  it('says why no GPU is used', () => {
    expect(resolveGpus(undefined, { backend: 'wasm', ...four }).reason).toBe('no GPUs (backend wasm)');
    expect(resolveGpus(undefined, { backend: 'tensorflow-gpu', ...none }).reason).toBe('no GPUs (nvidia-smi -L not found)');
  });

  it.each([
    ['5', four, /no GPU 5 \(nvidia-smi -L lists 0, 1, 2, 3\)/],
    ['0,x', four, /list of GPU indices/],
    ['1,1', four, /names a GPU twice/],
    ['all', none, /--gpus all: no GPU found \(nvidia-smi -L not found\)/],
  ])('rejects --gpus %s', (flag, opts, message) => {
    expect(() => resolveGpus(flag, { backend: 'tensorflow-gpu', ...opts })).toThrow(message);
  });

  it('rejects GPUs with a CPU backend', () => {
    expect(() => resolveGpus('0', { backend: 'wasm', ...four })).toThrow(/needs the tensorflow-gpu backend/);
  });
});

describe('the schedule and environment each fold process receives', () => {
  it('puts fold k on device k mod n', () => {
    // 5 folds over devices 0, 2, 3: 0→0, 1→2, 2→3, 3→0, 4→2.
    expect(gpuSchedule(5, [0, 2, 3]).map((s) => s.gpu)).toEqual([0, 2, 3, 0, 2]);
    expect(gpuSchedule(2, []).map((s) => s.gpu)).toEqual([undefined, undefined]);
  });

  it('gives one visible device and memory growth', () => {
    expect(foldGpuEnv(4, [0, 2, 3])).toEqual({ CUDA_VISIBLE_DEVICES: '2', TF_FORCE_GPU_ALLOW_GROWTH: 'true' });
    expect(foldGpuEnv(4, [])).toEqual({});
  });

  it('pins a fold from the list the wrapper passes in SEGKIT_GPUS', () => {
    const env: NodeJS.ProcessEnv = { SEGKIT_GPUS: '0,2,3' };
    expect(pinFoldToGpu(3, env)).toEqual({ gpu: 0, device: 'GPU 0' });
    expect(env.CUDA_VISIBLE_DEVICES).toBe('0');
    expect(env.TF_FORCE_GPU_ALLOW_GROWTH).toBe('true');
  });

  it('keeps the device Slurm assigned and changes nothing without a plan', () => {
    const slurm: NodeJS.ProcessEnv = { CUDA_VISIBLE_DEVICES: '1', SLURMD_NODENAME: 'gpu07' };
    expect(pinFoldToGpu(0, slurm)).toEqual({ device: 'CUDA_VISIBLE_DEVICES=1 on gpu07' });
    expect(slurm.CUDA_VISIBLE_DEVICES).toBe('1');
    const plain: NodeJS.ProcessEnv = {};
    expect(pinFoldToGpu(0, plain)).toEqual({});
    expect(plain).toEqual({});
  });

  it('rejects a malformed SEGKIT_GPUS', () => {
    expect(() => devicesFromEnv({ SEGKIT_GPUS: 'gpu0' })).toThrow(/SEGKIT_GPUS/);
  });
});

describe('acquireGpuSlot', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gpu-slot-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets one training fold per GPU run at a time; the next waits until it is released', async () => {
    const first = await acquireGpuSlot(0, 0, { dir, pollMs: 5 });
    expect(JSON.parse(readFileSync(join(dir, 'gpu-0.lock'), 'utf8')).command).toBe('fold 0');
    const other = await acquireGpuSlot(1, 1, { dir, pollMs: 5 }); // another GPU is free
    const waits: string[] = [];
    let secondHeld = false;
    const second = acquireGpuSlot(0, 2, { dir, pollMs: 5, log: (m) => waits.push(m) }).then((l) => {
      secondHeld = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(secondHeld).toBe(false);
    expect(waits).toEqual([`fold 2 waits for GPU 0 (held by fold 0, pid ${process.pid})`]);
    first.release();
    const lock = await second;
    expect(JSON.parse(readFileSync(join(dir, 'gpu-0.lock'), 'utf8')).command).toBe('fold 2');
    lock.release();
    other.release();
    expect(existsSync(join(dir, 'gpu-0.lock'))).toBe(false);
  });
});
