/**
 * One fold per GPU on one machine.
 *
 * TensorFlow maps nearly all memory of every GPU it can see, so fold processes started side by side
 * either fail to allocate or all land on GPU 0. The `npm run pipeline` wrapper resolves `--gpus` to a
 * device list and passes it to every step as the run's `gpus` setting (see @segkit/run's RunSettings); a fold step then pins itself to one device
 * (fold k on device k mod n) through `CUDA_VISIBLE_DEVICES`, with `TF_FORCE_GPU_ALLOW_GROWTH=true`,
 * before the backend loads libtensorflow. CPU-only steps ignore the list.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { defaultExec, Exec, execFailure } from './exec';
import { acquireLock, Lock } from '@segkit/process';
import { parseDeviceList, readRunSetting } from '@segkit/run';

export interface Gpu {
  index: number;
  name: string;
  uuid?: string;
}

/** The GPUs `nvidia-smi -L` found, or why there are none. */
export interface GpuDetection {
  gpus: Gpu[];
  /** Set when no GPU list could be read (no nvidia-smi, a driver error). */
  reason?: string;
}

/** The devices the fold steps are spread over, and why. */
export interface GpuPlan {
  /** CUDA device indices; empty means the folds do not use GPUs. */
  devices: number[];
  /** One line for the log, e.g. "GPUs 0, 1 (all that nvidia-smi lists)". */
  reason: string;
}


/**
 * Parses `nvidia-smi -L`, whose lines read
 * `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5fd8…)`; MIG lines (`  MIG 1g.5gb Device 0: …`) and
 * anything else are ignored.
 */
export function parseNvidiaSmiList(output: string): Gpu[] {
  const gpus: Gpu[] = [];
  for (const line of output.split('\n')) {
    const m = /^GPU (\d+): (.*?)(?: \(UUID: ([^)]+)\))?\s*$/.exec(line);
    if (m) gpus.push({ index: Number(m[1]), name: m[2], ...(m[3] ? { uuid: m[3] } : {}) });
  }
  return gpus;
}

/** Lists the GPUs with `nvidia-smi -L` (injectable, so tests need no GPU). */
export function detectGpus(exec: Exec = defaultExec): GpuDetection {
  const res = exec('nvidia-smi', ['-L']);
  if (res.error || res.status !== 0) return { gpus: [], reason: execFailure('nvidia-smi -L', res) };
  const gpus = parseNvidiaSmiList(res.stdout);
  return gpus.length > 0 ? { gpus } : { gpus: [], reason: 'nvidia-smi -L lists no GPU' };
}

export interface ResolveGpusOptions {
  /** The `--backend` value ('auto' or undefined when not forced). */
  backend?: string;
  /** Whether @tensorflow/tfjs-node-gpu is installed (only asked when the backend is auto). */
  gpuBackendInstalled: () => boolean;
  detect: () => GpuDetection;
}

/**
 * Resolves `--gpus <all|none|0,2,3>`; without the flag: every GPU nvidia-smi lists, but none
 * when it lists none, or the backend is not (or, under auto, cannot be) tensorflow-gpu.
 */
export function resolveGpus(flag: string | undefined, opts: ResolveGpusOptions): GpuPlan {
  const backend = opts.backend ?? 'auto';
  if (flag === 'none') return { devices: [], reason: 'no GPUs (--gpus none)' };
  if (flag !== undefined) {
    if (backend !== 'auto' && backend !== 'tensorflow-gpu') throw new UserError(`--gpus ${flag} needs the tensorflow-gpu backend, but --backend is ${backend}`);
    const found = opts.detect();
    if (flag === 'all') {
      if (found.gpus.length === 0) throw new UserError(`--gpus all: no GPU found (${found.reason})`);
      return { devices: found.gpus.map((g) => g.index), reason: `GPUs ${found.gpus.map((g) => g.index).join(', ')} (--gpus all)` };
    }
    const devices = parseDeviceList(flag, '--gpus');
    // Without nvidia-smi (some containers) the list is trusted; with it, every index must exist.
    if (found.gpus.length > 0) {
      const known = new Set(found.gpus.map((g) => g.index));
      const missing = devices.filter((d) => !known.has(d));
      if (missing.length > 0) throw new UserError(`--gpus ${flag}: no GPU ${missing.join(', ')} (nvidia-smi -L lists ${[...known].join(', ')})`);
    }
    return { devices, reason: `GPUs ${devices.join(', ')} (--gpus)` };
  }
  if (backend !== 'auto' && backend !== 'tensorflow-gpu') return { devices: [], reason: `no GPUs (backend ${backend})` };
  const found = opts.detect();
  if (found.gpus.length === 0) return { devices: [], reason: `no GPUs (${found.reason})` };
  if (backend === 'auto' && !opts.gpuBackendInstalled()) return { devices: [], reason: 'no GPUs (@tensorflow/tfjs-node-gpu is not installed)' };
  const devices = found.gpus.map((g) => g.index);
  return { devices, reason: `GPUs ${devices.join(', ')} (all that nvidia-smi lists)` };
}

