import * as tf from '@tensorflow/tfjs';

/**
 * Images as the models see them: the 8-bit images at `indices` (row-major, each
 * height·width·channels bytes, channels interleaved: 1 = luminance, 3 = RGB) divided by 255, as
 * [indices.length, height, width, channels] float32. The float buffer is filled directly, so no
 * intermediate tensors are created.
 */
export function toModelInput(images: Uint8Array, indices: ArrayLike<number>, height: number, width: number, channels: 1 | 3 = 1): tf.Tensor4D {
  for (const [field, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`toModelInput: ${field} must be a positive integer, got ${v}`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`toModelInput: channels must be 1 or 3, got ${String(channels)}`);
  const values = height * width * channels;
  if (images.length % values !== 0) throw new Error(`toModelInput: ${images.length} bytes are not whole ${height}×${width}×${channels} images`);
  const count = images.length / values;
  const out = new Float32Array(indices.length * values);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new Error(`toModelInput: index ${i} is outside the ${count} images`);
    const src = i * values;
    for (let p = 0; p < values; p++) out[b * values + p] = images[src + p] / 255;
  }
  return tf.tensor4d(out, [indices.length, height, width, channels]);
}

/**
 * A test-time augmentation as a pure pair (after pytorch-toolbelt): `deaugment(model(augment(x)))`
 * is aligned with `model(x)`, and `deaugment ∘ augment` is the identity.
 */
export interface TtaPair {
  name: string;
  augment: (x: tf.Tensor4D) => tf.Tensor4D;
  deaugment: (logits: tf.Tensor4D) => tf.Tensor4D;
}

/** No augmentation. */
export const identityTta: TtaPair = { name: 'identity', augment: (x) => x, deaugment: (y) => y };

/** Horizontal flip along the width axis of [B, H, W, C]; its own inverse. */
export const hflipTta: TtaPair = {
  name: 'hflip',
  augment: (x) => tf.reverse(x, 2),
  deaugment: (y) => tf.reverse(y, 2),
};

/** The TTA set a config asks for: the plain pass, plus the flipped pass when `hflip`. */
export function ttaPairs(hflip: boolean): TtaPair[] {
  return hflip ? [identityTta, hflipTta] : [identityTta];
}

/**
 * Anything mapping images [n, H, W, C] in [0, 1] to logits [n, H, W, 1]: a LayersModel, or an
 * exported model with its padding. Several outputs are [logits, …]; one of rank 2, [n, 1], is the
 * empty-mask gate's logit (a U-Net's deep-supervision outputs, rank 4, are ignored).
 */
export interface LogitsModel {
  predict(x: tf.Tensor4D): tf.Tensor | tf.Tensor[];
}

export interface ForwardOptions {
  /** Images per forward pass; bounds memory, not results. */
  batchSize: number;
  /** TTA pairs averaged in logit space; none (or empty) is the plain pass. */
  ttas?: TtaPair[];
  /** Channels per pixel of `images` and of the model's input: 1 (luminance, the default) or 3 (RGB). */
  channels?: 1 | 3;
}

/** A model's output split into the logits and, when it has one, the gate logits [n, 1]. */
function logitsAndGate(out: tf.Tensor | tf.Tensor[]): { logits: tf.Tensor4D; gate?: tf.Tensor2D } {
  if (!Array.isArray(out)) return { logits: out as tf.Tensor4D };
  const gate = out.slice(1).find((t) => t.rank === 2) as tf.Tensor2D | undefined;
  return { logits: out[0] as tf.Tensor4D, ...(gate ? { gate } : {}) };
}

/**
 * Raw logits of `model` for the images at `indices`, in batches of `batchSize`, in inference mode:
 *
 *   logits(x) = mean over models m of  mean over pairs t of  t.deaugment(m(t.augment(x)))
 *
 * (the identity pair counts only if listed; without `ttas`, m(x)); the views of a batch go through
 * each model as one batch of views · images. Several models are a fold's
 * snapshots. Returns all logits as one array [indices.length · H · W], in the order of `indices`;
 * with `onBatch` they are streamed instead (a view valid until it returns, and the position in
 * `indices` of its first image) and the returned array is empty. Models with an empty-mask gate
 * also give `onGate` each batch's gate logits [batch], averaged the same way (a flip leaves an
 * image's gate where it is, so de-augmenting is the identity); models without one never call it.
 */
export function forwardLogits(
  model: LogitsModel | LogitsModel[],
  images: Uint8Array,
  indices: ArrayLike<number>,
  height: number,
  width: number,
  opts: ForwardOptions & { onBatch?: (logits: Float32Array, start: number) => void; onGate?: (gate: Float32Array, start: number) => void },
): Float32Array {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`forwardLogits: batchSize must be a positive integer, got ${opts.batchSize}`);
  const models = Array.isArray(model) ? model : [model];
  if (models.length === 0) throw new Error('forwardLogits: no models');
  const pixels = height * width;
  const all = new Float32Array(opts.onBatch ? 0 : indices.length * pixels);
  const mean = <T extends tf.Tensor>(ts: T[]): T => (ts.length === 1 ? ts[0] : (tf.div(tf.addN(ts), ts.length) as T));
  for (let start = 0; start < indices.length; start += opts.batchSize) {
    const idx = Array.prototype.slice.call(indices, start, Math.min(indices.length, start + opts.batchSize)) as number[];
    const { logits, gate } = tf.tidy(() => {
      const x = toModelInput(images, idx, height, width, opts.channels ?? 1);
      const one = (m: LogitsModel): { logits: tf.Tensor4D; gate?: tf.Tensor2D } => {
        if (!opts.ttas || opts.ttas.length === 0) return logitsAndGate(m.predict(x));
        if (opts.ttas.length === 1) {
          const out = logitsAndGate(m.predict(opts.ttas[0].augment(x)));
          return { ...out, logits: opts.ttas[0].deaugment(out.logits) };
        }
        // Every view in one forward pass (a batch of views · images): fewer, larger kernel calls.
        const n = x.shape[0];
        const views = logitsAndGate(m.predict(tf.concat(opts.ttas.map((t) => t.augment(x)), 0) as tf.Tensor4D));
        const outs = opts.ttas.map((t, v) => t.deaugment(tf.slice(views.logits, [v * n, 0, 0, 0], [n, -1, -1, -1])));
        const g = views.gate;
        const gates = g === undefined ? [] : opts.ttas.map((_, v) => tf.slice(g, [v * n, 0], [n, -1]));
        return { logits: mean(outs), ...(g === undefined ? {} : { gate: mean(gates) }) };
      };
      const per = models.map(one);
      const gated = per.filter((p) => p.gate !== undefined).length;
      if (gated !== 0 && gated !== per.length) throw new Error(`forwardLogits: ${gated} of ${per.length} models have an empty-mask gate; all or none must`);
      return { logits: mean(per.map((p) => p.logits)), ...(gated === 0 ? {} : { gate: mean(per.map((p) => p.gate as tf.Tensor2D)) }) };
    });
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    if (gate) {
      const g = gate.dataSync() as Float32Array;
      gate.dispose();
      opts.onGate?.(g, start);
    }
    if (opts.onBatch) opts.onBatch(values, start);
    else all.set(values, start * pixels);
  }
  return all;
}
