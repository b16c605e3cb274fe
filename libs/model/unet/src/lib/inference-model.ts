import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { fileSystemIO, MODEL_JSON } from '@segkit/backend';
import { z } from 'zod';
import { readJsonArtifact, UserError } from '@segkit/io';
import type { Padding2D } from './reflection-pad';
import { inferenceModel, inferenceSpecSchema, type InferenceModel, type InferenceSpec } from './inference-spec';
import { foldBatchNormLayers, foldedConvWeights, type InboundRef, type LayerJson } from './fold-batch-norm';

// Still importable from here (its former home).
export { inferenceModel, inferenceSpecSchema };
export type { InferenceModel, InferenceSpec };


/** Layer classes this project registers; none may remain in an exported model. */
const CUSTOM_CLASSES = new Set(['ReflectionPad2D', 'BilinearUpsample2D', 'TgsLinearView']);

interface ModelJson {
  class_name: string;
  config: { name: string; layers: LayerJson[]; input_layers: InboundRef[]; output_layers: InboundRef[] };
  [key: string]: unknown;
}

/**
 * The 1-D half-pixel-centre bilinear upsampling by `factor` of a length-n signal as an n × n·factor
 * matrix M, so y = x·M (x as a row): output o = factor·j + k samples the input at
 * j + d, d = (k + ½)/factor − ½, i.e. weights (−d, 1 + d) on inputs (j−1, j) when d < 0 and
 * (1 − d, d) on (j, j+1) otherwise, indices clamped to [0, n−1] (edge replicated). The same weights
 * as {@link upsampleBilinear2d}.
 */
export function bilinearMatrix(n: number, factor: number): Float32Array {
  const m = new Float32Array(n * n * factor);
  const cols = n * factor;
  const clamp = (i: number) => Math.min(n - 1, Math.max(0, i));
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < factor; k++) {
      const o = factor * j + k;
      const d = (k + 0.5) / factor - 0.5;
      if (d < 0) {
        m[clamp(j - 1) * cols + o] += -d;
        m[j * cols + o] += 1 + d;
      } else {
        m[j * cols + o] += 1 - d;
        m[clamp(j + 1) * cols + o] += d;
      }
    }
  }
  return m;
}

/** The outputs an exported model keeps: the main logits and the empty-mask gate (deep-supervision outputs are for training only). */
const INFERENCE_OUTPUTS = ['logits', 'gate'];

/**
 * Keeps only the model's `logits` and `gate` outputs and the layers they depend on (a U-Net with
 * deep supervision loses its auxiliary heads); returns whether a gate output remains.
 */
function pruneToInferenceOutputs(topology: ModelJson): boolean {
  const outputs = topology.config.output_layers.filter((ref) => INFERENCE_OUTPUTS.includes(ref[0]));
  if (outputs.length === 0 || outputs[0][0] !== 'logits') throw new Error("exportInferenceModel: the model's first output must be the layer 'logits' (a buildUnet model)");
  if (outputs.length === topology.config.output_layers.length) return outputs.length > 1;
  const byName = new Map(topology.config.layers.map((l) => [l.name, l]));
  const needed = new Set<string>();
  const stack = outputs.map((ref) => ref[0]);
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    for (const node of byName.get(name)?.inbound_nodes ?? []) for (const ref of node) stack.push(ref[0]);
  }
  topology.config.layers = topology.config.layers.filter((l) => needed.has(l.name));
  topology.config.output_layers = outputs;
  return outputs.length > 1;
}

function inputOf(layer: LayerJson): InboundRef {
  if (layer.inbound_nodes.length !== 1 || layer.inbound_nodes[0].length !== 1) {
    throw new Error(`exportInferenceModel: layer '${layer.name}' must have exactly one input`);
  }
  return layer.inbound_nodes[0][0];
}

