/**
 * Convolution gradients for the wasm backend, written as forward convolutions so that they run on
 * XNNPACK like the forward pass (stock tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter and a
 * naive-loop Conv2DBackpropInput).
 *
 * Notation (NHWC, the forward convolution y = conv(x, w)):
 *   x [B,H,W,C], w [KH,KW,C,CO], y/dy [B,OH,OW,CO], strides (sh,sw), padding (top,left,...):
 *   y[b,oh,ow,co] = sum_{kh,kw,c} x[b, oh*sh + kh - top, ow*sw + kw - left, c] * w[kh,kw,c,co]
 */
import * as tf from '@tensorflow/tfjs';
import { composed, KernelBackend, Scope, TensorInfo } from './compose';

interface ConvGeometry {
  strides: [number, number];
  kernel: [number, number];
  top: number;
  bottom: number;
  left: number;
  right: number;
  inShape: [number, number, number, number];
  outShape: [number, number, number, number];
}

export function geometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: tf.backend_util.PadInfo['type'] | number | 'valid' | 'same' | tf.backend_util.ExplicitPadding,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dataFormat: 'NHWC' | 'NCHW',
): ConvGeometry {
  if (dataFormat === 'NCHW') throw new Error('wasm convolution gradients support only NHWC (channelsLast) data');
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as 'valid',
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    strides: [info.strideHeight, info.strideWidth],
    kernel: [info.filterHeight, info.filterWidth],
    top: info.padInfo.top,
    bottom: info.padInfo.bottom,
    left: info.padInfo.left,
    right: info.padInfo.right,
    inShape: info.inShape,
    outShape: info.outShape,
  };
}

/**
 * dW = Conv2DBackpropFilter(x, dy), dispatching to the fastest formulation for the geometry:
 *
 *   dW[kh,kw,c,co] = sum_{b,oh,ow} xpad[b, oh*sh + kh, ow*sw + kw, c] * dy[b,oh,ow,co]
 */
export function conv2dBackpropFilter(s: Scope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  // Measured on the reference U-Net step: per-tap GEMMs are ~5 % faster than the dilated
  // convolution for stride 1; for the 2x2 stride-2 transposed convolutions, a phase-split GEMM
  // (6-D transpose of x + one 1x1 convolution) was 3-6x slower than the dilated convolution.
  if (g.strides[0] === 1 && g.strides[1] === 1) return filterGradStride1(s, x, dy, g);
  return filterGradDilated(s, x, dy, g);
}

/**
 * Stride 1, as one GEMM per kernel tap sharing a single packed operand. Lay x out channels-first
 * and zero-padded, xp [C, B*Hp*Wp], and dy on the same padded grid (zeros right/below),
 * dyp [B*Hp*Wp, CO]. On that flat grid a tap (kh,kw) is a constant offset kh*Wp + kw, so
 *
 *   dW[kh,kw] = xp[:, off : off+L] . dyp[0:L, :]       ([C, L] x [L, CO])
 *
 * with L = B*Hp*Wp - ((KH-1)*Wp + KW-1) (the positions cut off all hold dy zeros). Each product
 * is a 1x1 XNNPACK convolution of a [C,1,1,L] input with the [1,1,L,CO] "filter" dyp; the filter
 * tensor is the same for all taps, so XNNPACK packs it once (its operator cache is keyed by the
 * filter), and the reduction runs over long contiguous rows instead of 8-wide batch slices.
 */
export function filterGradStride1(s: Scope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const [kh, kw] = g.kernel;
  const [b, h, w, c] = g.inShape;
  const [, oh, ow, co] = g.outShape;
  const bottom = Math.max(g.bottom, 0);
  const right = Math.max(g.right, 0);
  const hp = h + g.top + bottom;
  const wp = w + g.left + right;
  const xt = s.transpose(x, [3, 0, 1, 2]);
  const xp = g.top + bottom + g.left + right > 0 ? s.pad(xt, [[0, 0], [0, 0], [g.top, bottom], [g.left, right]]) : xt;
  const xFlat = s.reshape(xp, [c, b * hp * wp]);
  const dyp = hp !== oh || wp !== ow ? s.pad(dy, [[0, 0], [0, hp - oh], [0, wp - ow], [0, 0]]) : dy;
  const maxOffset = (kh - 1) * wp + (kw - 1);
  const len = b * hp * wp - maxOffset;
  const dyFlat = s.reshape(dyp, [b * hp * wp, co]);
  const dyRows = len === b * hp * wp ? dyFlat : s.slice(dyFlat, [0, 0], [len, co]);
  const filter = s.reshape(dyRows, [1, 1, len, co]);
  const taps: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const rows = s.slice(xFlat, [0, i * wp + j], [c, len]);
      const tap = s.conv2d(s.reshape(rows, [c, 1, 1, len]), filter, [1, 1], [1, 1], 'valid');
      taps.push(s.reshape(tap, [1, c, co]));
    }
  }
  // Measured: one GEMM over all taps stacked ([KH*KW*C, L]) is slower here, the stacking copy
  // costs more than the extra passes over dyp save.
  const stacked = taps.length === 1 ? taps[0] : s.run('Concat', taps as unknown as Record<string, TensorInfo>, { axis: 0 });
  return s.reshape(stacked, [kh, kw, c, co]);
}

