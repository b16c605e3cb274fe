import { join } from 'node:path';
import type { PipelineConfig } from '@segkit/config';
import { UserError } from '@segkit/io';
import { readInferenceSpec } from '@segkit/models';
import { readPredictionMeta } from '@segkit/predict';
import { runLayout } from '@segkit/run';
import { writeBundle } from './bundle';
import { bundleSchema, type BundleInfo } from './bundle-schema';

export interface BundleRunInput {
  workDir: string;
  /** The work directory whose fold predictions (and exported models) are bundled (a pseudo-label round's, see @segkit/run's roundWorkDir); default `workDir`. */
  predictionsDir?: string;
  config: PipelineConfig;
  /** The tuned point (from the tune record): the bundle binarizes exactly as the submission did. */
  tuned: { logitThreshold: number; probThreshold: number; minArea: number; topLogitThreshold?: number; gateLogitThreshold?: number };
  /** The competition's submission format and test-id spelling (its layout's `submission` and `test.images.id`), for `npm run infer`'s CSV. */
  submission?: BundleInfo['submission'];
}

/** Why no bundle holds input.mode "crop" models: infer reads whole images, and those models read crops (tiled prediction is the pipeline's only). */
export const CROP_BUNDLE_REFUSAL = 'input.mode "crop" has no bundle: infer does not predict by tiles yet; use the pipeline\'s submission';

/**
 * The run's bundle: every fold's exported models (from each fold's prediction metadata, in fold
 * order), their TTA and inference spec, the ensemble mode, the tuned point and the config, written
 * to the run's `bundle/`. Refused for input.mode "crop" (CROP_BUNDLE_REFUSAL). Folds that were predicted with different TTA cannot share one bundle.
 */
export async function bundleRun(input: BundleRunInput): Promise<BundleInfo> {
  const { workDir, config, tuned } = input;
  if (config.input.mode === 'crop') throw new UserError(CROP_BUNDLE_REFUSAL);
  const layout = runLayout(workDir);
  const predictions = runLayout(input.predictionsDir ?? workDir);
  const folds = Array.from({ length: config.folds.k }, (_, k) => {
    const meta = readPredictionMeta(predictions.fold(k).dir, k);
    return { fold: k, modelsDir: predictions.fold(k).predict.models, models: meta.models, tta: meta.tta, meta: predictions.fold(k).predict.meta };
  });
  const tta = folds[0].tta;
  const odd = folds.find((f) => f.tta.join(',') !== tta.join(','));
  if (odd) throw new UserError(`${odd.meta}: tta: ${odd.tta.join(', ')}, but fold 0 used ${tta.join(', ')}; rerun the predict step`);
  const parsedTta = bundleSchema.shape.tta.safeParse(tta);
  if (!parsedTta.success) throw new UserError(`${folds[0].meta}: tta: ${tta.join(', ')} is not a known augmentation list; rerun the predict step`);
  return writeBundle({
    outDir: layout.bundle.dir,
    name: config.name,
    config,
    spec: readInferenceSpec(join(folds[0].modelsDir, folds[0].models[0])),
    tta: parsedTta.data,
    batchSize: config.predict.batchSize,
    ensembleMode: config.ensemble.mode,
    folds: folds.map(({ fold, modelsDir, models }) => ({ fold, modelsDir, models })),
    logitThreshold: tuned.logitThreshold,
    probThreshold: tuned.probThreshold,
    minArea: tuned.minArea,
    topLogitThreshold: tuned.topLogitThreshold,
    gateLogitThreshold: tuned.gateLogitThreshold,
    resized: config.input.mode === 'resize',
    submission: input.submission,
  });
}
