import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { z } from 'zod';
import { configSchema, type PipelineConfig } from '@segkit/config';
import { atomicWriteDir, readJsonArtifact, UserError, writeJsonArtifact } from '@segkit/io';
import type { InferenceSpec } from '@segkit/models';
import { BUNDLE_JSON, bundleModelPath, bundleSchema, CONFIG_JSON, manifestSchema, MANIFEST_JSON, type BundleInfo } from './bundle-schema';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? listFiles(root, p) : [relative(root, p).split(sep).join('/')];
    });
}

export interface WriteBundleInput {
  outDir: string;
  name: string;
  config: PipelineConfig;
  spec: InferenceSpec;
  tta: BundleInfo['tta'];
  batchSize: number;
  ensembleMode: BundleInfo['ensemble']['mode'];
  /** Each fold's exported models folder (`predict/models`) and the model names in averaging order. */
  folds: { fold: number; modelsDir: string; models: string[] }[];
  logitThreshold: number;
  probThreshold: number;
  minArea: number;
  topLogitThreshold?: number;
  gateLogitThreshold?: number;
  /** The competition's submission format and id spelling (bundle.json's `submission`). */
  submission?: BundleInfo['submission'];
  /** The models read resized images (see BundleInfo.input). */
  resized?: boolean;
}

/** Builds the bundle under a temporary sibling and renames it into place (a reader never sees half a bundle). */
export async function writeBundle(input: WriteBundleInput): Promise<BundleInfo> {
  const info: BundleInfo = {
    format: 'tgs-bundle-1',
    name: input.name,
    createdAt: new Date().toISOString(),
    height: input.spec.height,
    width: input.spec.width,
    padding: input.spec.padding,
    ...(input.spec.channels === 3 ? { channels: 3 as const } : {}),
    tta: input.tta,
    batchSize: input.batchSize,
    ensemble: { mode: input.ensembleMode },
    folds: input.folds.map((f) => ({ fold: f.fold, models: f.models })),
    logitThreshold: input.logitThreshold,
    probThreshold: input.probThreshold,
    minArea: input.minArea,
    ...(input.topLogitThreshold === undefined ? {} : { topLogitThreshold: input.topLogitThreshold }),
    ...(input.gateLogitThreshold === undefined ? {} : { gateLogitThreshold: input.gateLogitThreshold }),
    ...(input.submission === undefined ? {} : { submission: input.submission }),
    ...(input.resized ? { input: { mode: 'resize' as const } } : {}),
  };
  await atomicWriteDir(input.outDir, (tmp) => {
    for (const f of input.folds) {
      for (const m of f.models) {
        const src = join(f.modelsDir, m);
        if (!existsSync(join(src, 'model.json'))) throw new UserError(`${src}/model.json is missing: run the predict step for fold ${f.fold}`);
        cpSync(src, join(tmp, bundleModelPath(f.fold, m)), { recursive: true });
      }
    }
    writeJsonArtifact(join(tmp, CONFIG_JSON), configSchema, input.config, 'bundle');
    writeJsonArtifact(join(tmp, BUNDLE_JSON), bundleSchema, info, 'bundle');
    const files = listFiles(tmp).map((path) => ({ path, bytes: statSync(join(tmp, path)).size, sha256: sha256(join(tmp, path)) }));
    writeJsonArtifact(join(tmp, MANIFEST_JSON), manifestSchema, { format: 'tgs-bundle-manifest-1', files }, 'bundle');
  });
  return info;
}

/** A bundle file through its writer's schema; a missing one is reported as an incomplete bundle. */
function readBundleFile<S extends z.ZodTypeAny>(path: string, schema: S, what: string): z.infer<S> {
  if (!existsSync(path)) throw new UserError(`${path}: missing (${what}); the bundle is incomplete`);
  return readJsonArtifact(path, schema, 'bundle');
}

export interface Bundle {
  dir: string;
  info: BundleInfo;
  config: PipelineConfig;
  /** Absolute folder of fold `fold`'s model `model`. */
  modelDir(fold: number, model: string): string;
}

/**
 * Reads and verifies a bundle: the manifest lists every file with its size and sha-256 and each is
 * checked; a missing, changed or unlisted file, or a bundle.json naming a model the manifest does
 * not hold, is a UserError naming the file.
 */
export function readBundle(dir: string): Bundle {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: bundle folder not found`);
  const manifestPath = join(dir, MANIFEST_JSON);
  const manifest = readBundleFile(manifestPath, manifestSchema, 'the list of files and checksums');
  const listed = new Set<string>();
  for (const f of manifest.files) {
    const p = join(dir, f.path);
    listed.add(f.path);
    if (!existsSync(p)) throw new UserError(`${p}: missing (listed in ${manifestPath}); the bundle is incomplete`);
    const bytes = statSync(p).size;
    if (bytes !== f.bytes || sha256(p) !== f.sha256) {
      throw new UserError(`${p}: checksum mismatch (${bytes} bytes, manifest says ${f.bytes}); the bundle is corrupt or was modified`);
    }
  }
  const unlisted = listFiles(dir).filter((p) => p !== MANIFEST_JSON && !listed.has(p));
  if (unlisted.length > 0) throw new UserError(`${join(dir, unlisted[0])}: not listed in ${manifestPath}`);
  for (const required of [BUNDLE_JSON, CONFIG_JSON]) {
    if (!listed.has(required)) throw new UserError(`${join(dir, required)}: missing; the bundle is incomplete`);
  }
  const infoPath = join(dir, BUNDLE_JSON);
  const info = readBundleFile(infoPath, bundleSchema, 'the inference settings');
  const configPath = join(dir, CONFIG_JSON);
  const config = readBundleFile(configPath, configSchema, 'the experiment config');
  for (const f of info.folds) {
    for (const m of f.models) {
      for (const file of ['model.json', 'weights.bin']) {
        const rel = `${bundleModelPath(f.fold, m)}/${file}`;
        if (!listed.has(rel)) throw new UserError(`${join(dir, rel)}: missing (fold ${f.fold} model "${m}" in ${infoPath}); the bundle is incomplete`);
      }
    }
  }
  return { dir, info, config, modelDir: (fold, model) => join(dir, bundleModelPath(fold, model)) };
}
