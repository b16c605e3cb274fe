/**
 * Conv2D and FusedConv2D on oneDNN's convolution forward, the activation as a post-op:
 *   y[b,oh,ow,co] = act(bias[co] + sum_{kh,kw,c} x[b, oh*sh + kh*dh - top, ow*sw + kw*dw - left, c] * w[kh,kw,c,co])
 * Falls back for NCHW, other dtypes, empty tensors, a bias that is not per-channel, prelu, and
 * any geometry oneDNN refuses.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, type ActivationName } from '../abi';
import type { NativeAddon } from '../addon';
import { convGeometry } from './geometry';
import { attrsOf, input, isEmpty, type NativeKernel, offsetOf, optionalInput, type TensorInfo, wasRefused, wasmBackend, withOutput } from './wasm-heap';

const isActivation = (name: string): name is ActivationName => name in ACTIVATIONS;

function convForward(addon: NativeAddon, backend: unknown, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, a: tf.Conv2DAttrs, activation: ActivationName, alpha: number): TensorInfo | undefined {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat === 'NCHW' || isEmpty(x.shape) || isEmpty(filter.shape)) return undefined;
  const { info, geometry } = convGeometry(x.shape, filter.shape, a.strides, a.pad, a.dilations ?? 1, a.dimRoundingMode);
  const co = info.outChannels;
  if (bias !== undefined && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== co || bias.shape.length > 1)) return undefined;
  const key = `fwd:${geometry.join(',')}:${activation}:${alpha}:${bias !== undefined}`;
  if (wasRefused(key)) return undefined;
  const be = wasmBackend(backend);
  return withOutput(be, key, [info.batchSize, info.outHeight, info.outWidth, co], (heap, y) => {
    addon.conv2d(heap, {
      geometry,
      activation: ACTIVATIONS[activation],
      alpha,
      x: offsetOf(be, x),
      filter: offsetOf(be, filter),
      bias: bias === undefined ? undefined : offsetOf(be, bias),
      y,
    });
  });
}

export const conv2d: NativeKernel = {
  kernelName: 'Conv2D',
  run: (addon, args) => convForward(addon, args.backend, input(args, 'x'), input(args, 'filter'), undefined, attrsOf<tf.Conv2DAttrs>(args), 'linear', 0),
};

export const fusedConv2d: NativeKernel = {
  kernelName: 'FusedConv2D',
  run(addon, args) {
    const a = attrsOf<tf.FusedConv2DAttrs>(args);
    const activation = String(a.activation ?? 'linear');
    if (optionalInput(args, 'preluActivationWeights') !== undefined || !isActivation(activation)) return undefined;
    return convForward(addon, args.backend, input(args, 'x'), input(args, 'filter'), optionalInput(args, 'bias'), a, activation, Number(a.leakyreluAlpha ?? 0.2));
  },
};