/**
 * A U-Net built by {@link buildUnet} rebuilt from stock tfjs layers only, so that
 * `tf.loadLayersModel` in plain @tensorflow/tfjs (node or browser) loads it without this project's
 * code:
 *
 * - the ReflectionPad2D input layer is dropped: the model takes the already padded image;
 * - the final Cropping2D is dropped: the model outputs logits at the padded size (the head is a
 *   1×1 conv, so cropping after it gives the same numbers);
 * - every BilinearUpsample2D(f) becomes Permute → Dense (the fixed n × n·f interpolation matrix of
 *   {@link bilinearMatrix}, no bias) → Permute along the height, then the same along the width.
 *
 * - a model with an empty-mask gate keeps it as a second output ([n, 1] logits, `spec.gate`); the
 *   deep-supervision outputs, for training only, are dropped with the layers only they use;
 * - every BatchNormalization right after a Conv2D is folded into that convolution's weights and
 *   bias, and a ReLU right after it into the convolution's activation (see
 *   {@link foldBatchNormLayers}): one fused kernel call instead of three passes over the
 *   activations, the same function up to float32 rounding.
 *
 * Other weights are copied by layer name. The padding and crop go into the metadata (see
 * {@link InferenceSpec}). The source model is left untouched.
 */
export async function exportInferenceModel(model: tf.LayersModel): Promise<{ model: tf.LayersModel; spec: InferenceSpec }> {
  const topology = JSON.parse(JSON.stringify(model.toJSON(null, false))) as ModelJson;
  const gate = pruneToInferenceOutputs(topology);
  const { layers, folds } = foldBatchNormLayers(topology.config.layers, topology.config.output_layers);
  const pads = layers.filter((l) => l.class_name === 'ReflectionPad2D');
  const crops = layers.filter((l) => l.class_name === 'Cropping2D');
  if (pads.length !== 1 || crops.length !== 1) {
    throw new Error(`exportInferenceModel: expected one ReflectionPad2D and one Cropping2D (a buildUnet model), found ${pads.length} and ${crops.length}`);
  }
  const input = layers.find((l) => l.class_name === 'InputLayer');
  if (!input) throw new Error('exportInferenceModel: the model has no InputLayer');
  const [[top, bottom], [left, right]] = pads[0].config['padding'] as Padding2D;
  const cropping = crops[0].config['cropping'] as Padding2D;
  if (JSON.stringify(cropping) !== JSON.stringify([[top, bottom], [left, right]])) {
    throw new Error(`exportInferenceModel: crop ${JSON.stringify(cropping)} does not undo the padding ${JSON.stringify(pads[0].config['padding'])}`);
  }
  const [, height, width, channels] = input.config['batch_input_shape'] as [null, number, number, number];
  if (channels !== 1 && channels !== 3) throw new Error(`exportInferenceModel: the model reads ${channels} channels (1 or 3 expected)`);
  input.config['batch_input_shape'] = [null, height + top + bottom, width + left + right, channels];

  // Rewire every reference to a dropped layer to that layer's own input.
  const replaced = new Map<string, InboundRef>([
    [pads[0].name, inputOf(pads[0])],
    [crops[0].name, inputOf(crops[0])],
  ]);
  const generated: { name: string; weights: () => tf.Tensor[] }[] = folds.map((fold) => ({ name: fold.conv, weights: () => foldedConvWeights(model, fold) }));
  const out: LayerJson[] = [];
  for (const layer of layers) {
    if (replaced.has(layer.name)) continue;
    layer.inbound_nodes = layer.inbound_nodes.map((node) => node.map((ref) => replaced.get(ref[0]) ?? ref));
    if (layer.class_name !== 'BilinearUpsample2D') {
      out.push(layer);
      continue;
    }
    const factor = layer.config['factor'] as number;
    const shape = model.getLayer(layer.name).inboundNodes[0].inputShapes[0] as number[];
    const [, h, w] = shape;
    let prev: InboundRef = inputOf(layer);
    const add = (suffix: string, class_name: string, config: Record<string, unknown>): void => {
      const name = suffix === '' ? layer.name : `${layer.name}_${suffix}`;
      out.push({ class_name, name, config: { name, trainable: false, ...config }, inbound_nodes: [[[prev[0], prev[1], prev[2], {}]]] });
      prev = [name, 0, 0, {}];
    };
    const dense = (n: number) => ({ units: n * factor, use_bias: false, activation: 'linear', kernel_initializer: { class_name: 'Zeros', config: {} } });
    // [b, h, w, c] → [b, c, w, h] → Dense over h → back; then [b, hf, w, c] → [b, hf, c, w] → Dense over w → back.
    add('h_in', 'Permute', { dims: [3, 2, 1] });
    add('h', 'Dense', dense(h));
    add('h_out', 'Permute', { dims: [3, 2, 1] });
    add('w_in', 'Permute', { dims: [1, 3, 2] });
    add('w', 'Dense', dense(w));
    add('', 'Permute', { dims: [1, 3, 2] });
    generated.push({ name: `${layer.name}_h`, weights: () => [tf.tensor2d(bilinearMatrix(h, factor), [h, h * factor])] });
    generated.push({ name: `${layer.name}_w`, weights: () => [tf.tensor2d(bilinearMatrix(w, factor), [w, w * factor])] });
  }
  topology.config.layers = out;
  topology.config.name = `${model.name}_inference`;
  const custom = out.filter((l) => CUSTOM_CLASSES.has(l.class_name));
  if (custom.length > 0) throw new Error(`exportInferenceModel: layer '${custom[0].name}' (${custom[0].class_name}) has no stock equivalent`);

  const exported = (await tf.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] })) as tf.LayersModel;
  for (const layer of exported.layers) {
    const gen = generated.find((g) => g.name === layer.name);
    if (gen) {
      const ws = gen.weights();
      layer.setWeights(ws);
      ws.forEach((t) => t.dispose());
    } else if (layer.weights.length > 0) {
      const ws = model.getLayer(layer.name).getWeights();
      layer.setWeights(ws);
    }
  }
  const spec: InferenceSpec = {
    format: 'tgs-inference-1',
    height,
    width,
    ...(channels === 3 ? { channels: 3 as const } : {}),
    inputScale: 255,
    padding: { mode: 'reflect', top, bottom, left, right },
    output: 'logits',
    ...(gate ? { gate: true as const } : {}),
  };
  // The pretrained weights the encoder started from (see loadUnetEncoderWeights) travel with the export.
  const encoderWeights = (model.getUserDefinedMetadata() as { encoderWeights?: unknown } | undefined)?.encoderWeights;
  exported.setUserDefinedMetadata({ tgsInference: spec, ...(encoderWeights === undefined ? {} : { encoderWeights }) });
  return { model: exported, spec };
}

