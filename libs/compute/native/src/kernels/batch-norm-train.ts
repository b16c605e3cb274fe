/**
 * Batch norm in training in two kernels instead of about twenty: the batch statistics and the
 * normalisation forward, and the gradient with the statistics differentiated, backward
 * (csrc/elementwise.h batch_norm_train, batch_norm_train_grad). Per channel, N = rows:
 *   mean = Σx/N, variance = Σ(x − mean)²/N, y = (x − mean)·s·scale + offset, s = (variance + ε)^−½
 *   doffset = Σdy, dscale = Σdy·x̂, dx = scale·s·(dy − Σdy/N − x̂·Σdy·x̂/N), x̂ = (x − mean)·s
 * tfjs composes the same as Mean, Sub, Square, Mean, FusedBatchNorm and their gradients (Tile,
 * Multiply, Add, Sum, Neg, …). The sums run in fixed row blocks: the same bits at any thread count.
 * With `relu` (the kernel TgsBatchNormReluTrain), y = max(y, 0) in the same pass and the gradient
 * takes dy through that Relu first, dy·step(y): the same bits as batch norm, Relu and their two
 * gradients, with one pass over the activations fewer each way and no pre-Relu tensor kept for the
 * backward pass.
 * @segkit/backend's BatchNormalization layer calls {@link batchNormTrain}; its gradient configs call {@link batchNormTrainGrad}.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormGradArgs } from './batch-norm-grad';
import { perChannelOrAbsent } from './broadcast';
import type { NativeAddon } from '../addon';
import { attrsOf, heapOf, input, type KernelArgs, type NativeKernel, offsetOf, optionalInput, SMALL, type TensorInfo, wasmBackend } from './wasm-heap';

/** Names of the kernels: batch norm, batch norm then Relu, and their gradient. */
export const BATCH_NORM_TRAIN = 'TgsBatchNormTrain';
export const BATCH_NORM_RELU_TRAIN = 'TgsBatchNormReluTrain';
export const BATCH_NORM_TRAIN_GRAD = 'TgsBatchNormTrainGrad';

function batchNormTrainKernelOf(kernelName: string, relu: boolean): NativeKernel {
  return { kernelName, run: (addon, args) => runBatchNormTrain(addon, args, relu) };
}

function runBatchNormTrain(addon: NativeAddon, args: KernelArgs, relu: boolean): TensorInfo[] {
  const x = input(args, 'x');
  const scale = optionalInput(args, 'scale');
  const offset = optionalInput(args, 'offset');
  const epsilon = Number(attrsOf<{ varianceEpsilon: number }>(args).varianceEpsilon);
  const be = wasmBackend(args.backend);
  const n = tf.util.sizeFromShape(x.shape);
  const c = x.shape[x.shape.length - 1];
  const y = be.makeOutput(x.shape, 'float32');
  const mean = be.makeOutput([c], 'float32');
  const variance = be.makeOutput([c], 'float32');
  const o = (t: TensorInfo | undefined): number | undefined => (t === undefined ? undefined : offsetOf(be, t));
  addon.batchNormTrain(heapOf(be), { x: offsetOf(be, x), scale: o(scale), offset: o(offset), epsilon, relu, y: offsetOf(be, y), mean: offsetOf(be, mean), variance: offsetOf(be, variance), n, c });
  return [y, mean, variance];
}

export const batchNormTrainKernel = batchNormTrainKernelOf(BATCH_NORM_TRAIN, false);
export const batchNormReluTrainKernel = batchNormTrainKernelOf(BATCH_NORM_RELU_TRAIN, true);

export const batchNormTrainGradKernel: NativeKernel = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  run(addon, args) {
    const { be, x, fields } = batchNormGradArgs(args);
    const offset = optionalInput(args, 'offset');
    const relu = attrsOf<{ relu?: boolean }>(args).relu === true;
    const c = x.shape[x.shape.length - 1];
    const [dx, dscale, doffset] = [x.shape, [c], [c]].map((shape) => be.makeOutput(shape, 'float32'));
    addon.batchNormTrainGrad(heapOf(be), { ...fields(dx), offset: offset === undefined ? undefined : offsetOf(be, offset), relu, dscale: offsetOf(be, dscale), doffset: offsetOf(be, doffset) });
    return [dx, dscale, doffset];
  },
};

/**
 * Whether {@link batchNormTrain} runs natively for x (on wasm with the kernels, float32, channels
 * last and more than one, at least SMALL elements) with these per-channel scale and offset.
 */
export function batchNormTrainApplies(x: tf.Tensor, scale: tf.Tensor | undefined, offset: tf.Tensor | undefined): boolean {
  if (tf.getBackend() !== 'wasm' || [BATCH_NORM_TRAIN, BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN_GRAD].some((name) => tf.getKernel(name, 'wasm') === undefined)) return false;
  const c = x.shape[x.shape.length - 1];
  return x.dtype === 'float32' && x.rank >= 2 && x.size >= SMALL && c > 1 && [scale, offset].every((t) => perChannelOrAbsent(t, x.shape));
}

/**
 * [y, mean, variance] of batch norm in training, one native kernel; with `relu`, y = max(y, 0) in
 * the same kernel. Check {@link batchNormTrainApplies} first. An absent scale or offset runs as
 * ones or zeros (the same bits), so that the kernel always has both and its gradient can save them.
 */
export function batchNormTrain(x: tf.Tensor, scale: tf.Tensor | undefined, offset: tf.Tensor | undefined, varianceEpsilon: number, relu = false): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  const c = x.shape[x.shape.length - 1];
  const made: tf.Tensor[] = [];
  const perChannel = (t: tf.Tensor | undefined, fill: number): tf.Tensor => {
    const out = t === undefined ? tf.fill([c], fill) : tf.reshape(t, [-1]);
    made.push(out);
    return out;
  };
  const inputs: tf.NamedTensorMap = { x, scale: perChannel(scale, 1), offset: perChannel(offset, 0) };
  const out = tf.engine().runKernel(relu ? BATCH_NORM_RELU_TRAIN : BATCH_NORM_TRAIN, inputs, { varianceEpsilon }) as tf.Tensor[];
  tf.dispose(made);
  return [out[0], out[1] as tf.Tensor1D, out[2] as tf.Tensor1D];
}

/**
 * [dx, dscale, doffset] of {@link batchNormTrain}'s y, one native kernel. With `relu` (y computed
 * with `relu`), dy goes through the Relu first, its step recomputed from x, scale and offset.
 */
export function batchNormTrainGrad(
  dy: tf.Tensor,
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  scale: tf.Tensor | undefined,
  offset: tf.Tensor | undefined,
  varianceEpsilon: number,
  relu = false,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  const flat = (t: tf.Tensor | undefined, name: string): tf.NamedTensorMap => (t === undefined ? {} : { [name]: tf.reshape(t, [-1]) });
  const inputs: tf.NamedTensorMap = { dy, x, mean, variance, ...flat(scale, 'scale'), ...flat(offset, 'offset') };
  const out = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, inputs, { varianceEpsilon, relu }) as tf.Tensor[];
  return [out[0], out[1] as tf.Tensor1D, out[2] as tf.Tensor1D];
}
