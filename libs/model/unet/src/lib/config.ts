import { ENCODER_NAMES, ENCODER_STRIDE, type ResnetName } from '@segkit/encoders';
import { UserError } from '@segkit/io';
import { UNET_DEFAULTS } from './defaults';

/** `model.encoder`: today's U-Net encoder, or a torchvision ResNet under the same decoder. */
export type EncoderName = 'plain' | ResnetName;
export const UNET_ENCODERS: readonly EncoderName[] = ['plain', ...ENCODER_NAMES];
/** Down-sampling levels of a ResNet encoder (taps at strides 2 … 32). */
export const ENCODER_DEPTH = Math.log2(ENCODER_STRIDE);

/** Architecture of a U-Net (Ronneberger et al. 2015) as used by the TGS Salt kernels. */
export interface UnetConfig {
  /** Data height, e.g. 101 for TGS Salt. Input is [n, H, W, inChannels] with values in [0, 1]. */
  inputHeight: number;
  /** Data width, e.g. 101 for TGS Salt. */
  inputWidth: number;
  /**
   * Image channels the model reads: 1 (luminance, the default) or 3 (RGB, as a colour layout's
   * images are decoded). A pretrained encoder maps either to its ImageNet-normalised RGB.
   */
  inChannels?: 1 | 3;
  /** Number of down-sampling levels (max-pool by 2 each); the bottleneck sits at level `depth`. */
  depth: number;
  /** Filters at level 0; doubles per level (level l has baseFilters·2^l). */
  baseFilters: number;
  /**
   * 'plain': two 3×3 conv(+BN)+ReLU (original U-Net).
   * 'residual': post-activation ResNet basic block (He et al. 2016): relu(F(x) + P(x)) with a 1×1
   * conv(+BN) projection P when the channel count changes, identity otherwise.
   */
  block: 'plain' | 'residual';
  /** Batch normalisation after every conv of the blocks (convs then have no bias). */
  batchNorm: boolean;
  /** Dropout rate at the bottleneck input; half of it after every decoder concatenation (TGS kernels). */
  dropout: number;
  /** Concurrent spatial and channel squeeze & excitation after every decoder block (Roy et al. 2018). */
  scse: boolean;
  /** Upsample every decoder output to full resolution and concatenate them before the head (Hariharan et al. 2015). */
  hypercolumn: boolean;
  /** Side of the square the input is reflection-padded to; must be a multiple of 2^depth and ≥ max(H, W). */
  padTo?: number;
  /** Decoder upsampling: learned 2×2 stride-2 transposed conv, or parameter-free bilinear ×2. */
  upsample?: 'transpose' | 'bilinear';
  /** Seed of every initialiser and dropout mask; same seed → identical initial weights. */
  seed?: number;
  /**
   * 'plain' (default): the encoder is `depth` blocks of this config. 'resnet18' | 'resnet34' |
   * 'resnet50': torchvision's ResNet (names kept, ImageNet normalisation inside) taps the decoder at
   * strides 2–32, so depth is 5 and padTo a multiple of 32; the decoder (block, batchNorm, scSE,
   * hypercolumn, dropout, upsample, baseFilters) is as configured.
   */
  encoder?: EncoderName;
  /**
   * An image-level empty-mask gate (TGS Salt 1st place): the bottleneck, global-average-pooled,
   * → a dense layer → one raw logit per image ("has a mask"), the output named 'gate' [n, 1].
   */
  gate?: boolean;
  /**
   * Deep supervision: a 1×1 conv logit head on every decoder level but the last, bilinearly
   * upsampled to full size and cropped ('aux<l>_logits', [n, H, W, 1]): outputs for training's loss only.
   */
  deepSupervision?: boolean;
}

/**
 * A configuration with every optional field resolved (`encoder` only when it is not 'plain',
 * `inChannels` only when it is 3, `gate` and `deepSupervision` only when on, so a plain one-channel
 * model's metadata is as before).
 */
export type ResolvedUnetConfig = Required<Omit<UnetConfig, 'encoder' | 'inChannels' | 'gate' | 'deepSupervision'>> & { encoder?: ResnetName; inChannels?: 3; gate?: true; deepSupervision?: true };

/**
 * The default padded side: the smallest multiple of max(32, 2^depth) that is ≥ max(H, W)
 * (101 → 128). 32 keeps the padded size friendly to ImageNet-style encoders (5 poolings).
 */
export function defaultPadTo(height: number, width: number, depth: number): number {
  const unit = Math.max(32, 2 ** depth);
  return Math.ceil(Math.max(height, width) / unit) * unit;
}

/** The default (`UNET_DEFAULTS`, which the config schema's model section also reads): depth 4, 16 base filters, plain blocks with BN, ~1.9M parameters; the 'cpu' preset narrows it to 8 base filters. */
export function defaultUnetConfig(h: number, w: number): UnetConfig {
  return {
    inputHeight: h,
    inputWidth: w,
    depth: UNET_DEFAULTS.depth,
    baseFilters: UNET_DEFAULTS.baseFilters,
    block: UNET_DEFAULTS.block,
    batchNorm: UNET_DEFAULTS.batchNorm,
    dropout: UNET_DEFAULTS.dropout,
    scse: UNET_DEFAULTS.scse,
    hypercolumn: UNET_DEFAULTS.hypercolumn,
    padTo: defaultPadTo(h, w, UNET_DEFAULTS.depth),
    upsample: UNET_DEFAULTS.upsample,
    gate: UNET_DEFAULTS.gate,
    deepSupervision: UNET_DEFAULTS.deepSupervision,
  };
}

