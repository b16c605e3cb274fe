import * as tf from '@tensorflow/tfjs';
import { fuseBatchNormRelu, loadLayersModel, saveLayersModel } from '@segkit/backend';
// Side-effect imports: the custom layers must be registered before any model.json is deserialised.
import './bilinear-upsample';
import './reflection-pad';
import './strip-sigmoid';

/**
 * Saves a model as `<dir>/model.json` + `<dir>/weights.bin` (tfjs layers format, atomic directory
 * replace). Custom layers (ReflectionPad2D, BilinearUpsample2D, TgsLinearView) serialise through their registered classes.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await saveLayersModel(model, dir);
}

/**
 * Loads a model written by {@link saveModel} (or by tfjs-node); custom layers are registered on
 * import. Its batch norms that feed only a ReLU run that ReLU in their training kernel, as in a
 * model just built (@segkit/backend fuseBatchNormRelu).
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const model = await loadLayersModel(dir);
  fuseBatchNormRelu(model);
  return model;
}
