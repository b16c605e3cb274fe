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

/** How many times each layer's output is read by the other layers (and the model's outputs). */
function readers(layers: LayerJson[], outputs: InboundRef[]): Map<string, number> {
  const count = new Map<string, number>();
  const add = (name: string) => count.set(name, (count.get(name) ?? 0) + 1);
  for (const l of layers) for (const node of l.inbound_nodes) for (const ref of node) add(ref[0]);
  for (const ref of outputs) add(ref[0]);
  return count;
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
  const count = readers(layers, outputs);
  const readersOf = (name: string) => layers.filter((l) => l.inbound_nodes.some((node) => node.some((ref) => ref[0] === name)));
  const folds: BatchNormFold[] = [];
  const dropped = new Map<string, string>();
  for (const bn of layers) {
    if (bn.class_name !== 'BatchNormalization') continue;
    const axis = bn.config['axis'];
    if (axis !== -1 && axis !== 3) continue;
    const convName = soleInput(bn);
    const conv = convName === undefined ? undefined : byName.get(convName);
    if (!conv || conv.class_name !== 'Conv2D' || count.get(conv.name) !== 1) continue;
    if ((conv.config['data_format'] ?? 'channels_last') !== 'channels_last' || (conv.config['activation'] ?? 'linear') !== 'linear') continue;
    const fold: BatchNormFold = { conv: conv.name, batchNorm: bn.name };
    dropped.set(bn.name, conv.name);
    conv.config['use_bias'] = true;
    const next = readersOf(bn.name);
    if (count.get(bn.name) === 1 && next.length === 1 && next[0].class_name === 'Activation' && next[0].config['activation'] === 'relu') {
      fold.relu = next[0].name;
      dropped.set(next[0].name, conv.name);
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
function weightOf(layer: tf.layers.Layer, suffix: string): Float32Array | undefined {
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === suffix);
  return w ? (w.read().dataSync() as Float32Array) : undefined;
}

/** The folded convolution's [kernel, bias] (see {@link foldBatchNormWeights}) from the source model's layers. */
export function foldedConvWeights(model: tf.LayersModel, fold: BatchNormFold): tf.Tensor[] {
  const conv = model.getLayer(fold.conv);
  const bn = model.getLayer(fold.batchNorm);
  const kernel = weightOf(conv, 'kernel');
  const mean = weightOf(bn, 'moving_mean');
  const variance = weightOf(bn, 'moving_variance');
  if (!kernel || !mean || !variance) throw new Error(`exportInferenceModel: cannot fold '${fold.batchNorm}' into '${fold.conv}': weights missing`);
  const epsilon = (bn.getConfig() as { epsilon: number }).epsilon;
  const { kernel: k, bias } = foldBatchNormWeights(kernel, weightOf(conv, 'bias'), { gamma: weightOf(bn, 'gamma'), beta: weightOf(bn, 'beta'), mean, variance, epsilon });
  const shape = conv.weights.find((v) => v.originalName.split('/').pop() === 'kernel')?.shape as number[];
  return [tf.tensor(k, shape), tf.tensor1d(bias)];
}