/**
 * General case: a stride-1 convolution of x viewed as [C, H, W, B] (channels as the batch, the
 * batch as channels; zero padding applied virtually by XNNPACK) with dy viewed as the filter
 * [OH, OW, B, CO], dilated by the forward stride; its output [C, KH, KW, CO] is transposed to
 * [KH, KW, C, CO]. See Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
 * (2016), for the identities.
 */
export function filterGradDilated(s: Scope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const xt = s.transpose(x, [3, 1, 2, 0]);
  const dyt = s.transpose(dy, [1, 2, 0, 3]);
  const pads: [number, number][] = [[0, 0], [g.top, Math.max(g.bottom, 0)], [g.left, Math.max(g.right, 0)], [0, 0]];
  let r = s.conv2d(xt, dyt, [1, 1], [sh, sw], pads);
  // Rows/columns of x beyond the last window (VALID padding with a remainder) give extra outputs.
  if (r.shape[1] !== kh || r.shape[2] !== kw) r = s.slice(r, [0, 0, 0, 0], [r.shape[0], kh, kw, r.shape[3]]);
  return s.transpose(r, [1, 2, 0, 3]);
}

/**
 * dx = Conv2DBackpropInput(dy, w): the transposed convolution.
 *
 *   dx[b,h,w,c] = sum_{kh,kw,co} dyd[b, h + top - kh, w + left - kw, co] * w[kh,kw,c,co]
 *
 * where dyd is dy with (stride-1) zeros inserted between its rows and columns. This is a stride-1
 * convolution of dyd, padded by (KH-1-top) before and enough after to give H rows, with the filter
 * flipped spatially and its channel axes swapped ([KH,KW,CO,C]).
 *
 * Special case kernel == stride without padding (the 2x2/stride-2 up-sampling of a U-Net): the
 * output windows do not overlap, so dx is one 1x1 convolution dy -> [B,OH,OW,KH*KW*C] followed by a
 * depth-to-space rearrangement, with no zero-stuffing.
 */
export function conv2dBackpropInput(s: Scope, dy: TensorInfo, w: TensorInfo, g: ConvGeometry): TensorInfo {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [b, h, wd, c] = g.inShape;
  const [, oh, ow, co] = g.outShape;
  const noPad = g.top === 0 && g.left === 0 && g.bottom <= 0 && g.right <= 0;
  if (kh === sh && kw === sw && kh === kw && noPad && oh * sh === h && ow * sw === wd) {
    // w [KH,KW,C,CO] -> [CO, KH*KW*C] as a 1x1 filter [1,1,CO,KH*KW*C]; channel order (kh,kw,c) is DepthToSpace's.
    const wt = s.reshape(s.transpose(w, [3, 0, 1, 2]), [1, 1, co, kh * kw * c]);
    const y = s.conv2d(dy, wt, [1, 1], [1, 1], 'valid');
    if (kh === 1) return y;
    // Depth-to-space as reshape + transpose: the stock wasm DepthToSpace is a scalar loop (~20x slower).
    const y6 = s.reshape(y, [b, oh, ow, kh, kw, c]);
    const t6 = s.transpose(y6, [0, 1, 3, 2, 4, 5]);
    return s.reshape(t6, [b, h, wd, c]);
  }
  let d = dy;
  if (sh > 1 || sw > 1) {
    // Zero-stuff: [B,OH,OW,CO] -> [B,OH,1,OW,1,CO] -> pad to [B,OH,sh,OW,sw,CO] -> [B,OH*sh,OW*sw,CO],
    // then drop the trailing (stride-1) zero rows/columns.
    const r6 = s.reshape(dy, [b, oh, 1, ow, 1, co]);
    const p6 = s.pad(r6, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    const r4 = s.reshape(p6, [b, oh * sh, ow * sw, co]);
    d = s.slice(r4, [0, 0, 0, 0], [b, (oh - 1) * sh + 1, (ow - 1) * sw + 1, co]);
  }
  const dh = (oh - 1) * sh + 1;
  const dw = (ow - 1) * sw + 1;
  const padTop = kh - 1 - g.top;
  const padLeft = kw - 1 - g.left;
  const padBottom = h + kh - 1 - padTop - dh;
  const padRight = wd + kw - 1 - padLeft - dw;
  if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
    throw new Error(`wasm Conv2DBackpropInput: unsupported padding (top ${g.top}, left ${g.left}) for kernel ${kh}x${kw}`);
  }
  const wf = s.transpose(s.reverse(w, [0, 1]), [0, 1, 3, 2]);
  return s.conv2d(d, wf, [1, 1], [1, 1], [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]]);
}

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as ConvGradAttrs & { filterShape: number[] };
    const g = geometry(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    return composed(backend as unknown as KernelBackend, (s) => conv2dBackpropFilter(s, x, dy, g));
  },
};

export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvGradAttrs & { inputShape: number[] };
    const g = geometry(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    return composed(backend as unknown as KernelBackend, (s) => conv2dBackpropInput(s, dy, filter, g));
  },
};
