import * as tf from '@tensorflow/tfjs';
import { basename } from 'node:path';
import { activation, batchNormalization, conv2d, fuseBatchNormRelu } from '@segkit/backend';
import { imagenetInput, loadEncoderWeights, resnetEncoder } from '@segkit/encoders';
import { padAmounts, resolveUnetConfig, type ResolvedUnetConfig, type UnetConfig } from './config';
import { BilinearUpsample2D } from './bilinear-upsample';
import { ReflectionPad2D, type Padding2D } from './reflection-pad';

type Sym = tf.SymbolicTensor;

/**
 * BN momentum 0.9 = PyTorch's default 0.1 (Keras's 0.99 lags far behind the weights during the
 * short CPU runs this toolkit does, so inference-mode BN statistics would be stale).
 */
const BN_MOMENTUM = 0.9;
const BN_EPSILON = 1e-5;
/** Channel reduction of the cSE bottleneck; Roy et al. 2018 use r = 2. */
const SCSE_REDUCTION = 2;

/** The ResNet's initialisers draw from their own seed range, apart from the decoder's consecutive seeds. */
const ENCODER_SEED_OFFSET = 0x40000000;

/** Hands out consecutive seeds so every initialiser and dropout mask is reproducible from one seed. */
class SeedSequence {
  private next: number;
  constructor(seed: number) {
    this.next = seed;
  }
  take(): number {
    return this.next++;
  }
}

function apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Builder that owns the naming scheme and the seed sequence of one network. */
class UnetBuilder {
  private readonly seeds: SeedSequence;
  constructor(private readonly cfg: ResolvedUnetConfig) {
    this.seeds = new SeedSequence(cfg.seed);
  }

  heNormal(): ReturnType<typeof tf.initializers.heNormal> {
    return tf.initializers.heNormal({ seed: this.seeds.take() });
  }

  conv(x: Sym, filters: number, kernel: number, name: string, useBias: boolean): Sym {
    return apply(
      conv2d({ filters, kernelSize: kernel, padding: 'same', useBias, kernelInitializer: this.heNormal(), name }),
      x,
    );
  }

  bn(x: Sym, name: string): Sym {
    return apply(batchNormalization({ axis: -1, momentum: BN_MOMENTUM, epsilon: BN_EPSILON, name }), x);
  }

  relu(x: Sym, name: string): Sym {
    return apply(activation({ activation: 'relu', name }), x);
  }

  /** conv 3×3 → [BN] (the conv has a bias only without BN, since BN's beta replaces it). */
  convNorm(x: Sym, filters: number, kernel: number, name: string, suffix: string): Sym {
    const y = this.conv(x, filters, kernel, `${name}_conv${suffix}`, !this.cfg.batchNorm);
    return this.cfg.batchNorm ? this.bn(y, `${name}_bn${suffix}`) : y;
  }

  /** Original U-Net block: (conv 3×3 → [BN] → ReLU) × 2. */
  plainBlock(x: Sym, filters: number, name: string): Sym {
    const y = this.relu(this.convNorm(x, filters, 3, name, '1'), `${name}_relu1`);
    return this.relu(this.convNorm(y, filters, 3, name, '2'), `${name}_relu2`);
  }

  /**
   * Post-activation ResNet basic block (He et al. 2016, "Deep Residual Learning", fig. 2):
   * out = ReLU(BN(conv(ReLU(BN(conv(x))))) + P(x)), P = 1×1 conv(+BN) when channels change
   * (option B of the paper), identity otherwise.
   */
  residualBlock(x: Sym, filters: number, name: string): Sym {
    const y = this.relu(this.convNorm(x, filters, 3, name, '1'), `${name}_relu1`);
    const f = this.convNorm(y, filters, 3, name, '2');
    const inChannels = x.shape[x.shape.length - 1];
    const shortcut = inChannels === filters ? x : this.convNorm(x, filters, 1, name, '_proj');
    const sum = apply(tf.layers.add({ name: `${name}_add` }), [f, shortcut]);
    return this.relu(sum, `${name}_relu2`);
  }

