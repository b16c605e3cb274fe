/**
 * `npm run doctor`: what this machine gives the pipeline, in a few lines — which backends load
 * and why the others do not, the native CPU kernels, the GPUs, the CUDA/cuDNN libraries the
 * dynamic loader would find, threads, and what `npm run pipeline` would choose.
 *
 * Every probe is injectable, so the lines are tested without a GPU, CUDA or native packages.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { BACKEND_CHOICES, BackendChoice, nativeKernelStatus, resolveBackendChoice, setupBackend, splitCores } from '@segkit/backend';
import { readRunSetting, RUN_ENV } from '@segkit/run';
import { defaultExec, Exec } from './exec';
import { detectGpus, GpuDetection, gpuBackendInstalled, resolveGpus } from './gpus';

type Candidate = Exclude<BackendChoice, 'auto'>;
const CANDIDATES = BACKEND_CHOICES.filter((c): c is Candidate => c !== 'auto');

export interface BackendProbe {
  candidate: Candidate;
  ok: boolean;
  reason?: string;
}

/** The state of the native (oneDNN) CPU kernels, as the backend lib reports it. */
export interface NativeKernelState {
  available: boolean;
  reason?: string;
  version?: string;
  threads: number;
}

/**
 * The shared libraries libtensorflow 2.9.1 (what @tensorflow/tfjs-node-gpu 4.22 downloads) opens
 * for the GPU: the driver's libcuda, the CUDA 11.2 runtime and math libraries, cuDNN 8.
 */
export const CUDA_LIBRARIES = [
  'libcuda.so.1',
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
] as const;

export interface DoctorProbes {
  /** Tries each backend in the auto order (the default loads them for real, in this process). */
  backends: () => Promise<BackendProbe[]>;
  nativeKernels: () => NativeKernelState;
  gpus: () => GpuDetection;
  /** `ldconfig -p` output (the dynamic loader's cache); '' when unavailable. */
  ldconfig: () => string;
  fileExists: (path: string) => boolean;
  gpuBackendInstalled: () => boolean;
  env: NodeJS.ProcessEnv;
  cores: number;
  /** folds.k and compute.threads of the run's config (SEGKIT_CONFIG, default preset). */
  folds: number;
  configThreads?: number | 'auto';
}

/** Loads each backend in turn; once tensorflow-gpu loads, tfjs-node is not loaded beside it (both register 'tensorflow'). */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const candidate of CANDIDATES) {
    if (candidate === 'tensorflow' && out[0]?.ok) {
      out.push({ candidate, ok: false, reason: "not probed: tensorflow-gpu already provides the 'tensorflow' backend in this process" });
      continue;
    }
    try {
      await setupBackend({ choice: candidate, log: () => undefined });
      out.push({ candidate, ok: true });
    } catch (err) {
      // The backend lib's message: 'backend "x" (from --backend) cannot be used: <reason>'.
      const msg = (err as Error).message;
      out.push({ candidate, ok: false, reason: msg.replace(/^backend "[^"]+" \(from [^)]+\) cannot be used: /, '') });
    }
  }
  return out;
}

/** The native (oneDNN) CPU kernels' state, as the backend lib reports it: the one place the doctor reads it. */
export function nativeKernelStatusProbe(): NativeKernelState {
  return nativeKernelStatus();
}

export function defaultProbes(config: { folds: number; threads?: number | 'auto' }, exec: Exec = defaultExec): DoctorProbes {
  return {
    backends: probeBackends,
    nativeKernels: nativeKernelStatusProbe,
    folds: config.folds,
    configThreads: config.threads,
    gpus: () => detectGpus(exec),
    ldconfig: () => {
      const res = exec('ldconfig', ['-p']);
      return res.status === 0 ? res.stdout : '';
    },
    fileExists: existsSync,
    gpuBackendInstalled,
    env: process.env,
    cores: availableParallelism(),
  };
}

/** Where the dynamic loader of a 64-bit process would find each library: LD_LIBRARY_PATH first, then its cache. */
export function findLibraries(names: readonly string[], ldLibraryPath: string | undefined, ldconfig: string, fileExists: (p: string) => boolean): { name: string; path?: string }[] {
  const dirs = (ldLibraryPath ?? '').split(delimiter).filter((d) => d !== '');
  const cache = new Map<string, string>();
  for (const line of ldconfig.split('\n')) {
    const m = /^\s*(\S+) \(([^)]*)\) => (\S+)/.exec(line);
    // Entries of a 64-bit process read "(libc6,x86-64)" or "(libc6,AArch64)"; "(libc6)" alone is 32-bit.
    if (m && !cache.has(m[1]) && /64/.test(m[2])) cache.set(m[1], m[3]);
  }
  return names.map((name) => {
    const dir = dirs.find((d) => fileExists(join(d, name)));
    const path = dir ? join(dir, name) : cache.get(name);
    return path ? { name, path } : { name };
  });
}

