/**
 * The files @segkit/ensemble owns under `<work>/ensemble/` (paths from @segkit/run's layout): float32
 * logits as numpy `.npy` arrays of shape (N, H, W) — OOF in train order, test in the sample
 * submission's order — with an empty-mask gate its per-image logits (N,) in the same orders, their ids, one per line, in sidecar files, and `meta.json`, written last.
 * Nobody else parses them: later steps read them through these readers, which check every array
 * against the metadata, so a damaged, truncated or foreign file is a UserError naming the file.
 */
import { z } from 'zod';
import { readIdsFile, readJsonArtifact, readNpy, readNpyInfo, readNpyVector, requireArtifact, UserError, writeJsonArtifact } from '@segkit/io';
import { runLayout } from '@segkit/run';

/** The ensemble's paths under a work directory. */
export function ensemblePaths(workDir: string) {
  return runLayout(workDir).ensemble;
}

export const ensembleMetaSchema = z
  .object({
    mode: z.enum(['logit-mean', 'prob-mean']),
    /** The folds combined. */
    folds: z.array(z.number().int().nonnegative()).min(1),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    /** The OOF arrays' image order (the data's train order). */
    trainIds: z.array(z.string().min(1)),
    /** The test array's image order (the sample submission's). */
    testIds: z.array(z.string().min(1)),
    /** Resized test images (input.mode "resize"): each image's own [height, width] in testIds order, the size its submission mask has. */
    testSizes: z.array(z.tuple([z.number().int().positive(), z.number().int().positive()])).optional(),
    /** What the ensemble was computed from: the mode and every fold's prediction fingerprint, in fold order. */
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha-256 in hex'),
    /** The folds' models have an empty-mask gate: `oof-gate.npy` and `test-gate.npy` hold its logits. */
    gate: z.literal(true).optional(),
  })
  .strict();
export type EnsembleMeta = z.infer<typeof ensembleMetaSchema>;

const PRODUCER = 'ensemble';

export function writeEnsembleMeta(workDir: string, meta: EnsembleMeta): void {
  writeJsonArtifact(ensemblePaths(workDir).meta, ensembleMetaSchema, meta, PRODUCER);
}

export function readEnsembleMeta(workDir: string): EnsembleMeta {
  return readJsonArtifact(ensemblePaths(workDir).meta, ensembleMetaSchema, PRODUCER);
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function checkShape(path: string, shape: number[], n: number, meta: EnsembleMeta): void {
  if (shape.length !== 3 || shape[0] !== n || shape[1] !== meta.height || shape[2] !== meta.width) {
    throw new UserError(`${path}: shape (${shape.join(', ')}), expected (${n}, ${meta.height}, ${meta.width}) as its meta.json says; rerun the ensemble step`);
  }
}

function checkIdsFile(path: string, expected: readonly string[]): void {
  const ids = readIdsFile(path, PRODUCER);
  if (!sameIds(ids, expected)) throw new UserError(`${path}: ${ids.length} ids that are not the ${expected.length} of its meta.json; rerun the ensemble step`);
}

/**
 * The ensembled OOF logits after `stage`, (N, H, W) in train order, checked against the metadata
 * and, when given, against the data's train ids (the order the OOF rows must follow).
 */
export function readEnsembleOof(workDir: string, stage: 1 | 2, trainIds?: readonly string[]): { logits: Float32Array; meta: EnsembleMeta } {
  const paths = ensemblePaths(workDir);
  const meta = readEnsembleMeta(workDir);
  if (trainIds && !sameIds(meta.trainIds, trainIds)) {
    throw new UserError(`${paths.meta}: trainIds: ${meta.trainIds.length} OOF ids that are not the data's ${trainIds.length} train ids (in order); rerun the ensemble step`);
  }
  checkIdsFile(paths.oofIds, meta.trainIds);
  const path = requireArtifact(stage === 1 ? paths.oofStage1 : paths.oofStage2, PRODUCER);
  const { shape, data } = readNpy(path);
  checkShape(path, shape, meta.trainIds.length, meta);
  return { logits: data, meta };
}

/**
 * The ensembled test logits' `.npy` (N, H, W), in the order of `meta.testIds`, checked against
 * the metadata without reading the array (callers stream it).
 */
export function ensembleTestPath(workDir: string, meta: EnsembleMeta): string {
  const paths = ensemblePaths(workDir);
  checkIdsFile(paths.testIds, meta.testIds);
  checkShape(paths.test, readNpyInfo(requireArtifact(paths.test, PRODUCER)).shape, meta.testIds.length, meta);
  return paths.test;
}

/** The ensembled test logits (N, H, W) in the order of `meta.testIds`, read whole, checked against the metadata. */
export function readEnsembleTest(workDir: string, meta: EnsembleMeta): Float32Array {
  return readNpy(ensembleTestPath(workDir, meta)).data;
}

/**
 * The ensembled empty-mask gate logits (N,): OOF in train order or test in the order of
 * `meta.testIds`, checked against the metadata; undefined when the models have no gate.
 */
export function readEnsembleGate(workDir: string, which: 'oof' | 'test', meta: EnsembleMeta): Float32Array | undefined {
  if (!meta.gate) return undefined;
  const paths = ensemblePaths(workDir);
  const path = requireArtifact(which === 'oof' ? paths.oofGate : paths.testGate, PRODUCER);
  return readNpyVector(path, which === 'oof' ? meta.trainIds.length : meta.testIds.length, 'rerun the ensemble step');
}
