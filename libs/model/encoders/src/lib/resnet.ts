import * as tf from '@tensorflow/tfjs';
import { activation, batchNormalization, conv2d } from '@segkit/backend';

type Sym = tf.SymbolicTensor;

/** The ResNets of torchvision (He et al. 2016, v1.5: the stride of a bottleneck block is on its 3×3 conv). */
export const RESNETS = {
  resnet18: { block: 'basic', blocks: [2, 2, 2, 2] },
  resnet34: { block: 'basic', blocks: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', blocks: [3, 4, 6, 3] },
} as const;
export type ResnetName = keyof typeof RESNETS;
export const ENCODER_NAMES = Object.keys(RESNETS) as ResnetName[];

/** Every encoder layer's name starts with this, followed by torchvision's module path (`encoder.layer1.0.conv1`). */
export const ENCODER_PREFIX = 'encoder.';
/** The fixed ImageNet normalisation (a 1×1 conv that is never trained and is not in any weights file). */
export const IMAGENET_LAYER = 'encoder.imagenet';

/** torchvision's ImageNet statistics (per RGB channel) that every pretrained ResNet expects. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/** PyTorch's BatchNorm2d defaults: eps 1e-5, momentum 0.1 (Keras spelling: 0.9). */
const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.9;

export interface ResnetEncoderOptions {
  /**
   * How strided convolutions and the stem max-pool pad: 'torch' (the default) pads explicitly and
   * symmetrically as PyTorch does; 'same' uses tfjs's `same` padding, which puts the odd extra pixel
   * after (pads (2, 3) where PyTorch pads (3, 3) on even sizes). 'same' exists only as the parity
   * test's negative control.
   */
  padding?: 'torch' | 'same';
  /** Seed of the He-normal initialisers (the weights file replaces them). */
  seed?: number;
  /**
   * 'heNormal' (default) for training from scratch; 'zeros' skips drawing ~11–24 M random numbers
   * when a weights file replaces every kernel anyway.
   */
  initializer?: 'heNormal' | 'zeros';
}

/** An encoder's feature maps at strides 2, 4, 8, 16 and 32, as the decoder taps them. */
export interface EncoderTaps {
  /** [relu (stem), layer1, layer2, layer3, layer4]. */
  features: Sym[];
  channels: number[];
}

/** Output stride of the deepest tap: inputs must be padded to a multiple of it. */
export const ENCODER_STRIDE = 32;

class ResnetBuilder {
  private seed: number;
  constructor(
    private readonly padding: 'torch' | 'same',
    seed: number,
    private readonly initializer: 'heNormal' | 'zeros',
  ) {
    this.seed = seed;
  }

  private apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
    return layer.apply(x) as Sym;
  }

  /** Conv without bias, as torchvision's; stride 2 with k > 1 gets PyTorch's explicit symmetric zero padding k // 2. */
  conv(x: Sym, filters: number, kernel: number, stride: number, name: string): Sym {
    const pad = Math.floor(kernel / 2);
    const init = this.initializer === 'zeros' ? tf.initializers.zeros() : tf.initializers.heNormal({ seed: this.seed++ });
    if (stride === 1 || kernel === 1 || this.padding === 'same') {
      // Stride 1, odd k: tfjs `same` pads k // 2 on both sides, exactly PyTorch's padding = k // 2.
      // A 1×1 stride-2 conv needs no padding at all ('valid' samples pixels 0, 2, 4, … as PyTorch).
      const mode = kernel === 1 ? 'valid' : 'same';
      return this.apply(conv2d({ filters, kernelSize: kernel, strides: stride, padding: mode, useBias: false, kernelInitializer: init, name }), x);
    }
    const padded = this.apply(tf.layers.zeroPadding2d({ padding: [[pad, pad], [pad, pad]], name: `${name}_pad` }), x);
    return this.apply(conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'valid', useBias: false, kernelInitializer: init, name }), padded);
  }

  bn(x: Sym, name: string): Sym {
    return this.apply(batchNormalization({ axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name }), x);
  }

  relu(x: Sym, name: string): Sym {
    return this.apply(activation({ activation: 'relu', name }), x);
  }

  /** torchvision BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + downsample(x)). */
  basic(x: Sym, planes: number, stride: number, name: string): Sym {
    let y = this.relu(this.bn(this.conv(x, planes, 3, stride, `${name}.conv1`), `${name}.bn1`), `${name}.relu1`);
    y = this.bn(this.conv(y, planes, 3, 1, `${name}.conv2`), `${name}.bn2`);
    return this.residual(x, y, planes, stride, name);
  }

  /** torchvision Bottleneck (v1.5): 1×1 → 3×3 (stride here) → 1×1 with 4× the planes. */
  bottleneck(x: Sym, planes: number, stride: number, name: string): Sym {
    let y = this.relu(this.bn(this.conv(x, planes, 1, 1, `${name}.conv1`), `${name}.bn1`), `${name}.relu1`);
    y = this.relu(this.bn(this.conv(y, planes, 3, stride, `${name}.conv2`), `${name}.bn2`), `${name}.relu2`);
    y = this.bn(this.conv(y, planes * 4, 1, 1, `${name}.conv3`), `${name}.bn3`);
    return this.residual(x, y, planes * 4, stride, name);
  }

  private residual(x: Sym, y: Sym, outChannels: number, stride: number, name: string): Sym {
    const inChannels = x.shape[3] as number;
    const shortcut =
      stride !== 1 || inChannels !== outChannels
        ? this.bn(this.conv(x, outChannels, 1, stride, `${name}.downsample.0`), `${name}.downsample.1`)
        : x;
    return this.relu(this.apply(tf.layers.add({ name: `${name}.add` }), [y, shortcut]), `${name}.relu`);
  }

  /** torchvision's max-pool 3×3 stride 2 padding 1. It follows a ReLU, so zero padding is the same as PyTorch's −∞. */
  maxPool(x: Sym): Sym {
    const name = `${ENCODER_PREFIX}maxpool`;
    if (this.padding === 'same') return this.apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name }), x);
    const padded = this.apply(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: `${name}_pad` }), x);
    return this.apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name }), padded);
  }
}

