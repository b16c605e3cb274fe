import { createHash } from 'node:crypto';
import type { PipelineConfig } from './schema';

/**
 * The part of a parsed config (defaults filled in) that a step reads: the named top-level
 * sections, one field of a section (`tune.metric`), or everything for `'*'`. Because the schema
 * fills in defaults first, writing a default out explicitly gives the same slice.
 */
export function configSlice(config: PipelineConfig, sections: readonly string[] | '*'): Record<string, unknown> {
  if (sections === '*') return { ...config };
  const out: Record<string, unknown> = {};
  for (const key of [...sections].sort()) {
    const [section, field] = key.split('.', 2);
    if (!(section in config)) throw new Error(`config has no section "${section}"`);
    const value = (config as Record<string, unknown>)[section];
    out[key] = field === undefined ? value : (value as Record<string, unknown>)[field];
  }
  return out;
}

/**
 * JSON with object keys sorted at every level and `undefined` members dropped, so two equal
 * values give the same text whatever order their file spelled the keys in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha-256 (hex) of the canonical JSON of a config slice: what a step's artifacts and Nx inputs are keyed by. */
export function configSliceHash(config: PipelineConfig, sections: readonly string[] | '*'): string {
  return createHash('sha256').update(canonicalJson(configSlice(config, sections))).digest('hex');
}
