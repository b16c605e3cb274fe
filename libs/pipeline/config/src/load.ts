import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import { UserError } from '@tgs/io';
import { namedConfigPath, presets } from '@tgs/run';
import { applyOverrides, readConfigJson, readConfigTree } from './compose';
import { BlendConfig, blendConfigSchema, configSchema, PipelineConfig } from './schema';

/** A schema's complaints on one line, as every error is: `stage1.lr: …; folds.k: …`. */
function issueList(issues: readonly z.ZodIssue[]): string {
  return issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Parses and validates a config object; errors name the offending field path. */
export function parseConfig(raw: unknown, source = 'config'): PipelineConfig {
  const res = configSchema.safeParse(raw);
  if (!res.success) {
    throw new UserError(`${source}: invalid config: ${issueList(res.error.issues)}`);
  }
  const cfg = res.data;
  if (cfg.stage1.epochs < 1) throw new UserError(`${source}: stage1.epochs must be at least 1 (stage 2 starts from stage 1's best weights)`);
  for (const name of ['stage1', 'stage2'] as const) {
    const st = cfg[name];
    if (st.ema.decay > 0 && (st.swa.epochs > 0 || st.swa.snapshots)) throw new UserError(`${source}: ${name} sets both ema and swa; choose one way of averaging its weights`);
    if (st.swa.epochs > 0 && st.swa.snapshots) throw new UserError(`${source}: ${name}.swa sets both epochs and snapshots; choose the last epochs or the cosine cycle ends`);
    if (st.swa.epochs > st.epochs) throw new UserError(`${source}: ${name}.swa.epochs (${st.swa.epochs}) is more than ${name}.epochs (${st.epochs})`);
    if (st.swa.snapshots && st.schedule.kind !== 'cosine') throw new UserError(`${source}: ${name}.swa.snapshots needs ${name}.schedule.kind "cosine" (snapshots are the weights at each cycle's end), got "${st.schedule.kind}"`);
  }
  if (cfg.predict.snapshots && cfg.stage2.schedule.kind !== 'cosine') {
    throw new UserError(`${source}: predict.snapshots needs stage2.schedule.kind "cosine" (snapshots are the models at each cycle's end), got "${cfg.stage2.schedule.kind}"`);
  }
  if (cfg.tune.probFrom >= cfg.tune.probTo) {
    throw new UserError(`${source}: tune.probFrom (${cfg.tune.probFrom}) must be below tune.probTo (${cfg.tune.probTo})`);
  }
  return cfg;
}

/**
 * Reads, parses and validates a config file once; every step calls this with the same file and
 * overrides. `"extends"` chains are resolved first (see readConfigTree), then the `--set`
 * overrides are applied, then the schema validates the result.
 */
export function loadConfig(path: string, opts: { sets?: readonly string[] } = {}): PipelineConfig {
  if (!existsSync(path)) throw new UserError(`${path}: config file not found (presets: ${presets().join(', ')})`);
  if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, not a config file (presets: ${presets().join(', ')})`);
  const tree = readConfigTree(path, (name) => namedConfigPath(name));
  if ('blend' in tree) {
    const name = basename(path).replace(/\.json$/, '');
    throw new UserError(`${path}: a blend of experiments, not an experiment; run it with npx nx run ${name}:report`);
  }
  const sets = opts.sets ?? [];
  return parseConfig(applyOverrides(tree, sets), sets.length > 0 ? `${path} with --set ${sets.join(' ')}` : path);
}

/** True when a config file describes a blend of experiments (a top-level `blend` key). */
export function isBlendConfigFile(path: string): boolean {
  try {
    const raw = readConfigJson(path);
    return typeof raw === 'object' && raw !== null && 'blend' in raw;
  } catch {
    return false;
  }
}

/** Reads and validates a blend config; its name defaults to the file's. Errors name the file and field. */
export function loadBlendConfig(path: string): BlendConfig & { name: string } {
  const raw = readConfigJson(path);
  const res = blendConfigSchema.safeParse(raw);
  if (!res.success) {
    throw new UserError(`${path}: invalid blend config: ${issueList(res.error.issues)}`);
  }
  const cfg = res.data;
  const { members, weights } = cfg.blend;
  if (new Set(members).size !== members.length) throw new UserError(`${path}: blend.members lists an experiment twice`);
  if (Array.isArray(weights) && (weights.length !== members.length || weights.every((w) => w === 0))) {
    throw new UserError(`${path}: blend.weights needs one weight per member (${members.length}), not all zero, or "tune"`);
  }
  return { ...cfg, name: cfg.name ?? basename(path).replace(/\.json$/, '') };
}
