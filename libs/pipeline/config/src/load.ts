import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import { UserError } from '@segkit/io';
import { namedConfigPath, presets } from '@segkit/run';
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
    checkBlendConfig(path); // a faulty blend is named by its fault first
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

/** The config sections that decide an experiment's fold split (the folds step reads these and the data). */
const SPLIT_SECTIONS = ['folds', 'data', 'synthetic'] as const;

/**
 * A blend config checked against its members' configs before any work: the blend itself (see
 * loadBlendConfig: one weight per member), every member an existing experiment config (not a
 * blend) that loads, and all members on one fold split (equal `folds`, `data` and `synthetic`
 * sections, as their configs resolve). `resolve` maps a member name to its config file.
 * Errors name the blend file and the fault.
 */
export function checkBlendConfig(
  path: string,
  resolve: (name: string) => string | undefined = namedConfigPath,
): BlendConfig & { name: string; memberPaths: string[] } {
  if (!existsSync(path)) throw new UserError(`${path}: config file not found (presets: ${presets().join(', ')})`);
  const cfg = loadBlendConfig(path);
  const memberPaths = cfg.blend.members.map((name) => {
    const memberPath = resolve(name);
    if (memberPath === undefined) throw new UserError(`${path}: blend member "${name}" is neither a preset in configs/ nor an experiment in experiments/`);
    if (isBlendConfigFile(memberPath)) throw new UserError(`${path}: blend member "${name}" is a blend, not an experiment`);
    return memberPath;
  });
  const configs = memberPaths.map((memberPath, i) => {
    try {
      return loadConfig(memberPath);
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`${path}: blend member "${cfg.blend.members[i]}": ${err.message}`);
      throw err;
    }
  });
  // The blend scores and writes logits at the images' own size; a resized member's are at its model's.
  const resized = configs.findIndex((c) => c.input.mode === 'resize');
  if (resized >= 0) {
    throw new UserError(`${path}: blend member "${cfg.blend.members[resized]}" uses input.mode "resize", whose logits are at the model's size; blends take members of input.mode "pad" or "crop" (logits at each image's own size)`);
  }
  for (let i = 1; i < configs.length; i++) {
    const differing = SPLIT_SECTIONS.find((s) => JSON.stringify(configs[i][s]) !== JSON.stringify(configs[0][s]));
    if (differing !== undefined) {
      const [a, b] = [cfg.blend.members[0], cfg.blend.members[i]];
      throw new UserError(
        `${path}: blend members "${a}" and "${b}" use different fold splits (${differing}: ${JSON.stringify(configs[0][differing])} vs ${JSON.stringify(configs[i][differing])}); blend experiments with the same folds settings and data`,
      );
    }
  }
  return { ...cfg, memberPaths };
}
