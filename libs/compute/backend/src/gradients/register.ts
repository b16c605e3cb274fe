import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormGradConfig } from './batch-norm-grad';
import { reluGradConfig } from './relu-grad';
import { batchNormReluTrainGradConfig, batchNormTrainGradConfig } from './batch-norm-train-grad';
import { meanGradConfig } from './mean-grad';

/** Gradients we override on every backend, as small configs (same values, cheaper ops). */
export const TRAINING_GRADIENTS: readonly tf.GradConfig[] = [fusedBatchNormGradConfig, meanGradConfig, reluGradConfig, batchNormTrainGradConfig, batchNormReluTrainGradConfig];

/** Registers {@link TRAINING_GRADIENTS}; idempotent. */
export function registerTrainingGradients(): void {
  for (const config of TRAINING_GRADIENTS) tf.registerGradient(config);
}