/** Saves an exported model (stock tfjs layers format, metadata included), atomically. */
export async function saveInferenceModel(exported: tf.LayersModel, dir: string): Promise<void> {
  await exported.save(fileSystemIO(dir));
}

/** The part of an exported model's `model.json` that {@link readInferenceSpec} reads. */
const exportedModelJsonSchema = z.object({ userDefinedMetadata: z.object({ tgsInference: inferenceSpecSchema }) });

/**
 * The `tgsInference` metadata of a saved exported model (written by the predict step), validated,
 * without building the model; a UserError names the file and the first bad field.
 */
export function readInferenceSpec(dir: string): InferenceSpec {
  return readJsonArtifact(join(dir, MODEL_JSON), exportedModelJsonSchema, 'predict').userDefinedMetadata.tgsInference;
}

/**
 * Loads a model saved by {@link saveInferenceModel}; a missing or foreign model.json, or one without
 * valid `tgsInference` metadata, is a UserError naming the file.
 */
export async function loadInferenceModel(dir: string): Promise<InferenceModel> {
  const path = join(dir, MODEL_JSON);
  const spec = readInferenceSpec(dir);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileSystemIO(dir, 'predict'));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot build the model (${(err as Error).message})`);
  }
  return inferenceModel(model, spec);
}
