/**
 * Slice, PadV2 and Reverse of 4-byte tensors as one native copy (`box`: a box of x into y, the rest
 * of y filled), rows split over the threads. The stock wasm kernels run on one thread; in the U-Net
 * step these are the input's reflection padding (slices, reverses) and the crop back to the image
 * size (slices) with its gradient (pads): exact copies, so the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import { fourBytes } from './concat';
import { attrsOf, heapOf, input, type KernelArgs, type NativeKernel, offsetOf, SMALL, type TensorInfo, wasmBackend } from './wasm-heap';
import type { NativeAddon } from '../addon';

/** The box of a copy, per axis: where it starts in x and y, its extent, and which axes it reverses. */
export interface BoxPlan {
  yShape: number[];
  begin: number[];
  size: number[];
  offset: number[];
  reverse: boolean[];
  /** The fill's value (PadV2's constant), 0 elsewhere. */
  fill: number;
}

/** Slice: the box is the output, from `begin` in x. */
export function slicePlan(shape: readonly number[], begin: number | number[], size: number | number[]): BoxPlan {
  const [b, s] = tf.slice_util.parseSliceParams({ shape: [...shape] } as tf.TensorInfo as tf.Tensor, begin, size);
  return { yShape: s, begin: b, size: s, offset: shape.map(() => 0), reverse: shape.map(() => false), fill: 0 };
}

/** PadV2: the box is the input, at `paddings[k][0]` in the output. */
export function padPlan(shape: readonly number[], paddings: Array<[number, number]>, constantValue: number): BoxPlan {
  return {
    yShape: shape.map((d, k) => paddings[k][0] + d + paddings[k][1]),
    begin: shape.map(() => 0),
    size: [...shape],
    offset: paddings.map((p) => p[0]),
    reverse: shape.map(() => false),
    fill: constantValue,
  };
}

/** Reverse along `dims`: the whole tensor, those axes read backwards. */
export function reversePlan(shape: readonly number[], dims: number | number[]): BoxPlan {
  const axes = tf.util.parseAxisParam(dims, [...shape]);
  return { yShape: [...shape], begin: shape.map(() => 0), size: [...shape], offset: shape.map(() => 0), reverse: shape.map((_, k) => axes.includes(k)), fill: 0 };
}

/** The 32 bits of `value` as an element of `dtype` (float32 or int32), as an unsigned integer. */
export function fillBits(value: number, dtype: tf.DataType): number {
  const bits = new Uint32Array(1);
  if (dtype === 'int32') new Int32Array(bits.buffer)[0] = value;
  else new Float32Array(bits.buffer)[0] = value;
  return bits[0];
}

function runBox(addon: NativeAddon, args: KernelArgs, plan: (x: TensorInfo) => BoxPlan | undefined): TensorInfo | undefined {
  const x = input(args, 'x');
  if (!fourBytes(x.dtype) || x.shape.length > 8) return undefined;
  const p = plan(x);
  if (p === undefined || tf.util.sizeFromShape(p.yShape) < SMALL || p.size.some((d) => d === 0)) return undefined;
  const be = wasmBackend(args.backend);
  const out = be.makeOutput(p.yShape, x.dtype);
  try {
    addon.box(heapOf(be), {
      x: offsetOf(be, x),
      xShape: Float64Array.from(x.shape),
      begin: Float64Array.from(p.begin),
      size: Float64Array.from(p.size),
      reverse: Float64Array.from(p.reverse, Number),
      y: offsetOf(be, out),
      yShape: Float64Array.from(p.yShape),
      offset: Float64Array.from(p.offset),
      fill: fillBits(p.fill, x.dtype),
    });
  } catch (err) {
    be.disposeData(out.dataId);
    throw err;
  }
  return out;
}

export const slice: NativeKernel = {
  kernelName: 'Slice',
  run: (addon, args) =>
    runBox(addon, args, (x) => {
      const a = attrsOf<tf.SliceAttrs>(args);
      return slicePlan(x.shape, a.begin, a.size);
    }),
};

export const padV2: NativeKernel = {
  kernelName: 'PadV2',
  run: (addon, args) =>
    runBox(addon, args, (x) => {
      const a = attrsOf<tf.PadV2Attrs>(args);
      if (a.paddings.length !== x.shape.length || a.paddings.some(([b, e]) => b < 0 || e < 0)) return undefined;
      return padPlan(x.shape, a.paddings, a.constantValue);
    }),
};

export const reverse: NativeKernel = {
  kernelName: 'Reverse',
  run: (addon, args) => runBox(addon, args, (x) => reversePlan(x.shape, attrsOf<tf.ReverseAttrs>(args).dims)),
};
