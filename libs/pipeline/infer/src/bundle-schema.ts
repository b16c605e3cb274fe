import { z } from 'zod';
import { submissionFormatSchema } from '@segkit/layouts';
import { inferenceSpecSchema } from '@segkit/models';

// The bundle's files and their schemas (zod only, no file system), shared by the Node reader and
// writer (./bundle.ts) and the browser demo.

/**
 * A portable bundle: everything `infer` needs to predict new images exactly as the pipeline
 * predicted the test set, readable without the run's work directory.
 *
 *   bundle.json            what to do: image size and padding, TTA, batch size, folds and their
 *                          models, the ensemble mode, the tuned logit threshold and min area
 *   config.json            the experiment config the models were trained with
 *   folds/fold-<k>/<model>/model.json + weights.bin    stock tfjs layers models (see @segkit/models)
 *   manifest.json          every other file with its size and sha-256
 */
// @segkit/run's BUNDLE_RECORD, spelled here because the run layout module needs node:path and this
// file runs in a browser too; bundle.spec.ts checks that the two agree.
export const BUNDLE_JSON = 'bundle.json';
export const MANIFEST_JSON = 'manifest.json';
export const CONFIG_JSON = 'config.json';

export const bundleSchema = z
  .object({
    format: z.literal('tgs-bundle-1'),
    name: z.string(),
    createdAt: z.string(),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    padding: inferenceSpecSchema.shape.padding,
    /** Image channels the models read: 1 (luminance) or 3 (RGB); absent in bundles from before colour models, which read 1. */
    channels: inferenceSpecSchema.shape.channels,
    /** Test-time augmentations averaged in logit space, in order ('identity', 'hflip'). */
    tta: z.array(z.enum(['identity', 'hflip'])).min(1),
    /** Images per forward pass (the pipeline's predict.batchSize; batches match its own). */
    batchSize: z.number().int().positive(),
    ensemble: z.object({ mode: z.enum(['logit-mean', 'prob-mean']) }).strict(),
    /** Folds in ensemble order; each fold's logits are the mean over its models (best, or snapshots). */
    folds: z.array(z.object({ fold: z.number().int().nonnegative(), models: z.array(z.string().min(1)).min(1) }).strict()).min(1),
    logitThreshold: z.number(),
    probThreshold: z.number(),
    minArea: z.number().int().nonnegative(),
    /** The tuned threshold triplet's top threshold, when it differs from `logitThreshold` (see @segkit/submit's binarize). */
    topLogitThreshold: z.number().optional(),
    /** The tuned empty-mask gate threshold, when tune kept the gate: an image whose models' gate logit (the fold mean) is ≤ it gets an empty mask. */
    gateLogitThreshold: z.number().optional(),
    /**
     * The competition's submission format (its layout's `submission`: header, RLE order, starts and
     * empty marker, one row per image or per object) and how its ids are spelled from an image
     * file's stem (`id`: `{stem}`, Airbus' and Carvana's `{stem}.jpg`), so `npm run infer` writes
     * its CSV as the run's submission is written. Absent in bundles from before it was recorded:
     * TGS's format (SUBMISSION_FALLBACK).
     */
    submission: z.object({ format: submissionFormatSchema, id: z.string().refine((t) => t.split('{stem}').length === 2, { message: 'must contain {stem} exactly once' }) }).strict().optional(),
    /**
     * Present when the models read resized images (the config's input.mode "resize"): every image,
     * of any size, is resized to `height`×`width` above (@segkit/resize's resizeImageBytes), and
     * its logits brought back to its own size (resizeLogits) before the threshold. Absent: each
     * image must be `height`×`width` itself.
     */
    input: z.object({ mode: z.literal('resize') }).strict().optional(),
  })
  .strict();
export type BundleInfo = z.infer<typeof bundleSchema>;

/** The submission format of a bundle without one (written before bundles recorded it): TGS's `id,rle_mask`, column-major, 1-based, `""` for empty, ids the file stems. */
export const SUBMISSION_FALLBACK: NonNullable<BundleInfo['submission']> = {
  format: { header: ['id', 'rle_mask'], idColumn: 'id', rleColumn: 'rle_mask', rle: { order: 'column-major', starts: 'absolute', empty: '' }, rowsPerImage: 'one' },
  id: '{stem}',
};

/** manifest.json: every other file of the bundle with its size and sha-256. */
export const manifestSchema = z
  .object({
    format: z.literal('tgs-bundle-manifest-1'),
    files: z.array(z.object({ path: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict()),
  })
  .strict();

/** Where a fold's model lives inside a bundle, relative to its root (forward slashes). */
export function bundleModelPath(fold: number, model: string): string {
  return `folds/fold-${fold}/${model}`;
}
export type BundleManifest = z.infer<typeof manifestSchema>;
