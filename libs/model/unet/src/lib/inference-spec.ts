import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { reflectionPad2d } from './reflection-pad';

// The browser-safe half of an exported model (tfjs and zod only): its metadata and the steps around
// it. Loading and saving it from files is ./inference-model.ts's.

/**
 * What a consumer of an exported model must do outside the graph, written into its model.json as
 * `userDefinedMetadata.tgsInference`:
 *
 *   x = image / 255 as [n, height, width, channels] → reflect-pad by `padding` (numpy 'reflect', i.e.
 *   tf.mirrorPad(x, [[0,0],[top,bottom],[left,right],[0,0]], 'reflect')) → model.predict →
 *   crop the same amounts → raw logits [n, height, width, 1] (sigmoid for probabilities); with
 *   `gate`, the model's second output is one raw logit per image [n, 1] of "the image has a mask".
 */
export const inferenceSpecSchema = z
  .object({
    format: z.literal('tgs-inference-1'),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    /** Image channels the model reads: 1 (luminance) or 3 (RGB, interleaved); absent in models exported before colour, which read 1. */
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
    /** Pixel values are divided by this before padding. */
    inputScale: z.literal(255),
    padding: z
      .object({
        mode: z.literal('reflect'),
        top: z.number().int().nonnegative(),
        bottom: z.number().int().nonnegative(),
        left: z.number().int().nonnegative(),
        right: z.number().int().nonnegative(),
      })
      .strict(),
    output: z.literal('logits'),
    /** The model has a second output: the image-level empty-mask gate, one raw logit per image [n, 1] (> the tuned gate threshold: has a mask). */
    gate: z.literal(true).optional(),
  })
  .strict();
export type InferenceSpec = z.infer<typeof inferenceSpecSchema>;

/** An exported model with the steps around it: `predict` takes images in [0, 1] and returns cropped logits. */
export interface InferenceModel {
  model: tf.LayersModel;
  spec: InferenceSpec;
  /**
   * [n, H, W, channels] in [0, 1] → logits [n, H, W, 1] (reflect-pad, model, crop); with `spec.gate`,
   * [logits, gate logits [n, 1]].
   */
  predict(x: tf.Tensor4D): tf.Tensor4D | [tf.Tensor4D, tf.Tensor2D];
  dispose(): void;
}

/** The channels an exported model reads (1 when its metadata predates colour models). */
export function specChannels(spec: InferenceSpec): 1 | 3 {
  return spec.channels ?? 1;
}

export function inferenceModel(model: tf.LayersModel, spec: InferenceSpec): InferenceModel {
  const { top, bottom, left, right } = spec.padding;
  return {
    model,
    spec,
    predict: (x) =>
      tf.tidy(() => {
        const [n, h, w, c] = x.shape;
        if (h !== spec.height || w !== spec.width) throw new Error(`inference model: input is ${h}×${w}, the model takes ${spec.height}×${spec.width}`);
        if (c !== specChannels(spec)) throw new Error(`inference model: input has ${c} channel(s), the model takes ${specChannels(spec)}`);
        const out = model.predict(reflectionPad2d(x, [[top, bottom], [left, right]]));
        const [y, gate] = Array.isArray(out) ? (out as [tf.Tensor4D, tf.Tensor2D]) : [out as tf.Tensor4D];
        const logits = tf.slice(y, [0, top, left, 0], [n, h, w, -1]);
        return gate === undefined ? logits : ([logits, gate] as [tf.Tensor4D, tf.Tensor2D]);
      }),
    dispose: () => model.dispose(),
  };
}
