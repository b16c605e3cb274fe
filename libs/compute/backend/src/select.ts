/**
 * Choosing the tfjs backend for this process.
 *
 * This is the only file in the repository that loads `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node`. Both are optional dependencies that need a native libtensorflow; they are
 * loaded through a `require` of a string variable (or an injected loader in tests), so neither
 * type-checking nor bundling needs them installed.
 *
 * Auto order: tensorflow-gpu (tfjs-node-gpu) -> tensorflow (tfjs-node) -> wasm+native (the wasm
 * backend with the oneDNN kernels of @segkit/native for convolutions and pooling) -> wasm (XNNPACK +
 * our training kernels) -> cpu (pure JS, hundreds of times slower for training).
 * The choice comes from, in precedence order: the explicit `choice` (a `--backend` flag), the
 * `SEGKIT_BACKEND` environment variable, the `config` value, else 'auto'. A forced backend that cannot
 * load is an error, never a silent fallback.
 */
import * as tf from '@tensorflow/tfjs';
import { log as ioLog, UserError } from '@segkit/io';
import { nativeAddon, resolveThreads } from '@segkit/native';
import { BackendChoice, parseBackendChoice, readRunSetting, RUN_ENV } from '@segkit/run';
import { activateWasm } from './wasm';
import { registerTrainingGradients } from './gradients/register';

export { BACKEND_CHOICES, parseBackendChoice } from '@segkit/run';
export type { BackendChoice } from '@segkit/run';

export interface BackendInfo {
  /** `tf.getBackend()` after setup: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** One line for logs and reports, e.g. `wasm+native (oneDNN 2.6.3, 2 threads)`. */
  description: string;
  /** Threads of the native kernels (1 for the other candidates, whose threading is their own). */
  threads: number;
  /** The requested choice after precedence ('auto' when nothing forced one). */
  choice: BackendChoice;
  /** Where the choice came from. */
  source: 'flag' | 'env' | 'config' | 'default';
  /** Which candidate was set up ('tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'). */
  candidate: Exclude<BackendChoice, 'auto'>;
  /** Candidates tried before the chosen one, and why each was skipped. */
  skipped: { candidate: string; reason: string }[];
}

export interface SetupBackendOptions {
  /** Explicit choice (the `--backend` flag); wins over everything. */
  choice?: BackendChoice;
  /** The config file's value; used when neither the flag nor SEGKIT_BACKEND is set. */
  config?: BackendChoice;
  /** Environment (default `process.env`), read for SEGKIT_BACKEND. */
  env?: NodeJS.ProcessEnv;
  /** Module loader for the native packages (default: Node's `require`). */
  loader?: (id: string) => unknown;
  /** Log sink (default: `[backend] ...` lines on stderr). */
  log?: (msg: string) => void;
  /** Threads for the native kernels (a step's `--threads`); see resolveThreads. */
  threads?: number | 'auto';
  /** The config's `compute.threads`, used when neither `threads` nor SEGKIT_THREADS is set. */
  configThreads?: number | 'auto';
}

const NATIVE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const;

/**
 * Checks, without switching backends, that a forced backend can be used in this process's
 * environment (for `npm run pipeline`, before any work, so a `--backend` that cannot load is
 * reported as the flag's, not as the environment variable its steps receive): wasm+native needs
 * the native addon, tensorflow(-gpu) its installed package. `source` names the setting in the error.
 */
export function checkForcedBackend(choice: BackendChoice, source: string, env: NodeJS.ProcessEnv = process.env): void {
  let reason: string | undefined;
  if (choice === 'wasm+native') {
    try {
      const state = nativeAddon(env);
      if (state.addon === undefined) reason = `native kernels unavailable: ${state.reason}`;
    } catch (err) {
      // A stale build says how to rebuild it.
      if (!(err instanceof UserError)) throw err;
      reason = err.message;
    }
  } else if (choice === 'tensorflow' || choice === 'tensorflow-gpu') {
    const id = NATIVE_PACKAGES[choice];
    try {
      require.resolve(id);
    } catch {
      reason = `${id} is not installed`;
    }
  }
  if (reason !== undefined) throw new UserError(`backend "${choice}" (from ${source}) cannot be used: ${reason}`);
}

/** Applies the precedence flag > env SEGKIT_BACKEND > config > auto. */
export function resolveBackendChoice(opts: Pick<SetupBackendOptions, 'choice' | 'config' | 'env'>): { choice: BackendChoice; source: BackendInfo['source'] } {
  if (opts.choice !== undefined) return { choice: parseBackendChoice(opts.choice, '--backend'), source: 'flag' };
  const fromEnv = readRunSetting(opts.env ?? process.env, 'backend');
  if (fromEnv !== undefined) return { choice: fromEnv, source: 'env' };
  if (opts.config !== undefined) return { choice: parseBackendChoice(opts.config, 'config backend'), source: 'config' };
  return { choice: 'auto', source: 'default' };
}