function positiveInt(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new UserError(`unet config: ${field} must be a positive integer, got ${value}`);
  }
}

/**
 * Fills defaults and validates. Throws a `UserError` naming the offending field, since these
 * values come from the user's config file.
 */
export function resolveUnetConfig(cfg: Partial<UnetConfig> & { inputHeight: number; inputWidth: number }): ResolvedUnetConfig {
  positiveInt(cfg.inputHeight, 'inputHeight');
  positiveInt(cfg.inputWidth, 'inputWidth');
  const base = defaultUnetConfig(cfg.inputHeight, cfg.inputWidth);
  const merged = { ...base, ...stripUndefined(cfg) };
  const encoder = cfg.encoder ?? 'plain';
  if (!UNET_ENCODERS.includes(encoder)) {
    throw new UserError(`unet config: encoder must be one of ${UNET_ENCODERS.map((e) => `'${e}'`).join(', ')}, got '${String(encoder)}'`);
  }
  if (encoder !== 'plain') {
    // The encoder decides the taps: a plain depth or a padTo that is not a multiple of its stride do not apply.
    merged.depth = ENCODER_DEPTH;
  }
  positiveInt(merged.depth, 'depth');
  positiveInt(merged.baseFilters, 'baseFilters');
  if (merged.block !== 'plain' && merged.block !== 'residual') {
    throw new UserError(`unet config: block must be 'plain' or 'residual', got '${String(merged.block)}'`);
  }
  if (!(merged.dropout >= 0 && merged.dropout < 1)) {
    throw new UserError(`unet config: dropout must be in [0, 1), got ${merged.dropout}`);
  }
  const upsample = merged.upsample ?? 'transpose';
  if (upsample !== 'transpose' && upsample !== 'bilinear') {
    throw new UserError(`unet config: upsample must be 'transpose' or 'bilinear', got '${String(upsample)}'`);
  }
  // padTo is derived from depth unless given explicitly, so a caller changing depth gets a matching pad.
  const padTo = (encoder === 'plain' || (cfg.padTo ?? 1) % ENCODER_STRIDE === 0 ? cfg.padTo : undefined) ?? defaultPadTo(merged.inputHeight, merged.inputWidth, merged.depth);
  positiveInt(padTo, 'padTo');
  const stride = 2 ** merged.depth;
  if (padTo % stride !== 0) {
    throw new UserError(`unet config: padTo ${padTo} must be a multiple of 2^depth = ${stride}`);
  }
  if (padTo < Math.max(merged.inputHeight, merged.inputWidth)) {
    throw new UserError(`unet config: padTo ${padTo} is smaller than the input ${merged.inputHeight}×${merged.inputWidth}`);
  }
  const inChannels = cfg.inChannels ?? 1;
  if (inChannels !== 1 && inChannels !== 3) throw new UserError(`unet config: inChannels must be 1 or 3, got ${String(inChannels)}`);
  const seed = cfg.seed ?? Math.floor(Math.random() * 2 ** 31);
  positiveOrZeroInt(seed, 'seed');
  return {
    inputHeight: merged.inputHeight,
    inputWidth: merged.inputWidth,
    depth: merged.depth,
    baseFilters: merged.baseFilters,
    block: merged.block,
    batchNorm: Boolean(merged.batchNorm),
    dropout: merged.dropout,
    scse: Boolean(merged.scse),
    hypercolumn: Boolean(merged.hypercolumn),
    padTo,
    upsample,
    seed,
    ...(encoder === 'plain' ? {} : { encoder }),
    ...(inChannels === 3 ? { inChannels } : {}),
    ...(cfg.gate ? { gate: true as const } : {}),
    ...(cfg.deepSupervision ? { deepSupervision: true as const } : {}),
  };
}

/**
 * The plain-U-Net settings of `cfg` that a ResNet encoder overrides (its depth, a padTo that is not
 * a multiple of 32), as one line for the training log; undefined when nothing is overridden.
 */
export function encoderOverrides(cfg: Partial<UnetConfig>): string | undefined {
  if (cfg.encoder === undefined || cfg.encoder === 'plain') return undefined;
  const ignored: string[] = [];
  if (cfg.depth !== undefined && cfg.depth !== ENCODER_DEPTH) ignored.push(`depth ${cfg.depth} (the encoder has ${ENCODER_DEPTH} levels)`);
  if (cfg.padTo !== undefined && cfg.padTo % ENCODER_STRIDE !== 0) ignored.push(`padTo ${cfg.padTo} (not a multiple of ${ENCODER_STRIDE})`);
  return ignored.length === 0 ? undefined : `model.encoder ${cfg.encoder}: ignoring the plain U-Net's ${ignored.join(' and ')}`;
}

function positiveOrZeroInt(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new UserError(`unet config: ${field} must be a non-negative integer, got ${value}`);
  }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Reflection amounts [before, after] to grow `size` to `padTo`; the extra pixel of an odd total goes
 * after (101 → 128: 13 before, 14 after), matching numpy/PyTorch center padding conventions.
 */
export function padAmounts(size: number, padTo: number): [number, number] {
  const total = padTo - size;
  const before = Math.floor(total / 2);
  return [before, total - before];
}
