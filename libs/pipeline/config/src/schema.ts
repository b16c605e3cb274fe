import { z } from 'zod';
import { LOSS_KINDS, LOVASZ_ACTIVATIONS, lossTermsProblem } from '@segkit/losses/kinds';
import { UNET_BLOCKS, UNET_DEFAULTS, UNET_ENCODER_CHOICES, UNET_UPSAMPLES } from '@segkit/models/defaults';
import { METRIC_NAMES } from '@segkit/metrics';
import { LAYOUT_NAMES, layoutDescriptorSchema } from '@segkit/layouts';
import { BACKEND_CHOICES } from '@segkit/run';
import { INPUT_MODES } from '@segkit/resize';

/** One weighted term of a training loss; the kinds and rules are @segkit/losses' (see makeLoss). */
const lossTerm = z
  .object({
    kind: z.enum(LOSS_KINDS),
    weight: z.number().nonnegative().default(1),
    perImage: z.boolean().optional(),
    activation: z.enum(LOVASZ_ACTIVATIONS).optional(),
    symmetric: z.boolean().optional(),
  })
  .strict();

/** A loss: its terms, checked by the same rules makeLoss applies. */
const loss = z
  .array(lossTerm)
  .min(1)
  .superRefine((terms, ctx) => {
    const problem = lossTermsProblem(terms);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: problem.path, message: problem.message });
  });

const schedule = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('plateau'),
      /** lr ← lr·factor after `patience` epochs without a better validation mAP. */
      factor: z.number().gt(0).lt(1).default(0.5),
      patience: z.number().int().nonnegative().default(3),
      minLr: z.number().nonnegative().default(1e-5),
    })
    .strict(),
  z
    .object({
      kind: z.literal('cosine'),
      /** SGDR: lr(t) = minLr + ½(lr0 − minLr)(1 + cos(π·t/T)) within each of `cycles` equal cycles; a snapshot is kept at each cycle's end. */
      cycles: z.number().int().positive().default(1),
      minLr: z.number().nonnegative().default(1e-5),
    })
    .strict(),
  z.object({ kind: z.literal('constant') }).strict(),
]);

const stage = z
  .object({
    epochs: z.number().int().nonnegative(),
    lr: z.number().positive(),
    loss,
    schedule: schedule.default({ kind: 'plateau' }),
    /** Stop after this many epochs without a better validation mAP; 0 disables early stopping. */
    earlyStoppingPatience: z.number().int().nonnegative().default(0),
    /**
     * Stochastic weight averaging: the stage's model is the mean of the weights at the end of its
     * last `epochs` epochs (0 = off), or with `snapshots` of its cosine cycle ends, with BatchNorm
     * statistics recomputed on the training images; predict uses it instead of the best epoch.
     */
    swa: z
      .object({
        epochs: z.number().int().nonnegative().default(0),
        snapshots: z.boolean().default(false),
      })
      .strict()
      .default({}),
    /** Exponential moving average of the weights after every step, s ← d·s + (1 − d)·w with d = `decay` (0 = off); predict uses it instead of the best epoch. */
    ema: z
      .object({ decay: z.number().min(0).lt(1).default(0) })
      .strict()
      .default({}),
    /**
     * The empty-mask gate's loss (with model.gate): + weight · BCE(gate logit, image has a mask); with
     * `nonEmptyOnly`, the segmentation terms see only the images whose truth has a mask (TGS 1st place).
     */
    gate: z
      .object({ weight: z.number().nonnegative().default(0.1), nonEmptyOnly: z.boolean().default(true) })
      .strict()
      .default({}),
    /** Deep supervision's loss (with model.deepSupervision): + weight · the mean of the stage's loss over the auxiliary outputs. */
    deepSupervision: z
      .object({ weight: z.number().nonnegative().default(0.1) })
      .strict()
      .default({}),
  })
  .strict();

