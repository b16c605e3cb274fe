import { z } from 'zod';

/**
 * The competition metrics a layout can name. The metrics library's registry implements one entry
 * per name; the descriptor only names it, because the data layer sits below the metrics.
 */
export const METRIC_NAMES = ['tgs-map', 'dice', 'f2-objects'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** A path inside the competition folder, `/`-separated: never absolute, never `..`. */
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split('/').includes('..') && !p.includes('\\'), {
    message: 'must be a /-separated path inside the competition folder (not absolute, no .. or \\)',
  });

/** A file name with `{stem}` exactly once and no folder (`{stem}.png`, `{stem}_mask.gif`). */
const stemTemplate = z
  .string()
  .refine((t) => t.split('{stem}').length === 2 && !t.includes('/') && !t.includes('\\'), {
    message: 'must contain {stem} exactly once and no folder separator',
  });

/** How one competition spells a run-length mask (see `RleFlavour` in the RLE library). */
export const rleFlavourSchema = z
  .object({
    order: z.enum(['column-major', 'row-major']),
    starts: z.enum(['absolute', 'relative']),
    /** Written for an empty mask; when reading, a blank field is empty too. */
    empty: z.string().refine((e) => e.trim() === '' || !/^[\s\d]+$/.test(e), { message: 'an empty marker made of digits would read as a run' }),
  })
  .strict();

/**
 * A set of image files. The file name's `{stem}` is what ties an image to its mask file; `id` is
 * how the competition's CSVs spell the image (`{stem}` for TGS, `{stem}.jpg` for Airbus and
 * Carvana, whose ids keep the extension). Several `files` templates let a folder mix formats
 * (`{stem}.png`, `{stem}.jpg`); a stem matched twice is an error. `recursive` finds files in
 * sub-folders too (SIIM's `<study>/<series>/<uid>.dcm`); stems must still be unique.
 */
export const imageFilesSchema = z
  .object({
    dir: relativePath,
    files: z.array(stemTemplate).min(1),
    id: stemTemplate.default('{stem}'),
    recursive: z.boolean().default(false),
  })
  .strict();

/** Mask image files beside the images: the same stems, `files` templates as above. */
export const maskFilesSchema = z
  .object({
    dir: relativePath,
    files: z.array(stemTemplate).min(1),
    recursive: z.boolean().default(false),
  })
  .strict();

const columnsRefine = <T extends { header: string[]; idColumn: string }>(v: T, columns: (keyof T)[], ctx: z.RefinementCtx) => {
  if (new Set(v.header).size !== v.header.length) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['header'], message: 'has a repeated column' });
  for (const key of columns) {
    const column = v[key] as unknown as string;
    if (!v.header.includes(column)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key as string], message: `"${column}" is not a column of the header ${JSON.stringify(v.header)}` });
    }
  }
};

/**
 * A CSV of run-length masks. `header` is checked exactly (spaces included: SIIM's is
 * `ImageId, EncodedPixels`). `rowsPerImage: 'many'` allows several rows for one id (one per ship
 * or region): training uses their union, metrics that count objects keep them apart.
 * `missingRow` says what an image without any row is: an `'error'`, an `'empty'` mask, or
 * `'skip'` (left out of training, as the SIIM winners dropped their unlabelled images).
 */
export const maskCsvSchema = z
  .object({
    file: relativePath,
    header: z.array(z.string()).min(2),
    idColumn: z.string(),
    rleColumn: z.string(),
    rle: rleFlavourSchema,
    rowsPerImage: z.enum(['one', 'many']).default('one'),
    missingRow: z.enum(['error', 'empty', 'skip']).default('error'),
  })
  .strict()
  .superRefine((v, ctx) => columnsRefine(v, ['idColumn', 'rleColumn'], ctx));

/** Where the training masks come from: mask images, a CSV, or both (then they must agree). */
export const masksSchema = z
  .object({ files: maskFilesSchema.optional(), csv: maskCsvSchema.optional() })
  .strict()
  .refine((m) => m.files !== undefined || m.csv !== undefined, { message: 'needs files or csv (or both)' });

/** A CSV with an id column and an RLE column: the sample submission. */
export const sampleSubmissionSchema = z
  .object({
    file: relativePath,
    header: z.array(z.string()).min(2),
    idColumn: z.string(),
    rleColumn: z.string(),
  })
  .strict()
  .superRefine((v, ctx) => columnsRefine(v, ['idColumn', 'rleColumn'], ctx));

/**
 * What the competition accepts: the header, the RLE flavour, and one row per image or one row per
 * predicted object (`'many'`: Airbus, whose objects must not overlap; an image without objects
 * still gets one row with the empty marker). Ids are spelled as the sample submission spells them.
 */
export const submissionFormatSchema = z
  .object({
    header: z.array(z.string()).min(2),
    idColumn: z.string(),
    rleColumn: z.string(),
    rle: rleFlavourSchema,
    rowsPerImage: z.enum(['one', 'many']).default('one'),
  })
  .strict()
  .superRefine((v, ctx) => columnsRefine(v, ['idColumn', 'rleColumn'], ctx));

/** TGS's `depths.csv` (`id,z`): a number per id, train and test ids together. */
export const depthsSchema = z
  .object({
    file: relativePath,
    header: z.array(z.string()).min(2),
    idColumn: z.string(),
    valueColumn: z.string(),
  })
  .strict()
  .superRefine((v, ctx) => columnsRefine(v, ['idColumn', 'valueColumn'], ctx));

/**
 * One competition's layout as data: its files, columns, RLE flavour, metric and submission format.
 * One loader and one submission writer read any descriptor; a new competition is a new entry (and,
 * at most, a decoder for a new image format).
 */
export const layoutDescriptorSchema = z
  .object({
    /** Short name used by `data.layout` and the logs (`tgs`, `airbus`, …). */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
    /** The competition's title, for the README and the report. */
    title: z.string().default(''),
    train: z.object({ images: imageFilesSchema, masks: masksSchema }).strict(),
    test: z.object({ images: imageFilesSchema }).strict(),
    /** Fixes the test ids, their order and spelling; without it every test image, sorted. */
    sampleSubmission: sampleSubmissionSchema.optional(),
    submission: submissionFormatSchema,
    metric: z.enum(METRIC_NAMES),
    /** Channels the model reads: 1 (luminance) or 3 (RGB). */
    channels: z.union([z.literal(1), z.literal(3)]).default(1),
    /**
     * Default `folds.groupBy`: a regular expression on the id whose first capture group (or whole
     * match) names a group kept in one fold (Carvana's car: the 16 views of one car).
     */
    groupBy: z
      .string()
      .refine(
        (p) => {
          try {
            new RegExp(p);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'is not a valid regular expression' },
      )
      .optional(),
    extras: z.object({ depths: depthsSchema.optional() }).strict().default({}),
  })
  .strict();

/** A descriptor after parsing (defaults filled in). */
export type LayoutDescriptor = z.infer<typeof layoutDescriptorSchema>;
/** A descriptor as written in a config file (defaults may be left out). */
export type LayoutDescriptorInput = z.input<typeof layoutDescriptorSchema>;
export type RleFlavourSpec = z.infer<typeof rleFlavourSchema>;
export type ImageFiles = z.infer<typeof imageFilesSchema>;
export type MaskFiles = z.infer<typeof maskFilesSchema>;
export type MaskCsv = z.infer<typeof maskCsvSchema>;
export type SampleSubmission = z.infer<typeof sampleSubmissionSchema>;
export type SubmissionFormat = z.infer<typeof submissionFormatSchema>;