function nativeLine(state: NativeKernelState): string {
  if (!state.available) return `native CPU kernels: off (${state.reason ?? 'not built'})`;
  return `native CPU kernels: on${state.version ? ` (oneDNN ${state.version})` : ''}`;
}

/** The doctor's lines. */
export async function doctorLines(probes: DoctorProbes): Promise<string[]> {
  const backends = await probes.backends();
  const lines: string[] = [];
  lines.push(`backends: ${backends.map((b) => (b.ok ? `${b.candidate} loads` : `${b.candidate} no (${b.reason})`)).join('; ')}`);
  lines.push(nativeLine(probes.nativeKernels()));

  const gpus = probes.gpus();
  lines.push(gpus.gpus.length > 0 ? `GPUs: ${gpus.gpus.length}: ${gpus.gpus.map((g) => `${g.index} ${g.name}`).join(', ')}` : `GPUs: none (${gpus.reason})`);

  const libs = findLibraries(CUDA_LIBRARIES, probes.env.LD_LIBRARY_PATH, probes.ldconfig(), probes.fileExists);
  const found = libs.filter((l) => l.path);
  const missing = libs.filter((l) => !l.path).map((l) => l.name);
  lines.push(
    `CUDA 11 / cuDNN 8 libraries (for tensorflow-gpu): ${found.length}/${libs.length} found` +
      (found.length > 0 ? ` (${found.map((l) => l.path).join(', ')})` : '') +
      (missing.length > 0 ? `; missing ${missing.join(', ')}` : '') +
      ' — searched LD_LIBRARY_PATH and the ldconfig cache',
  );

  // As `npm run pipeline` splits the cores between fold processes and native threads.
  let threadsReq: number | 'auto' | undefined = probes.configThreads;
  threadsReq = readRunSetting(probes.env, 'threads') ?? threadsReq;
  const split = splitCores(probes.cores, probes.folds, { threads: threadsReq });
  const pool = probes.env.UV_THREADPOOL_SIZE;
  lines.push(
    `threads: ${probes.cores} core(s) available; ${split.parallel} fold process(es) x ${split.threads} native thread(s) for ${probes.folds} folds; ` +
      `libuv pool ${pool ?? '4 (default)'}; tfjs's own wasm kernels run single-threaded in Node`,
  );

  let choice: { choice: BackendChoice; source: string };
  try {
    choice = resolveBackendChoice({ env: probes.env });
  } catch (err) {
    lines.push(`pipeline would choose: nothing — ${(err as Error).message}`);
    return lines;
  }
  const order = choice.choice === 'auto' ? CANDIDATES : [choice.choice];
  const chosen = backends.find((b) => order.includes(b.candidate) && b.ok);
  // As the pipeline decides: from the requested backend, not the one this process ended up with.
  const plan = resolveGpus(undefined, { backend: choice.choice, gpuBackendInstalled: probes.gpuBackendInstalled, detect: () => gpus });
  const backendText = chosen ? `backend ${chosen.candidate} (${choice.choice === 'auto' ? 'auto' : `${choice.choice} from ${RUN_ENV.backend}`})` : `no backend: ${choice.choice} does not load`;
  lines.push(`pipeline would choose: ${backendText}, --parallel ${split.parallel} --threads ${split.threads}, ${plan.reason}`);
  return lines;
}