/**
 * ImageNet input mapping inside the model: images in [0, 1] with 1 channel (grey, repeated to RGB)
 * or 3 (RGB) become (x − mean) / std per RGB channel, as a fixed 1×1 conv: kernel
 * w[c_in][c_out] = 1/std[c_out] (grey: every c_out from the one input; RGB: the diagonal),
 * bias −mean[c_out]/std[c_out]. Not trainable, not in any weights file.
 */
export function imagenetInput(x: Sym): Sym {
  const channels = x.shape[3] as number;
  if (channels !== 1 && channels !== 3) throw new Error(`imagenetInput: images must have 1 or 3 channels, got ${channels}`);
  const kernel = new Float32Array(channels * 3);
  for (let out = 0; out < 3; out++) {
    if (channels === 1) kernel[out] = 1 / IMAGENET_STD[out];
    else kernel[out * 3 + out] = 1 / IMAGENET_STD[out];
  }
  const bias = IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]);
  const layer = conv2d({ filters: 3, kernelSize: 1, useBias: true, trainable: false, name: IMAGENET_LAYER });
  const y = layer.apply(x) as Sym;
  const weights = [tf.tensor4d(kernel, [1, 1, channels, 3]), tf.tensor1d(bias)];
  layer.setWeights(weights);
  tf.dispose(weights);
  return y;
}

/**
 * A torchvision ResNet's feature extractor on an already ImageNet-normalised 3-channel input, from
 * stock tfjs layers whose names are `encoder.` + torchvision's module paths, so `conv1.weight`,
 * `layer2.0.downsample.1.running_var` … map 1:1 onto layer weights (see {@link encoderWeightMap}).
 * Taps: the stem's ReLU (stride 2) and layer1–layer4 (strides 4–32), smp's Unet taps.
 */
export function resnetEncoder(x: Sym, name: ResnetName, options: ResnetEncoderOptions = {}): EncoderTaps {
  const spec = RESNETS[name];
  const b = new ResnetBuilder(options.padding ?? 'torch', options.seed ?? 0, options.initializer ?? 'heNormal');
  const p = ENCODER_PREFIX;
  const stem = b.relu(b.bn(b.conv(x, 64, 7, 2, `${p}conv1`), `${p}bn1`), `${p}relu`);
  const features = [stem];
  let y = b.maxPool(stem);
  const widths = [64, 128, 256, 512];
  spec.blocks.forEach((count, stage) => {
    for (let i = 0; i < count; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const blockName = `${p}layer${stage + 1}.${i}`;
      y = spec.block === 'basic' ? b.basic(y, widths[stage], stride, blockName) : b.bottleneck(y, widths[stage], stride, blockName);
    }
    features.push(y);
  });
  return { features, channels: features.map((f) => f.shape[3] as number) };
}
