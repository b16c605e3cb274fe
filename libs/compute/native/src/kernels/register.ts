/**
 * The native kernels, one file each, and the list that registers them: adding a kernel is its
 * file, a line here, and its entry point in csrc/addon.cc. @segkit/backend registers the functions
 * {@link nativeKernelFuncs} returns over its own wasm kernels.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon';
import { adamKernel } from './adam';
import { batchNormGrad } from './batch-norm-grad';
import { batchNormReluTrainKernel, batchNormTrainGradKernel, batchNormTrainKernel } from './batch-norm-train';
import { binaryKernels } from './binary';
import { padV2, reverse, slice } from './box';
import { concat } from './concat';
import { conv2d, fusedConv2d } from './conv2d';
import { conv2dBackpropFilter } from './conv2d-backprop-filter';
import { conv2dBackpropInput } from './conv2d-backprop-input';
import { fusedBatchNorm } from './fused-batch-norm';
import { gatherV2 } from './gather';
import { maxPool } from './max-pool';
import { maxPoolGrad } from './max-pool-grad';
import { mean, sum } from './reduce';
import { reluGradKernel } from './relu-grad';
import { splitV } from './split-v';
import { tile } from './tile';
import { topK } from './top-k';
import { unaryKernels } from './unary';
import type { NativeKernel } from './wasm-heap';

const NATIVE_KERNELS: readonly NativeKernel[] = [
  conv2d,
  fusedConv2d,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  maxPool,
  maxPoolGrad,
  ...binaryKernels,
  sum,
  mean,
  fusedBatchNorm,
  ...unaryKernels,
  concat,
  splitV,
  batchNormGrad,
  reluGradKernel,
  tile,
  adamKernel,
  gatherV2,
  batchNormTrainKernel,
  batchNormReluTrainKernel,
  batchNormTrainGradKernel,
  slice,
  padV2,
  reverse,
  topK,
];

/** Names of the wasm kernels the addon replaces. */
export const NATIVE_KERNEL_NAMES: readonly string[] = NATIVE_KERNELS.map((k) => k.kernelName);

/** Counts of calls that ran natively and that fell back, by kernel, for profiles and tests. */
export const nativeKernelCalls = new Map<string, { native: number; fallback: number }>();

function count(name: string, native: boolean): void {
  let c = nativeKernelCalls.get(name);
  if (c === undefined) nativeKernelCalls.set(name, (c = { native: 0, fallback: 0 }));
  if (native) c.native++;
  else c.fallback++;
}

export type FallbackLookup = (kernelName: string) => tf.KernelFunc | undefined;

/** Runs before every native kernel call (the core lease's refresh, cheap unless one is due). */
let beforeKernel: (() => void) | undefined;

/** Sets (or with undefined clears) what runs before every native kernel call. */
export function setBeforeKernel(hook: (() => void) | undefined): void {
  beforeKernel = hook;
}

/**
 * Kernel functions for the wasm backend that run natively and call `fallbackOf(name)` (the kernel
 * they replace) for what they do not take. The caller registers them (keeping each stock
 * kernel's setupFunc).
 */
export function nativeKernelFuncs(addon: NativeAddon, fallbackOf: FallbackLookup): Map<string, tf.KernelFunc> {
  const funcs = new Map<string, tf.KernelFunc>();
  for (const k of NATIVE_KERNELS) {
    const fallback = fallbackOf(k.kernelName);
    funcs.set(k.kernelName, (args) => {
      beforeKernel?.();
      const out = k.run(addon, args);
      if (out !== undefined) {
        count(k.kernelName, true);
        return out;
      }
      count(k.kernelName, false);
      if (fallback === undefined) throw new Error(`wasm ${k.kernelName}: no kernel to fall back to for this input`);
      return fallback(args);
    });
  }
  return funcs;
}
