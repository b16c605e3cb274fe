/**
 * The settings of one run that every process of it shares (the wrapper, each Nx target, each
 * cluster job), as one typed value, and the only code that turns it into environment variables
 * and back. `npm run pipeline` resolves its flags into a {@link RunSettings}, writes it with
 * {@link withRunSettings}; the Nx plugin builds its targets from one; the Slurm scripts and the
 * Kubernetes manifest export {@link toEnv}; every step reads it back with {@link fromEnv} or
 * {@link readRunSetting}.
 *
 * To add a setting: add its field to {@link RunSettings} and its entry to {@link RUN_SETTINGS}
 * (variable name, encoding, validation); the round-trip test covers it.
 */
import { UserError } from '@segkit/io';
import { BACKEND_CHOICES, BackendChoice } from './settings';

/** What a run's processes share. Every field is optional: unset means its default. */
export interface RunSettings {
  /** A preset or experiment name, or a config file path (default: the default preset). */
  config?: string;
  /** The competition folder; unset means the built-in synthetic competition. */
  data?: string;
  /** The work directory, relative to the workspace root (default runs/work/<config name>). */
  work?: string;
  /** Forces a backend (one of BACKEND_CHOICES); unset: the config's `backend`. */
  backend?: BackendChoice;
  /** `key.path=value` config overrides, applied after the file's in this order (see @segkit/config). */
  set?: string[];
  /** Native CPU kernel threads per process (`npm run pipeline` divides the cores between fold processes). */
  threads?: number;
  /** GPU indices the fold steps are spread over (fold k on device k mod n). */
  gpus?: number[];
  /**
   * The cores the run's native-kernel processes share on this machine: each runs with its part of
   * them among those running (a lease, see @segkit/native leaseNativeCores), so a finished fold's cores
   * go to the others. Unset: each process keeps `threads`.
   */
  cores?: number;
}

export type RunSettingName = keyof RunSettings;

interface Codec<T> {
  /** The environment variable. */
  env: `SEGKIT_${string}`;
  encode: (value: T) => string;
  /** Parses a non-empty value; `name` is the variable, for the error. */
  decode: (text: string, name: string) => T;
}

const text: Omit<Codec<string>, 'env'> = { encode: (v) => v, decode: (v) => v };

/** GPU indices as a flag or variable spells them: `0,2,3`; `source` names it in the error. */
export function parseDeviceList(value: string, source: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new UserError(`${source} must be all, none or a list of GPU indices such as 0,2,3; got "${value}"`);
  const devices = parts.map(Number);
  if (new Set(devices).size !== devices.length) throw new UserError(`${source} names a GPU twice: "${value}"`);
  return devices;
}

/** Validates a backend name from a flag, a variable or a config field; the error names the source. */
export function parseBackendChoice(value: string, source: string): BackendChoice {
  const v = value.trim();
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new UserError(`${source}: unknown backend "${value}"; expected one of ${BACKEND_CHOICES.join(', ')}`);
}

function positiveInteger(v: string, name: string): number {
  if (!/^[1-9]\d*$/.test(v.trim())) throw new UserError(`${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

/** A config override's shape, `key.path=value` with no empty key part (applied by @segkit/config). */
function isOverride(text: string): boolean {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  return key !== '' && !key.split('.').some((p) => p === '');
}

/** Each setting's variable and encoding: the one place a `SEGKIT_*` run variable is spelled. */
export const RUN_SETTINGS: { [K in RunSettingName]-?: Codec<NonNullable<RunSettings[K]>> } = {
  config: { env: 'SEGKIT_CONFIG', ...text },
  data: { env: 'SEGKIT_DATA', ...text },
  work: { env: 'SEGKIT_WORK', ...text },
  backend: { env: 'SEGKIT_BACKEND', encode: (v) => v, decode: parseBackendChoice },
  set: {
    env: 'SEGKIT_SET',
    encode: (sets) => {
      const bad = sets.find((s) => s.includes(';'));
      if (bad !== undefined) throw new UserError(`--set "${bad}": an override cannot contain ";" (it separates overrides in SEGKIT_SET)`);
      return sets.join(';');
    },
    decode: (v, name) => {
      const sets = v
        .split(';')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      // Checked here, where the variable is known, so its mistakes never blame --set.
      const bad = sets.find((s) => !isOverride(s));
      if (bad !== undefined) throw new UserError(`${name}: "${bad}": expected <key.path>=<value> (overrides separated by ";"), e.g. ${name}="stage1.epochs=5"`);
      return sets;
    },
  },
  threads: { env: 'SEGKIT_THREADS', encode: String, decode: positiveInteger },
  gpus: { env: 'SEGKIT_GPUS', encode: (d) => d.join(','), decode: parseDeviceList },
  cores: { env: 'SEGKIT_CORES', encode: String, decode: positiveInteger },
};

const NAMES = Object.keys(RUN_SETTINGS) as RunSettingName[];

/** Each setting's environment variable (for help texts and docs). */
export const RUN_ENV = Object.fromEntries(NAMES.map((n) => [n, RUN_SETTINGS[n].env])) as { readonly [K in RunSettingName]: (typeof RUN_SETTINGS)[K]['env'] };

/** One setting from the environment; an unset or blank variable is undefined, a bad one a UserError naming it. */
export function readRunSetting<K extends RunSettingName>(env: NodeJS.ProcessEnv, name: K): RunSettings[K] {
  const codec = RUN_SETTINGS[name];
  const raw = env[codec.env];
  if (raw === undefined || raw.trim() === '') return undefined;
  return codec.decode(raw, codec.env) as RunSettings[K];
}

/** Every setting from the environment (see {@link readRunSetting}). */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): RunSettings {
  const out: RunSettings = {};
  for (const name of NAMES) {
    const value = readRunSetting(env, name);
    if (value !== undefined) (out as Record<string, unknown>)[name] = value;
  }
  return out;
}

/** The variables of the settings that are set (an empty override list sets nothing). */
export function toEnv(settings: RunSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of NAMES) {
    const value = settings[name];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    out[RUN_SETTINGS[name].env] = (RUN_SETTINGS[name].encode as (v: unknown) => string)(value);
  }
  return out;
}

/** `base` with its run variables replaced by the settings' (an unset setting is removed, not inherited). */
export function withRunSettings(base: NodeJS.ProcessEnv, settings: RunSettings): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...base };
  for (const name of NAMES) delete out[RUN_SETTINGS[name].env];
  return Object.assign(out, toEnv(settings));
}

/** The settings as `VAR=value ` assignments in front of a shell command (values quoted for bash). */
export function shellAssignments(settings: RunSettings): string {
  return Object.entries(toEnv(settings))
    .map(([k, v]) => `${k}=${shellQuote(v)} `)
    .join('');
}

/** Quotes a string for bash (single quotes, embedded quotes closed and escaped). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