/** Parses "0,2,3" into distinct non-negative device indices; the error names `source`. */

/** The device fold k trains and predicts on: k mod n over the plan's devices. */
export function foldDevice(fold: number, devices: readonly number[]): number | undefined {
  return devices.length === 0 ? undefined : devices[fold % devices.length];
}

/** Fold → device for k folds, in fold order. */
export function gpuSchedule(k: number, devices: readonly number[]): { fold: number; gpu: number | undefined }[] {
  return Array.from({ length: k }, (_, fold) => ({ fold, gpu: foldDevice(fold, devices) }));
}

/** The environment a fold process needs to see only its own GPU (empty without GPUs). */
export function foldGpuEnv(fold: number, devices: readonly number[]): Record<string, string> {
  const gpu = foldDevice(fold, devices);
  return gpu === undefined ? {} : { CUDA_VISIBLE_DEVICES: String(gpu), TF_FORCE_GPU_ALLOW_GROWTH: 'true' };
}

/** The devices the wrapper passed down in the run's `gpus` setting (empty when unset). */
export function devicesFromEnv(env: NodeJS.ProcessEnv = process.env): number[] {
  return readRunSetting(env, 'gpus') ?? [];
}

/**
 * Pins this fold process to its GPU: sets CUDA_VISIBLE_DEVICES and TF_FORCE_GPU_ALLOW_GROWTH in
 * `env` (the process environment by default, read by CUDA when libtensorflow loads, so call this
 * before the backend is set up). Returns the device, or a description of the device Slurm (or
 * the user) already chose; undefined when the fold runs without a GPU plan.
 */
export function pinFoldToGpu(fold: number, env: NodeJS.ProcessEnv = process.env): { gpu?: number; device?: string } {
  const devices = devicesFromEnv(env);
  if (devices.length > 0) {
    Object.assign(env, foldGpuEnv(fold, devices));
    const gpu = foldDevice(fold, devices) as number;
    return { gpu, device: `GPU ${gpu}` };
  }
  // Under Slurm with --gres=gpu:N the scheduler sets CUDA_VISIBLE_DEVICES for the task.
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && visible.trim() !== '') {
    env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
    return { device: `CUDA_VISIBLE_DEVICES=${visible}${env.SLURMD_NODENAME ? ` on ${env.SLURMD_NODENAME}` : ''}` };
  }
  return {};
}

/** Where the per-GPU slot locks live: one machine's GPUs, shared by every run on it. */
export function gpuLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SEGKIT_GPU_LOCK_DIR ?? join(tmpdir(), 'segkit-gpu-locks');
}

/**
 * Waits until no other training fold holds `gpu` on this machine, then holds it until release()
 * (or process exit; a killed holder's lock is stale and taken over: @segkit/process's lock). This
 * keeps at most one training fold per GPU when there are more folds than GPUs and Nx starts them
 * side by side.
 */
export async function acquireGpuSlot(gpu: number, fold: number, opts: { dir?: string; log?: (msg: string) => void; pollMs?: number } = {}): Promise<Lock> {
  return acquireLock(join(opts.dir ?? gpuLockDir(), `gpu-${gpu}.lock`), {
    what: `GPU ${gpu}`,
    command: `fold ${fold}`,
    wait: true,
    pollMs: opts.pollMs,
    onWait: (h) => opts.log?.(`fold ${fold} waits for GPU ${gpu} (held by ${h.command}, pid ${h.pid})`),
  });
}

/** Whether @tensorflow/tfjs-node-gpu is installed (resolvable; not loaded: that is the backend lib's job). */
export function gpuBackendInstalled(): boolean {
  const id = ['@tensorflow', 'tfjs-node-gpu'].join('/');
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}
