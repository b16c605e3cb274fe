/**
 * Resampling of image planes between an image's own size and the model's input size, as separable
 * per-axis weights (one formula per axis, applied to rows then columns):
 *
 * - shrinking (out < in), **area**: output pixel o covers the input interval [o·s, (o+1)·s) with
 *   s = in/out; input pixel i weighs |[i, i+1) ∩ [o·s, (o+1)·s)| / s (OpenCV's INTER_AREA);
 * - growing or equal (out ≥ in), **bilinear with half-pixel centres**: x = (o + ½)·in/out − ½,
 *   clamped to [0, in − 1]; i0 = ⌊x⌋, f = x − i0; weights 1 − f at i0 and f at min(i0 + 1, in − 1)
 *   (OpenCV's INTER_LINEAR, tf.image.resizeBilinear with halfPixelCenters). out = in is the identity.
 *
 * Every output's weights sum to 1, so a constant plane stays constant. Pure and browser-safe.
 */

/** The input taps of each output position along one axis: `index[o·taps + t]` with `weight[o·taps + t]` (zero weights pad short rows). */
export interface AxisWeights {
  inSize: number;
  outSize: number;
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

function checkSize(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
}

/** The per-axis weights of the module comment for resampling `inSize` positions to `outSize`. */
export function axisWeights(inSize: number, outSize: number): AxisWeights {
  checkSize(inSize, 'inSize');
  checkSize(outSize, 'outSize');
  if (outSize >= inSize) {
    const taps = 2;
    const index = new Int32Array(outSize * taps);
    const weight = new Float64Array(outSize * taps);
    const scale = inSize / outSize;
    for (let o = 0; o < outSize; o++) {
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
      const i0 = Math.floor(x);
      const f = x - i0;
      index[o * taps] = i0;
      weight[o * taps] = 1 - f;
      index[o * taps + 1] = Math.min(i0 + 1, inSize - 1);
      weight[o * taps + 1] = f;
    }
    return { inSize, outSize, taps, index, weight };
  }
  const s = inSize / outSize;
  const taps = Math.ceil(s) + 1;
  const index = new Int32Array(outSize * taps);
  const weight = new Float64Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const from = o * s;
    const to = Math.min((o + 1) * s, inSize);
    let t = 0;
    for (let i = Math.floor(from); i < to && t < taps; i++) {
      const overlap = Math.min(i + 1, to) - Math.max(i, from);
      if (overlap <= 0) continue;
      index[o * taps + t] = i;
      weight[o * taps + t] = overlap / s;
      t++;
    }
  }
  return { inSize, outSize, taps, index, weight };
}

const cache = new Map<string, AxisWeights>();
/** axisWeights, memoised (a split resizes thousands of images between the same few sizes). */
function weightsFor(inSize: number, outSize: number): AxisWeights {
  const key = `${inSize}>${outSize}`;
  let w = cache.get(key);
  if (!w) {
    if (cache.size > 64) cache.clear();
    cache.set(key, (w = axisWeights(inSize, outSize)));
  }
  return w;
}

/**
 * Resamples one plane of `height`×`width` pixels with `channels` interleaved values each
 * (index (y·W + x)·C + c) to `outHeight`×`outWidth` by the module's formula, into `out` (float32,
 * allocated when absent). Along x first, then along y.
 */
export function resizePlane(
  src: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  out: Float32Array = new Float32Array(outHeight * outWidth * channels),
): Float32Array {
  checkSize(channels, 'channels');
  if (src.length !== height * width * channels) throw new Error(`resizePlane: ${src.length} values are not ${height}×${width}×${channels}`);
  if (out.length !== outHeight * outWidth * channels) throw new Error(`resizePlane: out holds ${out.length} values, not ${outHeight}×${outWidth}×${channels}`);
  const wx = weightsFor(width, outWidth);
  const wy = weightsFor(height, outHeight);
  const C = channels;
  const rows = new Float32Array(height * outWidth * C);
  for (let y = 0; y < height; y++) {
    const srcRow = y * width * C;
    const dstRow = y * outWidth * C;
    for (let o = 0; o < outWidth; o++) {
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let t = 0; t < wx.taps; t++) {
          const w = wx.weight[o * wx.taps + t];
          if (w !== 0) acc += w * src[srcRow + wx.index[o * wx.taps + t] * C + c];
        }
        rows[dstRow + o * C + c] = acc;
      }
    }
  }
  const rowValues = outWidth * C;
  out.fill(0);
  for (let o = 0; o < outHeight; o++) {
    const dst = o * rowValues;
    for (let t = 0; t < wy.taps; t++) {
      const w = wy.weight[o * wy.taps + t];
      if (w === 0) continue;
      const from = wy.index[o * wy.taps + t] * rowValues;
      for (let v = 0; v < rowValues; v++) out[dst + v] += w * rows[from + v];
    }
  }
  return out;
}

/** An 8-bit image resized by resizePlane, each value rounded to the nearest integer (0…255). */
export function resizeImageBytes(
  src: Uint8Array,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  out: Uint8Array = new Uint8Array(outHeight * outWidth * channels),
): Uint8Array {
  const f = resizePlane(src, height, width, channels, outHeight, outWidth);
  for (let p = 0; p < f.length; p++) out[p] = Math.min(255, Math.max(0, Math.round(f[p])));
  return out;
}

/**
 * A 0/1 mask resized by resizePlane (area when shrinking: the foreground fraction of each output
 * pixel's footprint; bilinear when growing), then thresholded: foreground where that value ≥ ½.
 * Any non-zero input pixel is foreground.
 */
export function resizeMask(
  mask: Uint8Array,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  out: Uint8Array = new Uint8Array(outHeight * outWidth),
): Uint8Array {
  const binary = new Uint8Array(mask.length);
  for (let p = 0; p < mask.length; p++) binary[p] = mask[p] !== 0 ? 1 : 0;
  const f = resizePlane(binary, height, width, 1, outHeight, outWidth);
  for (let p = 0; p < f.length; p++) out[p] = f[p] >= 0.5 - 1e-6 ? 1 : 0;
  return out;
}

/**
 * Logits at the model's size brought back to an image's own size (resizePlane: bilinear when
 * growing, area when shrinking), where a full-size mask is needed: scoring against the true mask,
 * the submission, `npm run infer`.
 */
export function resizeLogits(
  logits: Float32Array,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  out?: Float32Array,
): Float32Array {
  return resizePlane(logits, height, width, 1, outHeight, outWidth, out);
}
