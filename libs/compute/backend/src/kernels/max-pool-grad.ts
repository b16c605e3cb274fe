/**
 * MaxPoolGrad for the wasm backend: routes each dy value to the position of its window's maximum.
 *
 *   dx[b, r, c, d] = sum over output cells (i, j) whose window's first maximum is at (r, c) of dy[b, i, j, d]
 *
 * "First maximum" scans the window row by row with a strict `>` (as tfjs's cpu backend does), so
 * ties — common after ReLU, where whole windows are 0 — send the gradient to one input only, and
 * an all-NaN window routes nothing. One pass over the windows in a tight loop; the stock wasm
 * kernel was ~3 % of a U-Net step.
 */
import * as tf from '@tensorflow/tfjs';
import { TensorInfo } from './compose';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

export interface PoolGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** Writes the max-pool input gradient into `dx` (zeroed here). */
export function maxPoolBackprop(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  dx.fill(0);
  const C = g.channels;
  const rowStride = g.inWidth * C;
  for (let b = 0; b < g.batch; b++) {
    const xBase = b * g.inHeight * rowStride;
    for (let i = 0; i < g.outHeight; i++) {
      const r0 = i * g.strideHeight - g.padTop;
      const rMin = Math.max(r0, 0);
      const rMax = Math.min(r0 + g.filterHeight, g.inHeight);
      for (let j = 0; j < g.outWidth; j++) {
        const c0 = j * g.strideWidth - g.padLeft;
        const cMin = Math.max(c0, 0);
        const cMax = Math.min(c0 + g.filterWidth, g.inWidth);
        const dyBase = ((b * g.outHeight + i) * g.outWidth + j) * C;
        for (let d = 0; d < C; d++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let r = rMin; r < rMax; r++) {
            let p = xBase + r * rowStride + cMin * C + d;
            for (let c = cMin; c < cMax; c++, p += C) {
              const v = x[p];
              if (v > best) {
                best = v;
                at = p;
              }
            }
          }
          if (at >= 0) dx[at] += dy[dyBase + d];
        }
      }
    }
  }
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const be = backend as unknown as WasmBackendLike;
    const out = be.makeOutput(input.shape, 'float32');
    // Views after makeOutput: allocation may grow (and detach) the wasm heap.
    maxPoolBackprop(be.typedArrayFromHeap(input), be.typedArrayFromHeap(dy), be.typedArrayFromHeap(out), {
      batch: info.batchSize,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      channels: info.inChannels,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    });
    return out;
  },
};
