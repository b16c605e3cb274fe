/**
 * The U-Net's default architecture and the choices of its enumerated fields: the one table both
 * `defaultUnetConfig` and the config schema's `model` section (@segkit/config) read. No tfjs here, so
 * the schema (which the Nx plugin loads) stays light.
 */

/** Decoder/encoder block kinds (see `UnetConfig.block`). */
export const UNET_BLOCKS = ['plain', 'residual'] as const;
/** Decoder upsampling kinds (see `UnetConfig.upsample`). */
export const UNET_UPSAMPLES = ['transpose', 'bilinear'] as const;
/** `model.encoder`: the U-Net's own encoder, or a torchvision ResNet (@segkit/encoders' names). */
export const UNET_ENCODER_CHOICES = ['plain', 'resnet18', 'resnet34', 'resnet50'] as const;

/** Depth 4, 16 base filters, plain blocks with BN, no dropout / scSE / hypercolumn, transposed-conv upsampling, own encoder, no empty-mask gate or deep supervision (~1.9M parameters). */
export const UNET_DEFAULTS = {
  depth: 4,
  baseFilters: 16,
  block: 'plain',
  batchNorm: true,
  dropout: 0,
  scse: false,
  hypercolumn: false,
  upsample: 'transpose',
  encoder: 'plain',
  gate: false,
  deepSupervision: false,
} as const satisfies {
  depth: number;
  baseFilters: number;
  block: (typeof UNET_BLOCKS)[number];
  batchNorm: boolean;
  dropout: number;
  scse: boolean;
  hypercolumn: boolean;
  upsample: (typeof UNET_UPSAMPLES)[number];
  encoder: (typeof UNET_ENCODER_CHOICES)[number];
  gate: boolean;
  deepSupervision: boolean;
};
