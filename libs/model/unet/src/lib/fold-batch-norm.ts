import * as tf from '@tensorflow/tfjs';

/** Keras-JSON types of the parts of a functional model's topology we rewrite. */
export type InboundRef = [string, number, number, Record<string, unknown>?];
export interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: InboundRef[][];
}

/** One BatchNormalization (and optionally the ReLU after it) folded into the Conv2D before it. */
export interface BatchNormFold {
  conv: string;
  batchNorm: string;
  /** The Activation('relu') layer now run by the convolution itself, if there was one. */
  relu?: string;
}

/**
 * Inference-time BatchNorm folded into the convolution before it, per output channel o:
 *
 *   s_o = γ_o / √(σ²_o + ε)
 *   W'[…, o] = W[…, o] · s_o
 *   b'_o = (b_o − μ_o) · s_o + β_o        (b_o = 0 for a convolution without bias)
 *
 * so that conv(x; W', b') = γ (conv(x; W, b) − μ) / √(σ² + ε) + β, the BatchNorm of the
 * convolution in inference mode. `kernel` is [kh, kw, in, out] (out fastest); `gamma`/`beta` are
 * absent for a BatchNorm without scale/center (1 and 0). Computed in float64, rounded once to
 * float32. Pure: returns new arrays.
 */
export function foldBatchNormWeights(
  kernel: Float32Array,
  bias: Float32Array | undefined,
  bn: { gamma?: Float32Array; beta?: Float32Array; mean: Float32Array; variance: Float32Array; epsilon: number },
): { kernel: Float32Array; bias: Float32Array } {
  const out = bn.mean.length;
  if (bn.variance.length !== out || kernel.length % out !== 0) throw new Error(`foldBatchNormWeights: ${kernel.length} kernel values, ${out} channels`);
  const scale = Array.from({ length: out }, (_, o) => (bn.gamma ? bn.gamma[o] : 1) / Math.sqrt(bn.variance[o] + bn.epsilon));
  const folded = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) folded[i] = kernel[i] * scale[i % out];
  const b = new Float32Array(out);
  for (let o = 0; o < out; o++) b[o] = ((bias ? bias[o] : 0) - bn.mean[o]) * scale[o] + (bn.beta ? bn.beta[o] : 0);
  return { kernel: folded, bias: b };
}

/** The layers reading each layer's output (once per reference), and the model outputs naming it as a reader `null`. */
function readers(layers: LayerJson[], outputs: InboundRef[]): Map<string, Array<LayerJson | null>> {
  const by = new Map<string, Array<LayerJson | null>>();
  const add = (name: string, reader: LayerJson | null) => by.set(name, [...(by.get(name) ?? []), reader]);
  for (const l of layers) for (const node of l.inbound_nodes) for (const ref of node) add(ref[0], l);
  for (const ref of outputs) add(ref[0], null);
  return by;
}

function soleInput(layer: LayerJson): string | undefined {
  return layer.inbound_nodes.length === 1 && layer.inbound_nodes[0].length === 1 ? layer.inbound_nodes[0][0][0] : undefined;
}

/**
 * Finds the BatchNormalization layers of a functional topology that can be folded into the Conv2D
 * before them — the BatchNorm's only input is a channels-last Conv2D with a linear activation
 * whose output nothing else reads, and it normalises the last axis — and, where the BatchNorm's
 * output is read only by an Activation('relu'), that ReLU too (the convolution then runs it as its
 * fused activation). Rewrites `layers` in place: the BatchNorm (and ReLU) layers are removed,
 * their readers read the convolution, and the convolution gets a bias (and the ReLU). The weights
 * are for {@link foldedConvWeights}. Anything else (a BatchNorm after an Add, a convolution read
 * twice) is left as it is.
 */
export function foldBatchNormLayers(layers: LayerJson[], outputs: InboundRef[]): { layers: LayerJson[]; folds: BatchNormFold[] } {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const readersOf = readers(layers, outputs);
  const folds: BatchNormFold[] = [];
  const dropped = new Map<string, string>();
  for (const bn of layers) {
    if (bn.class_name !== 'BatchNormalization') continue;
    const axis = bn.config['axis'];
    if (axis !== -1 && axis !== 3) continue;
    const convName = soleInput(bn);
    const conv = convName === undefined ? undefined : byName.get(convName);
    if (!conv || conv.class_name !== 'Conv2D' || readersOf.get(conv.name)?.length !== 1) continue;
    if ((conv.config['data_format'] ?? 'channels_last') !== 'channels_last' || (conv.config['activation'] ?? 'linear') !== 'linear') continue;
    const fold: BatchNormFold = { conv: conv.name, batchNorm: bn.name };
    dropped.set(bn.name, conv.name);
    conv.config['use_bias'] = true;
    const next = readersOf.get(bn.name) ?? [];
    const relu = next.length === 1 ? next[0] : null;
    if (relu && relu.class_name === 'Activation' && relu.config['activation'] === 'relu') {
      fold.relu = relu.name;
      dropped.set(relu.name, conv.name);
      conv.config['activation'] = 'relu';
    }
    folds.push(fold);
  }
  const kept = layers.filter((l) => !dropped.has(l.name));
  for (const l of kept) l.inbound_nodes = l.inbound_nodes.map((node) => node.map((ref) => (dropped.has(ref[0]) ? ([dropped.get(ref[0]) as string, 0, 0, ref[3] ?? {}] as InboundRef) : ref)));
  for (const ref of outputs) if (dropped.has(ref[0])) ref.splice(0, 3, dropped.get(ref[0]) as string, 0, 0);
  return { layers: kept, folds };
}

/** A variable of `layer` by the last part of its name (`gamma`, `moving_mean`, `kernel`, …). */
function variableOf(layer: tf.layers.Layer, suffix: string): tf.LayerVariable | undefined {
  return layer.weights.find((v) => v.originalName.split('/').pop() === suffix);
}
const valuesOf = (layer: tf.layers.Layer, suffix: string): Float32Array | undefined => variableOf(layer, suffix)?.read().dataSync() as Float32Array | undefined;

/** The folded convolution's [kernel, bias] (see {@link foldBatchNormWeights}) from the source model's layers. */
export function foldedConvWeights(model: tf.LayersModel, fold: BatchNormFold): tf.Tensor[] {
  const conv = model.getLayer(fold.conv);
  const bn = model.getLayer(fold.batchNorm);
  const kernel = variableOf(conv, 'kernel');
  const mean = valuesOf(bn, 'moving_mean');
  const variance = valuesOf(bn, 'moving_variance');
  if (!kernel || !mean || !variance) throw new Error(`exportInferenceModel: cannot fold '${fold.batchNorm}' into '${fold.conv}': weights missing`);
  const epsilon = (bn.getConfig() as { epsilon: number }).epsilon;
  const folded = foldBatchNormWeights(kernel.read().dataSync() as Float32Array, valuesOf(conv, 'bias'), {
    gamma: valuesOf(bn, 'gamma'),
    beta: valuesOf(bn, 'beta'),
    mean,
    variance,
    epsilon,
  });
  return [tf.tensor(folded.kernel, kernel.shape as number[]), tf.tensor1d(folded.bias)];
}
