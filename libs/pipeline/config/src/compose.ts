import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '@segkit/io';
import { readRunSetting } from '@segkit/run';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type RawConfig = { [key: string]: Json };

function isObject(v: unknown): v is RawConfig {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `over` on top of `base`: objects merge key by key, everything else (arrays included) replaces. */
export function deepMerge(base: RawConfig, over: RawConfig): RawConfig {
  const out: RawConfig = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** A config file's JSON: a missing file or invalid JSON is a UserError naming the file. */
export function readConfigJson(path: string): unknown {
  if (!existsSync(path)) throw new UserError(`${path}: config file not found`);
  try {
    // Editors on Windows save JSON with a byte order mark, which JSON.parse rejects.
    return JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

function readRaw(path: string): RawConfig {
  const raw = readConfigJson(path);
  if (!isObject(raw)) throw new UserError(`${path}: a config must be a JSON object`);
  return raw;
}

/**
 * A config file's keys with its `"extends"` chain resolved: the base (a preset name, resolved by
 * `resolvePreset`, or a path relative to the extending file) deep-merged under the file's own keys.
 * An extending file without its own `name` is named after its file. Cycles are errors naming the chain.
 */
export function readConfigTree(path: string, resolvePreset: (name: string) => string | undefined, chain: string[] = []): RawConfig {
  const abs = resolve(path);
  if (chain.includes(abs)) throw new UserError(`${abs}: "extends" cycle (${[...chain, abs].join(' → ')})`);
  const raw = readRaw(abs);
  const { extends: parent, ...own } = raw;
  if (parent === undefined) return own;
  if (typeof parent !== 'string' || parent === '') throw new UserError(`${abs}: "extends" must be a preset name or a path to a config file`);
  const looksLikePath = parent.includes('/') || parent.endsWith('.json');
  const basePath = looksLikePath ? (isAbsolute(parent) ? parent : resolve(dirname(abs), parent)) : resolvePreset(parent);
  if (basePath === undefined) throw new UserError(`${abs}: "extends": "${parent}" is neither a preset nor a path to a config file`);
  const base = readConfigTree(basePath, resolvePreset, [...chain, abs]);
  const merged = deepMerge(base, own);
  if (own['name'] === undefined) merged['name'] = basename(abs).replace(/\.json$/, '');
  return merged;
}

/**
 * Applies command-line overrides `a.b.c=value` in order: the value is JSON when it parses
 * (`5`, `true`, `[0, 20]`, `{"kind": "cosine"}`), else the plain string. Objects on the way are
 * created as needed; setting through a non-object is an error naming the override.
 */
export function applyOverrides(raw: RawConfig, sets: readonly string[]): RawConfig {
  let out = raw;
  for (const set of sets) {
    const eq = set.indexOf('=');
    const key = eq < 0 ? '' : set.slice(0, eq).trim();
    if (eq < 0 || key === '' || key.split('.').some((p) => p === '')) throw new UserError(`--set "${set}": expected <key.path>=<value>, e.g. stage1.epochs=5`);
    const text = set.slice(eq + 1);
    let value: Json;
    try {
      value = JSON.parse(text) as Json;
    } catch {
      value = text;
    }
    const patch: RawConfig = {};
    const parts = key.split('.');
    let cursor: RawConfig = patch;
    let existing: Json | undefined = out;
    parts.forEach((p, i) => {
      if (existing !== undefined && !isObject(existing)) throw new UserError(`--set "${set}": ${parts.slice(0, i).join('.')} is not an object`);
      existing = existing?.[p];
      if (i === parts.length - 1) cursor[p] = value;
      else cursor = cursor[p] = {};
    });
    // An object value replaces the key's object only where it names keys; arrays and scalars replace.
    out = deepMerge(out, patch);
  }
  return out;
}

/** Overrides from the environment: the run's `set` setting (`SEGKIT_SET="stage1.epochs=5;model.depth=3"`, separated by ";"). */
export function overridesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return readRunSetting(env, 'set') ?? [];
}