  block(x: Sym, filters: number, name: string): Sym {
    return this.cfg.block === 'residual' ? this.residualBlock(x, filters, name) : this.plainBlock(x, filters, name);
  }

  /**
   * Concurrent spatial and channel squeeze & excitation (Roy, Navab, Wachinger, MICCAI 2018):
   * cSE(x) = x ⊙ σ(W₂ ReLU(W₁ GAP(x))) (channel gates, C → C/2 → C),
   * sSE(x) = x ⊙ σ(conv1×1(x)) (one spatial gate map), scSE(x) = cSE(x) + sSE(x).
   */
  scse(x: Sym, name: string): Sym {
    const channels = x.shape[x.shape.length - 1] as number;
    const hidden = Math.max(1, Math.floor(channels / SCSE_REDUCTION));
    let c = apply(tf.layers.globalAveragePooling2d({ name: `${name}_cpool` }), x);
    c = apply(
      tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: this.heNormal(), name: `${name}_cfc1` }),
      c,
    );
    c = apply(
      tf.layers.dense({ units: channels, activation: 'sigmoid', kernelInitializer: this.heNormal(), name: `${name}_cfc2` }),
      c,
    );
    c = apply(tf.layers.reshape({ targetShape: [1, 1, channels], name: `${name}_cgate` }), c);
    const cse = apply(tf.layers.multiply({ name: `${name}_cse` }), [x, c]);
    const s = apply(
      conv2d({
        filters: 1,
        kernelSize: 1,
        activation: 'sigmoid',
        kernelInitializer: this.heNormal(),
        name: `${name}_sgate`,
      }),
      x,
    );
    const sse = apply(tf.layers.multiply({ name: `${name}_sse` }), [x, s]);
    return apply(tf.layers.add({ name }), [cse, sse]);
  }

  upsample(x: Sym, filters: number, name: string): Sym {
    if (this.cfg.upsample === 'bilinear') {
      // Half-pixel-centre bilinear (PyTorch align_corners=False); see BilinearUpsample2D for why not upSampling2d.
      return apply(new BilinearUpsample2D({ factor: 2, name }), x);
    }
    // Ronneberger et al.'s "up-convolution": 2×2 kernel, stride 2 (no overlap, so no checkerboard).
    return apply(
      tf.layers.conv2dTranspose({ filters, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: this.heNormal(), name }),
      x,
    );
  }

  dropout(x: Sym, rate: number, name: string): Sym {
    if (rate <= 0) return x;
    return apply(tf.layers.dropout({ rate, seed: this.seeds.take(), name }), x);
  }

  /** The empty-mask gate: global average pool of the bottleneck → dense → one raw logit per image, [n, 1]. */
  gateHead(bottleneck: Sym): Sym {
    const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'gate_pool' }), bottleneck);
    return apply(tf.layers.dense({ units: 1, activation: 'linear', kernelInitializer: this.heNormal(), name: 'gate' }), pooled);
  }

  /** A deep-supervision head: 1×1 conv logits at decoder level `level`, bilinear ×2^level to the padded size, cropped like the main head. */
  auxHead(x: Sym, level: number, crop: Padding2D): Sym {
    let y = apply(conv2d({ filters: 1, kernelSize: 1, activation: 'linear', kernelInitializer: this.heNormal(), name: `aux${level + 1}_head` }), x);
    y = apply(new BilinearUpsample2D({ factor: 2 ** level, name: `aux${level + 1}_up` }), y);
    return apply(tf.layers.cropping2D({ cropping: crop, name: `aux${level + 1}_logits` }), y);
  }

  build(): tf.LayersModel {
    const { inputHeight: h, inputWidth: w, depth, baseFilters, padTo, dropout } = this.cfg;
    const filtersAt = (level: number) => baseFilters * 2 ** level;
    const input = tf.input({ shape: [h, w, this.cfg.inChannels ?? 1], name: 'image' });
    const padH = padAmounts(h, padTo);
    const padW = padAmounts(w, padTo);
    let x = apply(new ReflectionPad2D({ padding: [padH, padW], name: 'pad' }), input);

    // Encoder: skips[l] is the feature map at stride 2^l, x the bottleneck at stride 2^depth.
    const skips: (Sym | undefined)[] = [];
    if (this.cfg.encoder !== undefined) {
      // A torchvision ResNet: ImageNet mapping, then taps at strides 2, 4, 8, 16 (skips) and 32
      // (bottleneck). No skip at full resolution, as segmentation_models.pytorch's Unet.
      const { features } = resnetEncoder(imagenetInput(x), this.cfg.encoder, { seed: this.cfg.seed + ENCODER_SEED_OFFSET });
      skips.push(undefined, ...features.slice(0, depth - 1));
      x = this.dropout(features[depth - 1], dropout, 'bottleneck_dropout');
    } else {
      for (let level = 0; level < depth; level++) {
        x = this.block(x, filtersAt(level), `enc${level + 1}`);
        skips.push(x);
        x = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${level + 1}` }), x);
      }
      x = this.dropout(x, dropout, 'bottleneck_dropout');
      x = this.block(x, filtersAt(depth), 'bottleneck');
    }
    const bottleneck = x;

    const decoderOutputs: Sym[] = [];
    for (let level = depth - 1; level >= 0; level--) {
      const name = `dec${level + 1}`;
      x = this.upsample(x, filtersAt(level), `${name}_up`);
      const skip = skips[level];
      if (skip !== undefined) {
        x = apply(tf.layers.concatenate({ axis: -1, name: `${name}_concat` }), [x, skip]);
        x = this.dropout(x, dropout / 2, `${name}_dropout`);
      }
      x = this.block(x, filtersAt(level), name);
      if (this.cfg.scse) x = this.scse(x, `${name}_scse`);
      decoderOutputs[level] = x;
    }

    if (this.cfg.hypercolumn) {
      // Every decoder level, bilinearly upsampled to full resolution, then fused by a 3×3 conv.
      const columns = decoderOutputs.map((d, level) =>
        level === 0
          ? d
          : apply(new BilinearUpsample2D({ factor: 2 ** level, name: `hyper${level + 1}_up` }), d),
      );
      x = apply(tf.layers.concatenate({ axis: -1, name: 'hypercolumn' }), columns);
      x = this.dropout(x, dropout / 2, 'hypercolumn_dropout');
      x = this.relu(this.convNorm(x, baseFilters, 3, 'hyper_fuse', ''), 'hyper_fuse_relu');
    }

    // Exact crop back to the data size before the head: the 1×1 head is pointwise, so cropping
    // first is equivalent and skips the padded border.
    x = apply(tf.layers.cropping2D({ cropping: [padH, padW], name: 'crop' }), x);
    const logits = apply(
      conv2d({ filters: 1, kernelSize: 1, activation: 'linear', kernelInitializer: this.heNormal(), name: 'logits' }),
      x,
    );
    // The extra heads come after the main head, so their initialisers' seeds leave the main model's unchanged.
    const outputs = [logits];
    if (this.cfg.gate) outputs.push(this.gateHead(bottleneck));
    if (this.cfg.deepSupervision) {
      for (let level = 1; level < depth; level++) outputs.push(this.auxHead(decoderOutputs[level], level, [padH, padW]));
    }
    const arch = this.cfg.encoder ?? `${this.cfg.block}_d${depth}`;
    const model = tf.model({ inputs: input, outputs: outputs.length === 1 ? logits : outputs, name: `unet_${arch}_f${baseFilters}` });
    // Saved in model.json, so a loaded model still knows its architecture and the seed it started from.
    model.setUserDefinedMetadata({ unetConfig: { ...this.cfg } });
    fuseBatchNormRelu(model);
    return model;
  }
}

/**
 * A U-Net mapping images [n, H, W, inChannels] (1: luminance, 3: RGB) in [0, 1] to RAW LOGITS [n, H, W, 1] (no sigmoid: losses such
 * as Lovász hinge and BCE-with-logits need them, and averaging logits is the better TTA/ensemble).
 * Inside: reflection-pad to padTo × padTo → encoder (block, max-pool) × depth → [dropout] → bottleneck
 * block (or, with `encoder: 'resnet…'`, ImageNet mapping → torchvision ResNet, its layer4 as the
 * bottleneck, see @segkit/encoders) → decoder (upsample, concat skip, [dropout/2], block, [scSE]) × depth → [hypercolumn fuse] →
 * exact crop to H × W → linear 1×1 conv named 'logits'.
 *
 * With `gate` and/or `deepSupervision` the model has several outputs, in this order (see
 * {@link unetOutputs}): the logits, the gate logit [n, 1] ('gate': dense on the pooled bottleneck),
 * then one auxiliary logit map [n, H, W, 1] per decoder level 2..depth ('aux<l>_logits').
 */
export function buildUnet(cfg: Partial<UnetConfig> & { inputHeight: number; inputWidth: number }): tf.LayersModel {
  return new UnetBuilder(resolveUnetConfig(cfg)).build();
}

/**
 * The resolved configuration a model was built with (seed included, also when it was drawn at
 * random), read from its user-defined metadata, which survives {@link saveModel}/{@link loadModel};
 * undefined for a model not built by {@link buildUnet}.
 */
export function getUnetConfig(model: tf.LayersModel): ResolvedUnetConfig | undefined {
  const meta = model.getUserDefinedMetadata() as { unetConfig?: ResolvedUnetConfig } | undefined;
  return meta?.unetConfig == null ? undefined : { ...meta.unetConfig };
}

/** Number of scalar parameters, trainable and not (BN moving statistics included), as Keras's summary. */
export function countParams(model: tf.LayersModel): number {
  return model.weights.reduce((sum, w) => sum + w.shape.reduce((a: number, d) => a * (d ?? 1), 1), 0);
}

/** What a model's metadata records of the pretrained weights its encoder started from. */
export interface EncoderWeightsRecord {
  /** The weights file's name (not its path: the record travels with the model). */
  file: string;
  /** sha-256 of the file's bytes. */
  sha256: string;
}

/**
 * Loads a torchvision / timm / segmentation_models.pytorch ResNet state dict (`.pth` or
 * `.safetensors`) into the encoder of a model built with `encoder: 'resnet…'`, strictly (see
 * @segkit/encoders), and records the file's name and sha-256 in the model's metadata
 * (`encoderWeights`, kept by saveModel and the exported model).
 */
export function loadUnetEncoderWeights(model: tf.LayersModel, path: string): EncoderWeightsRecord {
  const cfg = getUnetConfig(model);
  if (cfg?.encoder === undefined) throw new Error('loadUnetEncoderWeights: the model has no pretrained-encoder architecture (model.encoder is plain)');
  const { sha256 } = loadEncoderWeights(model, path);
  const record: EncoderWeightsRecord = { file: basename(path), sha256 };
  model.setUserDefinedMetadata({ ...(model.getUserDefinedMetadata() as object), encoderWeights: record });
  return record;
}

/** A U-Net's outputs by role: the main logits [n, H, W, 1], the gate logit [n, 1] and the deep-supervision logits [n, H, W, 1] each. */
export interface UnetOutputs<T extends tf.Tensor | tf.SymbolicTensor = tf.Tensor> {
  logits: T;
  gate?: T;
  aux: T[];
}

/**
 * Names the outputs of a {@link buildUnet} model (of `model.apply`/`predict`) by role, from its
 * resolved config: [logits, gate?, aux…]. A single tensor is the logits.
 */
export function unetOutputs<T extends tf.Tensor | tf.SymbolicTensor>(cfg: Pick<ResolvedUnetConfig, 'gate' | 'deepSupervision'> | undefined, outputs: T | T[]): UnetOutputs<T> {
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const gate = cfg?.gate === true;
  const expected = 1 + (gate ? 1 : 0);
  if (list.length < expected || (!cfg?.deepSupervision && list.length !== expected)) {
    throw new Error(`unetOutputs: ${list.length} outputs for a model with${gate ? '' : 'out'} a gate and with${cfg?.deepSupervision ? '' : 'out'} deep supervision`);
  }
  return { logits: list[0], ...(gate ? { gate: list[1] } : {}), aux: list.slice(expected) };
}
