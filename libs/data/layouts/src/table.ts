import { UserError } from '@segkit/io';
import { layoutDescriptorSchema, type LayoutDescriptor, type LayoutDescriptorInput } from './descriptor';

const TGS_RLE = { order: 'column-major', starts: 'absolute', empty: '' } as const;

/**
 * TGS Salt Identification: 101×101 grey PNGs (stored as RGB with equal channels), masks as PNGs
 * and/or `train.csv`, column-major absolute RLE, `depths.csv`; mean AP over IoU 0.50–0.95.
 */
const tgs: LayoutDescriptorInput = {
  name: 'tgs',
  title: 'TGS Salt Identification Challenge',
  train: {
    images: { dir: 'train/images', files: ['{stem}.png'] },
    masks: {
      files: { dir: 'train/masks', files: ['{stem}.png'] },
      csv: { file: 'train.csv', header: ['id', 'rle_mask'], idColumn: 'id', rleColumn: 'rle_mask', rle: TGS_RLE },
    },
  },
  test: { images: { dir: 'test/images', files: ['{stem}.png'] } },
  sampleSubmission: { file: 'sample_submission.csv', header: ['id', 'rle_mask'], idColumn: 'id', rleColumn: 'rle_mask' },
  submission: { header: ['id', 'rle_mask'], idColumn: 'id', rleColumn: 'rle_mask', rle: TGS_RLE, rowsPerImage: 'one' },
  metric: 'tgs-map',
  channels: 1,
  extras: { depths: { file: 'depths.csv', header: ['id', 'z'], idColumn: 'id', valueColumn: 'z' } },
};

/**
 * Airbus Ship Detection: 768×768 JPEGs whose ids keep `.jpg`, one CSV row per ship (an image
 * without ships has one row with an empty mask), column-major absolute RLE; F2 over IoU
 * 0.5–0.95 between objects, so the submission has one row per predicted ship.
 */
const airbus: LayoutDescriptorInput = {
  name: 'airbus',
  title: 'Airbus Ship Detection Challenge',
  train: {
    images: { dir: 'train_v2', files: ['{stem}.jpg'], id: '{stem}.jpg' },
    masks: {
      csv: {
        file: 'train_ship_segmentations_v2.csv',
        header: ['ImageId', 'EncodedPixels'],
        idColumn: 'ImageId',
        rleColumn: 'EncodedPixels',
        rle: TGS_RLE,
        rowsPerImage: 'many',
        missingRow: 'error',
      },
    },
  },
  test: { images: { dir: 'test_v2', files: ['{stem}.jpg'], id: '{stem}.jpg' } },
  sampleSubmission: { file: 'sample_submission_v2.csv', header: ['ImageId', 'EncodedPixels'], idColumn: 'ImageId', rleColumn: 'EncodedPixels' },
  submission: { header: ['ImageId', 'EncodedPixels'], idColumn: 'ImageId', rleColumn: 'EncodedPixels', rle: TGS_RLE, rowsPerImage: 'many' },
  metric: 'f2-objects',
  channels: 3,
};

/**
 * Carvana Image Masking: 1918×1280 JPEGs `<car>_<view>.jpg` (16 views per car), GIF masks
 * `<car>_<view>_mask.gif` and `train_masks.csv`, row-major absolute RLE; mean Dice. The views of
 * one car are kept in one fold.
 */
const CARVANA_RLE = { order: 'row-major', starts: 'absolute', empty: '' } as const;
const carvana: LayoutDescriptorInput = {
  name: 'carvana',
  title: 'Carvana Image Masking Challenge',
  train: {
    images: { dir: 'train', files: ['{stem}.jpg'], id: '{stem}.jpg' },
    masks: {
      files: { dir: 'train_masks', files: ['{stem}_mask.gif'] },
      csv: { file: 'train_masks.csv', header: ['img', 'rle_mask'], idColumn: 'img', rleColumn: 'rle_mask', rle: CARVANA_RLE },
    },
  },
  test: { images: { dir: 'test', files: ['{stem}.jpg'], id: '{stem}.jpg' } },
  sampleSubmission: { file: 'sample_submission.csv', header: ['img', 'rle_mask'], idColumn: 'img', rleColumn: 'rle_mask' },
  submission: { header: ['img', 'rle_mask'], idColumn: 'img', rleColumn: 'rle_mask', rle: CARVANA_RLE, rowsPerImage: 'one' },
  metric: 'dice',
  channels: 3,
  groupBy: '^(.+)_\\d+\\.jpg$',
};

