import * as tf from '@tensorflow/tfjs';
import { ENCODER_PREFIX, IMAGENET_LAYER } from './resnet';
import type { StateDict } from './tensor-data';
import { matchStateDict, readWeightsFile, stripPrefixes, type ExpectedTensor } from './weights-file';

/** One PyTorch tensor of the encoder and where it goes: weight `index` of layer `layer`. */
interface Slot extends ExpectedTensor {
  layer: tf.layers.Layer;
  index: number;
}

/** BatchNormalization's weights in tfjs order (gamma, beta, moving mean, moving variance) → PyTorch's names. */
const BN_NAMES = ['weight', 'bias', 'running_mean', 'running_var'];

/** Names a torchvision / timm ResNet file has that no encoder uses: the ImageNet classifier. */
export const isClassifierTensor = (name: string): boolean => name.startsWith('fc.');

/**
 * Every PyTorch tensor the encoder layers of `model` (names `encoder.<torchvision path>`) take, with
 * PyTorch's shapes: a Conv2D kernel [kh, kw, in, out] is `<path>.weight` [out, in, kh, kw]; a
 * BatchNormalization is `<path>.weight|bias|running_mean|running_var` [C].
 */
function encoderSlots(model: tf.LayersModel): Slot[] {
  const slots: Slot[] = [];
  for (const layer of model.layers) {
    if (!layer.name.startsWith(ENCODER_PREFIX) || layer.name === IMAGENET_LAYER || layer.weights.length === 0) continue;
    const path = layer.name.slice(ENCODER_PREFIX.length);
    const className = layer.getClassName();
    if (className === 'Conv2D') {
      const [kh, kw, cin, cout] = layer.weights[0].shape as number[];
      slots.push({ name: `${path}.weight`, shape: [cout, cin, kh, kw], layer, index: 0 });
    } else if (className === 'BatchNormalization') {
      const c = layer.weights[0].shape[0] as number;
      BN_NAMES.forEach((suffix, index) => slots.push({ name: `${path}.${suffix}`, shape: [c], layer, index }));
    } else {
      throw new Error(`encoder layer '${layer.name}' (${className}) has weights but no PyTorch mapping`);
    }
  }
  return slots;
}

/** The PyTorch names and shapes the encoder of `model` needs, in layer order. */
export function encoderTensorNames(model: tf.LayersModel): ExpectedTensor[] {
  return encoderSlots(model).map(({ name, shape }) => ({ name, shape }));
}

/**
 * Copies a state dict into the encoder of `model`: prefixes stripped, strict match (missing,
 * unexpected and wrong-shape tensors are one error naming `file`; the classifier `fc.*` and
 * `num_batches_tracked` are dropped), conv kernels transposed from [out, in, kh, kw] to tfjs's
 * [kh, kw, in, out]. BatchNorm statistics included. Returns the number of tensors set.
 */
export function setEncoderWeights(model: tf.LayersModel, stateDict: StateDict, file: string): number {
  const slots = encoderSlots(model);
  const matched = matchStateDict(slots, stripPrefixes(stateDict), file, isClassifierTensor);
  const byLayer = new Map<tf.layers.Layer, tf.Tensor[]>();
  for (const slot of slots) {
    const t = matched.get(slot.name)!;
    const values = slot.shape.length === 4 ? torchToTfjsKernel(t.values, slot.shape as [number, number, number, number]) : tf.tensor1d(t.values);
    const list = byLayer.get(slot.layer) ?? new Array<tf.Tensor>(slot.layer.weights.length);
    list[slot.index] = values;
    byLayer.set(slot.layer, list);
  }
  for (const [layer, weights] of byLayer) {
    layer.setWeights(weights);
    tf.dispose(weights);
  }
  return slots.length;
}

/** A PyTorch conv kernel [out, in, kh, kw] (row-major values) as tfjs's [kh, kw, in, out]. */
function torchToTfjsKernel(values: Float32Array, [cout, cin, kh, kw]: [number, number, number, number]): tf.Tensor4D {
  const out = new Float32Array(values.length);
  let source = 0;
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * cin + i) * cout + o] = values[source++];
  return tf.tensor4d(out, [kh, kw, cin, cout]);
}

/** {@link setEncoderWeights} from a `.pth` / `.safetensors` file; returns the file's sha-256. */
export function loadEncoderWeights(model: tf.LayersModel, path: string): { sha256: string; tensors: number } {
  const file = readWeightsFile(path);
  return { sha256: file.sha256, tensors: setEncoderWeights(model, file.stateDict, path) };
}