export const configSchema = z
  .object({
    name: z.string().min(1).default('tgs'),
    seed: z.number().int().default(42),
    backend: z.enum(BACKEND_CHOICES).default('auto'),
    /**
     * Threads of the native CPU kernels per process. 'auto': the cores divided between the fold
     * processes that run at once (`npm run pipeline` sets SEGKIT_THREADS), else every core.
     */
    compute: z
      .object({
        threads: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
      })
      .strict()
      .default({}),
    data: z
      .object({
        /**
         * How --data is read: 'auto' (recognised from its files), a built-in layout's name, or a
         * full layout descriptor (see @segkit/layouts), checked field by field.
         */
        layout: z
          .union([z.string(), z.record(z.unknown())])
          .superRefine((v, ctx) => {
            if (v === 'auto') return;
            if (typeof v === 'string' && !LAYOUT_NAMES.includes(v)) {
              ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not a layout (auto, ${LAYOUT_NAMES.join(', ')}, or a descriptor object)` });
              return;
            }
            if (typeof v === 'string') return;
            const res = layoutDescriptorSchema.safeParse(v);
            if (!res.success) for (const issue of res.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path, message: issue.message });
          })
          .default('auto'),
      })
      .strict()
      .default({}),
    /**
     * How images reach the model: 'pad' trains and predicts each image at its own size (padded in
     * the model, model.padTo); 'resize' resamples every image to `size` (a side, or [height, width])
     * and brings the logits back to each image's own size wherever a full-size mask is needed;
     * 'crop' keeps each image at its own size, trains on random `size` crops (centred on a mask pixel
     * with probability `cropBias`) and predicts by tiles overlapping by `overlap` pixels.
     */
    input: z
      .object({
        mode: z
          .enum(INPUT_MODES)
          .default('pad'),
        size: z.union([z.number().int().min(8), z.tuple([z.number().int().min(8), z.number().int().min(8)])]).optional(),
        /** 'resize' by a factor of the images' shared size instead of to a size (TGS 101 × 2 → 202). */
        scale: z.number().positive().max(16).optional(),
        /** 'crop': the prediction tiles' overlap in pixels (default a quarter of the smaller crop side). */
        overlap: z.number().int().min(0).optional(),
        /** 'crop': the probability a training crop is centred on a random mask pixel (default 0.5). */
        cropBias: z.number().min(0).max(1).optional(),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (v.mode === 'resize' && (v.size === undefined) === (v.scale === undefined)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['size'], message: 'input.mode "resize" needs one of input.size (a side, or [height, width]) and input.scale (a factor)' });
        }
        if (v.mode === 'crop') {
          if (v.size === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['size'], message: 'input.mode "crop" needs input.size (the training crop: a side, or [height, width])' });
          if (v.scale !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['scale'], message: 'input.scale applies to input.mode "resize" only' });
          const side = v.size === undefined ? undefined : typeof v.size === 'number' ? v.size : Math.min(...v.size);
          if (side !== undefined && v.overlap !== undefined && v.overlap >= side) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['overlap'], message: `input.overlap (${v.overlap}) must be smaller than the crop's side (${side})` });
        }
        for (const key of ['overlap', 'cropBias'] as const) {
          if (v.mode !== 'crop' && v[key] !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `input.${key} applies to input.mode "crop" only` });
        }
        for (const key of ['size', 'scale'] as const) {
          if (v.mode === 'pad' && v[key] !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `input.${key} applies to input.mode "resize" only (pad keeps each image's own size)` });
        }
      })
      .default({}),
    /** Used only when no data folder is given: the built-in TGS-like synthetic competition. */
    synthetic: z
      .object({
        nTrain: z.number().int().positive().default(1000),
        nTest: z.number().int().positive().default(1000),
        size: z.number().int().min(8).default(101),
        seed: z.number().int().default(2018),
        /** The competition layout it is written in: its files, formats, CSVs and RLE flavour. */
        layout: z.enum(LAYOUT_NAMES as [string, ...string[]]).default('tgs'),
      })
      .strict()
      .default({}),
    folds: z
      .object({
        k: z.number().int().min(2).max(20).default(5),
        seed: z.number().int().default(42),
        stratify: z.enum(['coverage', 'depth']).default('coverage'),
        /** A regular expression on the id; ids of one group (first capture group) share a fold. Default: the layout's (Carvana's car). */
        groupBy: z
          .string()
          .refine((p) => {
            try {
              new RegExp(p);
              return true;
            } catch {
              return false;
            }
          }, 'is not a valid regular expression')
          .optional(),
      })
      .strict()
      .default({}),
    model: z
      .object({
        depth: z.number().int().min(1).max(6).default(UNET_DEFAULTS.depth),
        baseFilters: z.number().int().positive().default(UNET_DEFAULTS.baseFilters),
        block: z.enum(UNET_BLOCKS).default(UNET_DEFAULTS.block),
        batchNorm: z.boolean().default(UNET_DEFAULTS.batchNorm),
        dropout: z.number().min(0).lt(1).default(UNET_DEFAULTS.dropout),
        scse: z.boolean().default(UNET_DEFAULTS.scse),
        hypercolumn: z.boolean().default(UNET_DEFAULTS.hypercolumn),
        padTo: z.number().int().positive().optional(),
        upsample: z.enum(UNET_UPSAMPLES).default(UNET_DEFAULTS.upsample),
        /**
         * 'plain': the U-Net's own encoder. 'resnet18' | 'resnet34' | 'resnet50': torchvision's ResNet
         * under the same decoder (it sets the taps: depth 5, padTo a multiple of 32).
         */
        encoder: z.enum(UNET_ENCODER_CHOICES).default(UNET_DEFAULTS.encoder),
        /** A torchvision / smp `.pth` or timm `.safetensors` state dict for the encoder (path from where you run); never downloaded. */
        encoderWeights: z.string().min(1).optional(),
        /** An image-level empty-mask head (pooled bottleneck → one logit); predict writes its logits, tune its threshold. */
        gate: z.boolean().default(UNET_DEFAULTS.gate),
        /** Auxiliary logit heads at every decoder scale, upsampled to full size, for training's loss only. */
        deepSupervision: z.boolean().default(UNET_DEFAULTS.deepSupervision),
      })
      .strict()
      .default({}),
    train: z
      .object({
        batchSize: z.number().int().positive().default(16),
        /** Train on at most this many images per fold (0 = all): for quick presets on big data. */
        maxTrainImages: z.number().int().nonnegative().default(0),
        /** Keep the encoder's weights and BatchNorm statistics fixed: true for all of training, or this many epochs from the start (stage 1, then stage 2). */
        freezeEncoder: z.union([z.boolean(), z.number().int().nonnegative()]).default(false),
        /** The encoder's learning rate as a multiple of the stage's (its own Adam state). */
        encoderLrScale: z.number().positive().default(1),
        augment: z
          .object({
            hflip: z.boolean().default(true),
            /** Additive brightness shift, uniform in ±brightness (images in [0,1]). */
            brightness: z.number().min(0).max(1).default(0),
            /** Contrast factor, uniform in 1 ± contrast, around the image mean. */
            contrast: z.number().min(0).max(1).default(0),
            /** Random shift as a fraction of the size and scale in 1 ± shiftScale, reflect-padded. */
            shiftScale: z.number().min(0).max(0.5).default(0),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    stage1: stage.default({ epochs: 20, lr: 1e-3, loss: [{ kind: 'bce', weight: 1 }] }),
    stage2: stage.default({ epochs: 10, lr: 2e-4, loss: [{ kind: 'lovasz', weight: 1 }] }),
    predict: z
      .object({
        /** Horizontal-flip test-time augmentation, averaging logits. */
        hflipTta: z.boolean().default(true),
        batchSize: z.number().int().positive().default(32),
        /**
         * Snapshot ensemble per fold: stage 2's logits are the mean over the models saved at the end
         * of each cosine cycle (needs stage2.schedule.kind "cosine") instead of its best model's.
         */
        snapshots: z.boolean().default(false),
      })
      .strict()
      .default({}),
    ensemble: z
      .object({ mode: z.enum(['logit-mean', 'prob-mean']).default('logit-mean') })
      .strict()
      .default({}),
    pseudo: z
      .object({
        /**
         * Pseudo-label rounds after the plain run: each retrains every fold from scratch with the
         * test images the previous round's ensemble is confident on added, with its masks, to the
         * fold's training images (validation images never change). 0: none.
         */
        rounds: z.number().int().min(0).max(5).default(0),
        /** The share of an image's pixels with p < 0.2 or p > 0.8 that makes it a pseudo-label. */
        minConfidence: z.number().gt(0).max(1).default(0.9),
      })
      .strict()
      .default({}),
    tune: z
      .object({
        /** The metric tuned and reported (one of @segkit/metrics' METRICS); default: the data layout's. */
        metric: z.enum(METRIC_NAMES).optional(),
        /** Coarse grid of probability thresholds, mapped to logits by log(p/(1−p)). */
        probFrom: z.number().gt(0).lt(1).default(0.3),
        probTo: z.number().gt(0).lt(1).default(0.7),
        probSteps: z.number().int().min(2).default(31),
        /** Points of the finer search around the best coarse threshold. */
        refineSteps: z.number().int().nonnegative().default(21),
        /** Candidate minimum predicted areas (pixels); smaller masks become empty. [0] disables. */
        minAreas: z.array(z.number().int().nonnegative()).min(1).default([0, 10, 20, 40, 80, 120, 160, 200, 300]),
        /**
         * Candidate top thresholds (probabilities) of the threshold triplet: an image keeps a mask
         * only when at least max(1, min area) of its pixels are above the top threshold, and the mask
         * is its pixels above the tuned (bottom) threshold. [] = top equals the tuned threshold.
         */
        topProbs: z.array(z.number().gt(0).lt(1)).default([]),
        /**
         * Candidate thresholds (probabilities) of the empty-mask gate (with model.gate), searched
         * jointly with the pixel threshold and min area; kept only when it beats the result without it.
         */
        gateProbs: z.array(z.number().gt(0).lt(1)).default([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]),
      })
      .strict()
      .default({}),
  })
  .strict();

export type PipelineConfig = z.infer<typeof configSchema>;
export type StageConfig = PipelineConfig['stage1'];
export type LossTermConfig = StageConfig['loss'][number];
export type ScheduleConfig = StageConfig['schedule'];

/**
 * A blend of experiments (a config file with a top-level `blend`): their ensembled OOF and test
 * logits combined with fixed weights or weights tuned on the OOF, then the threshold and minimum
 * area tuned on the blended OOF (the `tune` section, defaults as for an experiment).
 */
export const blendConfigSchema = z
  .object({
    name: z.string().min(1).optional(),
    blend: z
      .object({
        /** Experiment names (presets in configs/ or files in experiments/). */
        members: z.array(z.string().min(1)).min(2),
        /** One non-negative weight per member, or "tune" to search them on the OOF logits. */
        weights: z.union([z.array(z.number().nonnegative()), z.literal('tune')]).default('tune'),
      })
      .strict(),
    tune: configSchema.shape.tune,
  })
  .strict();
export type BlendConfig = z.infer<typeof blendConfigSchema>;
