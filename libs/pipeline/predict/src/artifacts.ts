/**
 * The files @segkit/predict owns in a fold's `predict/` folder (paths from @segkit/run's predictLayout):
 * OOF ids, OOF logits after each stage, test ids and logits (numpy `.npy`, (N, H, W) float32), with
 * an empty-mask gate stage 2's gate logits (`oof-gate.npy`, `test-gate.npy`, (N,) float32), the
 * exported stage-2 models and `meta.json`, written last. `meta.json` has a validating reader; a
 * damaged, truncated or foreign file is a UserError naming the file and the field.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { NpyReader, readIdsFile, readJsonArtifact, readNpy, readNpyVector, requireArtifact, UserError, writeJsonArtifact, writeNpy } from '@segkit/io';
import { foldLayoutAt, predictLayout, Stage } from '@segkit/run';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha-256 in hex');

export const predictionMetaSchema = z
  .object({
    fold: z.number().int().nonnegative(),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    nOof: z.number().int().positive(),
    nTest: z.number().int().nonnegative(),
    testIds: z.array(z.string()),
    /** Resized test images (input.mode "resize"): each image's own [height, width], in testIds order; the logits are at height × width above. */
    testSizes: z.array(z.tuple([z.number().int().positive(), z.number().int().positive()])).optional(),
    /** The TTA pairs of oof-stage2 and test. */
    tta: z.array(z.string()).min(1),
    /** The TTA pairs of oof-stage1: `identity` alone when it comes from training's validation pass. */
    oofStage1Tta: z.array(z.string()).min(1),
    /** The exported stage-2 models under `predict/models/` whose mean gives oof-stage2 and test. */
    models: z.array(z.string()).min(1),
    /** The fingerprint of the fold's trained weights the logits come from (see @segkit/train's readWeightsFingerprint). */
    weights: sha256,
    /** What the logits were computed from: the weights, the predict section, the OOF and test images (see predictionFingerprint). */
    fingerprint: sha256,
    /** The stage-2 models have an empty-mask gate: `oof-gate.npy` and `test-gate.npy` hold its logits. */
    gate: z.literal(true).optional(),
  })
  .strict()
  .refine((m) => m.testIds.length === m.nTest, { message: 'testIds must list nTest ids', path: ['testIds'] })
  .refine((m) => m.testSizes === undefined || m.testSizes.length === m.nTest, { message: 'testSizes must give nTest sizes', path: ['testSizes'] });
export type PredictionMeta = z.infer<typeof predictionMetaSchema>;

/** The files of one fold's predictions (the layout's, under the name this lib has always exported). */
export const predictionPaths = predictLayout;

const producer = (foldDir: string) => `predict step (${foldLayoutAt(foldDir).dir})`;

/** A fold's prediction metadata, validated; `fold`, when given, must match the file's. */
export function readPredictionMeta(foldDir: string, fold?: number): PredictionMeta {
  const path = predictLayout(foldDir).meta;
  const meta = readJsonArtifact(path, predictionMetaSchema, producer(foldDir));
  if (fold !== undefined && meta.fold !== fold) throw new UserError(`${path}: fold: ${meta.fold}, expected ${fold}; rerun the ${producer(foldDir)}`);
  return meta;
}

/** The metadata of earlier predictions, or undefined when there are none. */
export function readPredictionMetaIfAny(foldDir: string): PredictionMeta | undefined {
  return existsSync(predictLayout(foldDir).meta) ? readPredictionMeta(foldDir) : undefined;
}

/** Writes `meta.json`, the commit point of a fold's predictions. */
export function writePredictionMeta(foldDir: string, meta: PredictionMeta): void {
  writeJsonArtifact(predictLayout(foldDir).meta, predictionMetaSchema, meta, producer(foldDir));
}

function checkShape(path: string, shape: readonly number[], n: number, meta: PredictionMeta, idsPath: string, foldDir: string): void {
  if (shape.length !== 3 || shape[0] !== n || shape[1] !== meta.height || shape[2] !== meta.width) {
    throw new UserError(`${path}: shape (${shape.join(', ')}), expected (${n}, ${meta.height}, ${meta.width}) for the ids in ${idsPath}; rerun the ${producer(foldDir)}`);
  }
}

/** A fold's OOF logits after `stage`, (N, H, W) in the order of their ids, checked against its metadata. */
export function readFoldOof(foldDir: string, stage: Stage, meta: PredictionMeta): { ids: string[]; logits: Float32Array } {
  const paths = predictLayout(foldDir);
  const ids = readIdsFile(paths.oofIds, producer(foldDir));
  const path = requireArtifact(stage === 1 ? paths.oofStage1 : paths.oofStage2, producer(foldDir));
  const { shape, data } = readNpy(path);
  checkShape(path, shape, ids.length, meta, paths.oofIds, foldDir);
  return { ids, logits: data };
}

/**
 * A fold's test logits (N, H, W) in the order of `meta.testIds`, opened for reading in chunks
 * (close the reader when done), checked against the metadata.
 */
export function openFoldTest(foldDir: string, meta: PredictionMeta): NpyReader {
  const paths = predictLayout(foldDir);
  const reader = new NpyReader(requireArtifact(paths.test, producer(foldDir)), 3);
  try {
    checkShape(paths.test, reader.shape, meta.testIds.length, meta, paths.testIds, foldDir);
  } catch (err) {
    reader.close();
    throw err;
  }
  return reader;
}

/** Writes a fold's per-image gate logits, (N,) float32, in the order of its ids (OOF or test); atomic. */
export function writeFoldGate(foldDir: string, which: 'oof' | 'test', gate: Float32Array): void {
  const paths = predictLayout(foldDir);
  writeNpy(which === 'oof' ? paths.oofGate : paths.testGate, gate, [gate.length]);
}

/**
 * A fold's stage-2 gate logits (N,) in the order of its OOF or test ids, checked against its
 * metadata; undefined when the fold's models have no gate.
 */
export function readFoldGate(foldDir: string, which: 'oof' | 'test', meta: PredictionMeta): Float32Array | undefined {
  if (!meta.gate) return undefined;
  const paths = predictLayout(foldDir);
  const path = requireArtifact(which === 'oof' ? paths.oofGate : paths.testGate, producer(foldDir));
  return readNpyVector(path, which === 'oof' ? meta.nOof : meta.nTest, `rerun the ${producer(foldDir)}`);
}
