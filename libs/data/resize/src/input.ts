/**
 * How images reach the model (the config's `input` section, resolved): `pad` keeps each image at
 * its own size, reflection-padded inside the model (TGS 101 → 128); `resize` resamples every image
 * to one size for training and prediction and brings the logits back to each image's own size
 * where a full-size mask is needed.
 */
export type InputSettings =
  | { mode: 'pad' }
  | { mode: 'resize'; height: number; width: number }
  /** `crop`: full-size images; training on random height×width crops (centred on a mask pixel with probability `bias`), prediction by tiles overlapping by `overlap` pixels. */
  | { mode: 'crop'; height: number; width: number; overlap: number; bias: number };

/** The input settings' one-line description for logs. */
export function describeInput(input: InputSettings): string {
  if (input.mode === 'crop') return `each image at its own size, trained on ${input.height}×${input.width} crops and predicted by tiles overlapping by ${input.overlap} px`;
  return input.mode === 'pad' ? 'each image at its own size, padded' : `resized to ${input.height}×${input.width}`;
}

/** The model's input size for an image of `height`×`width` under these settings (`crop`: the crop's). */
export function modelSize(input: InputSettings, height: number, width: number): { height: number; width: number } {
  return input.mode === 'pad' ? { height, width } : { height: input.height, width: input.width };
}

/** The config's `input.mode` values (registry: the schema's enum and the docs read it). */
export const INPUT_MODES = ['pad', 'resize', 'crop'] as const;
export type InputMode = (typeof INPUT_MODES)[number];

/**
 * The config's `input` section as written: a mode and, for `resize`, a side or [height, width], or
 * a `scale` factor of the data's own size (TGS 101 × 2 → 202, then padded in the model).
 */
export interface InputSection {
  mode: InputMode;
  size?: number | readonly [number, number];
  scale?: number;
  /** `crop`: the tiles' overlap in pixels (default a quarter of the smaller crop side). */
  overlap?: number;
  /** `crop`: the probability a training crop is centred on a random mask pixel (default 0.5). */
  cropBias?: number;
}

/** The crop settings of an `input.mode` "crop" section (what training and prediction tile by), undefined in the other modes; needs no data size. */
export function resolveCrop(section: InputSection): Extract<InputSettings, { mode: 'crop' }> | undefined {
  if (section.mode !== 'crop') return undefined;
  return resolveInput(section) as Extract<InputSettings, { mode: 'crop' }>;
}

/**
 * The config's `input` section resolved to settings (`size` 64 → 64×64; `scale` s of data whose
 * images are all h×w → round(s·h)×round(s·w), so `dataSize` is needed then).
 */
export function resolveInput(section: InputSection, dataSize?: { height: number; width: number }): InputSettings {
  if (section.mode === 'pad') return { mode: 'pad' };
  if (section.scale !== undefined && section.mode === 'resize') {
    if (!dataSize) throw new Error('input.scale needs the size the images share');
    return { mode: 'resize', height: Math.max(1, Math.round(section.scale * dataSize.height)), width: Math.max(1, Math.round(section.scale * dataSize.width)) };
  }
  const size = section.size;
  if (size === undefined) throw new Error(`input.mode "${section.mode}" needs input.size${section.mode === 'resize' ? ' or input.scale' : ''}`);
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  if (section.mode === 'crop') {
    const overlap = section.overlap ?? Math.floor(Math.min(height, width) / 4);
    return { mode: 'crop', height, width, overlap, bias: section.cropBias ?? 0.5 };
  }
  return { mode: 'resize', height, width };
}