function isModuleMissing(err: unknown, id: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(id);
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

/** Tries to load a tfjs-node package and switch to its 'tensorflow' backend; returns why it failed. */
async function tryNative(candidate: keyof typeof NATIVE_PACKAGES, loader: (id: string) => unknown): Promise<string | undefined> {
  const id = NATIVE_PACKAGES[candidate];
  try {
    loader(id);
  } catch (err) {
    return isModuleMissing(err, id) ? `${id} is not installed` : `${id} failed to load its native binary: ${firstLine(err)}`;
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    return `${id} loaded but registered no 'tensorflow' backend (is it a different @tensorflow/tfjs-core instance?)`;
  }
  try {
    if (!(await tf.setBackend('tensorflow'))) return `${id}: the 'tensorflow' backend failed to initialise`;
  } catch (err) {
    return `${id}: the 'tensorflow' backend failed to initialise: ${firstLine(err)}`;
  }
  return undefined;
}

async function tryWasm(native: boolean, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let addon;
  if (native) {
    const state = nativeAddon(env);
    if (state.addon === undefined) return `native kernels unavailable: ${state.reason}`;
    addon = state.addon;
  }
  try {
    return (await activateWasm(addon)) ? undefined : 'the wasm backend failed to initialise';
  } catch (err) {
    return `the wasm backend failed to load: ${firstLine(err)}`;
  }
}

async function tryCandidate(candidate: Exclude<BackendChoice, 'auto'>, loader: (id: string) => unknown, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  switch (candidate) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return tryNative(candidate, loader);
    case 'wasm+native':
      return tryWasm(true, env);
    case 'wasm':
      return tryWasm(false, env);
    case 'cpu':
      return (await tf.setBackend('cpu')) ? undefined : 'the cpu backend failed to initialise';
  }
}

const AUTO_ORDER: Exclude<BackendChoice, 'auto'>[] = ['tensorflow-gpu', 'tensorflow', 'wasm+native', 'wasm', 'cpu'];

const defaultLoader = (id: string): unknown => require(id);

let cached: { key: string; info: Promise<BackendInfo> } | undefined;

/**
 * Selects and initialises the tfjs backend (see the file comment for order and precedence) and
 * logs the outcome. Cheap to call again: with the default loader the result is cached per
 * resolved choice, so every entry point of a process may call it.
 */
export async function setupBackend(opts: SetupBackendOptions = {}): Promise<BackendInfo> {
  const { choice, source } = resolveBackendChoice(opts);
  const log = opts.log ?? ((msg: string) => ioLog('backend', msg));
  const env = opts.env ?? process.env;
  const threads = resolveThreads(opts.threads, env, opts.configThreads);
  if (opts.loader === undefined) {
    const key = `${choice}|${threads}|${env.SEGKIT_NATIVE ?? ''}`;
    if (cached?.key === key) return cached.info;
    const info = select(choice, source, defaultLoader, log, env, threads);
    cached = { key, info };
    info.catch(() => {
      if (cached?.info === info) cached = undefined;
    });
    return info;
  }
  return select(choice, source, opts.loader, log, env, threads);
}

/** Sets the native kernels' threads when they were chosen and says what runs, in one line. */
function describe(candidate: Exclude<BackendChoice, 'auto'>, env: NodeJS.ProcessEnv, threads: number, skipped: BackendInfo['skipped']): { description: string; threads: number } {
  if (candidate === 'wasm+native') {
    const addon = nativeAddon(env).addon;
    if (addon !== undefined) {
      const n = addon.setThreads(threads);
      const v = addon.version();
      return { description: `wasm+native (oneDNN ${v.major}.${v.minor}.${v.patch}, ${n} thread${n === 1 ? '' : 's'})`, threads: n };
    }
  }
  if (candidate === 'wasm') {
    const why = skipped.find((s) => s.candidate === 'wasm+native')?.reason;
    return { description: why ? `wasm (${why})` : 'wasm (XNNPACK + training kernels)', threads: 1 };
  }
  return { description: candidate, threads: 1 };
}

async function select(choice: BackendChoice, source: BackendInfo['source'], loader: (id: string) => unknown, log: (msg: string) => void, env: NodeJS.ProcessEnv, threads: number): Promise<BackendInfo> {
  const skipped: BackendInfo['skipped'] = [];
  const candidates = choice === 'auto' ? AUTO_ORDER : [choice];
  for (const candidate of candidates) {
    const reason = await tryCandidate(candidate, loader, env);
    if (reason === undefined) {
      await tf.ready();
      registerTrainingGradients();
      const what = describe(candidate, env, threads, skipped);
      const info: BackendInfo = { name: tf.getBackend(), choice, source, candidate, skipped, ...what };
      const why = skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ');
      const from = source === 'default' ? 'auto' : `${choice} from ${source === 'flag' ? '--backend' : source === 'env' ? RUN_ENV.backend : 'config'}`;
      log(`using ${what.description} (tf backend '${info.name}', ${from})${why ? `; skipped ${why}` : ''}`);
      if (candidate === 'cpu' && choice === 'auto') log('warning: the pure-JS cpu backend trains conv nets very slowly; check why wasm was skipped');
      return info;
    }
    skipped.push({ candidate, reason });
  }
  if (choice !== 'auto') {
    throw new UserError(`backend "${choice}" (from ${source === 'flag' ? '--backend' : source === 'env' ? RUN_ENV.backend : 'config'}) cannot be used: ${skipped[0].reason}`);
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')}`);
}