/**
 * SIIM-ACR Pneumothorax Segmentation: 1024×1024 DICOMs in `<study>/<series>/<uid>.dcm`,
 * `train-rle.csv` with the header `ImageId, EncodedPixels` (leading space), column-major RLE with
 * relative starts, `-1` for an empty mask, several rows for an image with several regions; images
 * without a row are left out (as the winners did); mean Dice with empty/empty = 1. One submission
 * row per image (all regions in one mask).
 */
const SIIM_RLE = { order: 'column-major', starts: 'relative', empty: '-1' } as const;
const siim: LayoutDescriptorInput = {
  name: 'siim',
  title: 'SIIM-ACR Pneumothorax Segmentation',
  train: {
    images: { dir: 'dicom-images-train', files: ['{stem}.dcm'], recursive: true },
    masks: {
      csv: {
        file: 'train-rle.csv',
        header: ['ImageId', ' EncodedPixels'],
        idColumn: 'ImageId',
        rleColumn: ' EncodedPixels',
        rle: SIIM_RLE,
        rowsPerImage: 'many',
        missingRow: 'skip',
      },
    },
  },
  test: { images: { dir: 'dicom-images-test', files: ['{stem}.dcm'], recursive: true } },
  sampleSubmission: { file: 'stage_2_sample_submission.csv', header: ['ImageId', 'EncodedPixels'], idColumn: 'ImageId', rleColumn: 'EncodedPixels' },
  submission: { header: ['ImageId', 'EncodedPixels'], idColumn: 'ImageId', rleColumn: 'EncodedPixels', rle: SIIM_RLE, rowsPerImage: 'one' },
  metric: 'dice',
  channels: 1,
};

/**
 * A user's own data: `images/` and `masks/` with same-named PNG masks, test images in `test/`,
 * no CSV; the submission is written as TGS's `id,rle_mask` with the ids of the test files' stems.
 */
const folders: LayoutDescriptorInput = {
  name: 'folders',
  title: 'An images/ and masks/ folder pair',
  train: {
    images: { dir: 'images', files: ['{stem}.png', '{stem}.jpg', '{stem}.jpeg', '{stem}.tif', '{stem}.tiff'] },
    masks: { files: { dir: 'masks', files: ['{stem}.png'] } },
  },
  test: { images: { dir: 'test', files: ['{stem}.png', '{stem}.jpg', '{stem}.jpeg', '{stem}.tif', '{stem}.tiff'] } },
  submission: { header: ['id', 'rle_mask'], idColumn: 'id', rleColumn: 'rle_mask', rle: TGS_RLE, rowsPerImage: 'one' },
  metric: 'dice',
  channels: 3,
};

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Every built-in layout, parsed (so the table itself is checked against the schema on load). */
export const LAYOUTS: Readonly<Record<string, LayoutDescriptor>> = deepFreeze(
  Object.fromEntries([tgs, airbus, carvana, siim, folders].map((l) => [l.name, layoutDescriptorSchema.parse(l)])),
);

/** The built-in layout names, in the table's order (TGS first). */
export const LAYOUT_NAMES: readonly string[] = Object.freeze(Object.keys(LAYOUTS));

/** The built-in layout of that name, or a {@link UserError} listing the names there are. */
export function layoutByName(name: string): LayoutDescriptor {
  const layout = Object.prototype.hasOwnProperty.call(LAYOUTS, name) ? LAYOUTS[name] : undefined;
  if (!layout) throw new UserError(`unknown data layout "${name}" (known: ${LAYOUT_NAMES.join(', ')})`);
  return layout;
}

/**
 * A layout from a config value: a built-in name, or a full descriptor object validated field by
 * field; `where` names the config key in the error (`data.layout.train.masks.csv.rle.order: …`).
 */
export function parseLayout(value: unknown, where = 'data.layout'): LayoutDescriptor {
  if (typeof value === 'string') return layoutByName(value);
  const res = layoutDescriptorSchema.safeParse(value);
  if (!res.success) {
    const issue = res.error.issues[0];
    const path = [where, ...issue.path.map(String)].join('.');
    throw new UserError(`${path}: ${issue.message}`);
  }
  return res.data;
}
