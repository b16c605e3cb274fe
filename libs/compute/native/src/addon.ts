/**
 * Loading the oneDNN addon (`build/Release/segkit_onednn.node`, built at install time by
 * `scripts/build.cjs` when a C++ compiler and oneDNN's headers are present).
 *
 * The addon is optional: when it was not built, or cannot load (oneDNN's shared library missing,
 * another Node ABI), {@link nativeAddon} says why and the wasm backend keeps its XNNPACK kernels.
 * An addon that loads but was built from other sources than this checkout's (its `abi()` differs
 * from ./abi) is an error: it would compute wrong numbers, so it stops the process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@segkit/io';
import { abiMismatches } from './abi';

/** A byte offset of a tensor in the wasm heap. */
type Offset = number;

/**
 * The addon's entry points. Each kernel takes the wasm heap's ArrayBuffer and one argument object
 * whose tensor fields are byte offsets into it; codes and geometry positions are those of ./abi
 * (checked against the addon's own at load). An optional tensor is left out or undefined.
 */
export interface NativeAddon {
  abi(): unknown;
  conv2d(heap: ArrayBuffer, args: { geometry: Int32Array; activation: number; alpha: number; x: Offset; filter: Offset; bias?: Offset; y: Offset }): void;
  conv2dBackwardData(heap: ArrayBuffer, args: { geometry: Int32Array; dy: Offset; filter: Offset; dx: Offset }): void;
  conv2dBackwardWeights(heap: ArrayBuffer, args: { geometry: Int32Array; x: Offset; dy: Offset; dw: Offset }): void;
  maxPool(heap: ArrayBuffer, args: { geometry: Int32Array; x: Offset; y: Offset }): void;
  maxPoolGrad(heap: ArrayBuffer, args: { geometry: Int32Array; x: Offset; dy: Offset; dx: Offset }): void;
  /** y = a op b over n elements of c channels, each operand broadcast as its mode says. */
  binary(heap: ArrayBuffer, args: { op: number; a: Offset; aMode: number; b: Offset; bMode: number; y: Offset; n: number; c: number }): void;
  /** x as [rows, cols]: y = scale * the sum over rows (overRows) or over cols. */
  reduce(heap: ArrayBuffer, args: { x: Offset; y: Offset; rows: number; cols: number; overRows: boolean; scale: number }): void;
  batchNorm(heap: ArrayBuffer, args: { x: Offset; mean: Offset; variance: Offset; scale?: Offset; offset?: Offset; epsilon: number; y: Offset; n: number; c: number }): void;
  /** dscale is given exactly when scale is. */
  batchNormGrad(
    heap: ArrayBuffer,
    args: { x: Offset; dy: Offset; mean: Offset; variance: Offset; scale?: Offset; epsilon: number; dx: Offset; dmean: Offset; dvariance: Offset; dscale?: Offset; doffset: Offset; n: number; c: number },
  ): void;
  unary(heap: ArrayBuffer, args: { op: number; x: Offset; y: Offset; n: number }): void;
  /** Batch norm in training: y, the batch mean and (biased) variance, per channel (c innermost); relu: y = max(y, 0) too. */
  batchNormTrain(heap: ArrayBuffer, args: { x: Offset; scale?: Offset; offset?: Offset; epsilon: number; relu: boolean; y: Offset; mean: Offset; variance: Offset; n: number; c: number }): void;
  /** Its gradient, the statistics differentiated too; y (the output with relu) takes dy through the Relu first. */
  batchNormTrainGrad(
    heap: ArrayBuffer,
    args: { x: Offset; dy: Offset; mean: Offset; variance: Offset; scale?: Offset; offset?: Offset; relu: boolean; epsilon: number; dx: Offset; dscale?: Offset; doffset?: Offset; n: number; c: number },
  ): void;
  /** dx = dy * step(x) over n elements. */
  reluGrad(heap: ArrayBuffer, args: { dy: Offset; x: Offset; dx: Offset; n: number }): void;
  /** y[o, i, :] = x[o, indices[i], :] (4-byte elements, x as [outer, axisDim, inner]); false, y untouched, for an index out of range. */
  gather(heap: ArrayBuffer, args: { x: Offset; indices: Offset; outer: number; axisDim: number; inner: number; m: number; y: Offset }): boolean;
  /**
   * y = fill, except the box: y[offset + q] = x[begin + (reverse ? size − 1 − q : q)] per axis for
   * 0 ≤ q < size (4-byte elements; fill as its 32 bits): Slice, PadV2 and Reverse.
   */
  box(
    heap: ArrayBuffer,
    args: { x: Offset; xShape: Float64Array; begin: Float64Array; size: Float64Array; reverse: Float64Array; y: Offset; yShape: Float64Array; offset: Float64Array; fill: number },
  ): void;
  /** TopK, sorted, of float32 rows (x as [rows, n]): the k largest, ties by smaller index; false, nothing written, for a value that is not finite. */
  topK(heap: ArrayBuffer, args: { x: Offset; rows: number; n: number; k: number; values: Offset; indices: Offset }): boolean;
  /** y = x (block elements) repeated `times` times. */
  repeat(heap: ArrayBuffer, args: { x: Offset; block: number; times: number; y: Offset }): void;
  /** One Adam step of n elements into wOut, mOut, vOut; oneMinusAccBeta1/2 are offsets of float32 scalars. */
  adam(
    heap: ArrayBuffer,
    args: { w: Offset; m: Offset; v: Offset; g: Offset; n: number; oneMinusAccBeta1: Offset; oneMinusAccBeta2: Offset; beta1: number; beta2: number; epsilon: number; learningRate: number; wOut: Offset; mOut: Offset; vOut: Offset },
  ): void;
  /** Parts viewed as [outer, inners[i]], laid side by side along the inner axis into y. */
  concat(heap: ArrayBuffer, args: { parts: Float64Array; inners: Float64Array; outer: number; y: Offset }): void;
  /** The inverse of concat: x cut into the parts. */
  split(heap: ArrayBuffer, args: { x: Offset; outer: number; parts: Float64Array; inners: Float64Array }): void;
  /** What this CPU does now at `threads` threads: vector FMAs in registers, and oneDNN sgemm of gemmSize³ (benches only). */
  peak(args: { threads: number; seconds: number; gemmSize: number }): { fmaGflops: number; sgemmGflops: number };
  setThreads(n: number): number;
  threads(): number;
  /**
   * oneDNN's version, threading runtime and this CPU's widest vector ISA; winograd: oneDNN has Winograd convolutions for this CPU;
   * avx2Winograd: the addon's own AVX2 Winograd F(2x2, 3x3) kernels run the 3x3 stride-1 layers here (AVX2, where oneDNN has none).
   */
  version(): { major: number; minor: number; patch: number; headers: string; runtime: 'omp' | 'sequential'; isa: 'avx512' | 'avx2' | 'pre-avx2'; winograd: boolean; avx2Winograd: boolean };
  /**
   * The convolution primitive cache: primitives held, scratch bytes held and ever allocated, primitives ever created and the seconds creating
   * them took, how many of those held run Winograd and how many run on tfjs's NHWC tensors directly (no reorders), and how many passes
   * the AVX2 Winograd kernels ran since the cache was last emptied.
   */
  stats(): {
    primitives: number;
    scratchBytes: number;
    scratchBytesEverAllocated: number;
    creations: number;
    createSeconds: number;
    winograd: number;
    nhwcDirect: number;
    avx2WinogradCalls: number;
  };
  clearCache(): void;
  /**
   * Winograd (the default) for wide 3x3 stride-1 layers where oneDNN has it (AVX-512), and for every 3x3 stride-1 layer with channels in
   * multiples of 8 through the addon's own kernels on AVX2; or direct convolutions only. Empties the primitive cache.
   */
  setWinograd(enabled: boolean): void;
  /**
   * NHWC kernels for narrow layers' forward passes and input gradients (at most 64 channels in and
   * out, AVX2; the default), or oneDNN's blocked layouts everywhere; the same bits either way;
   * empties the primitive cache.
   */
  setNhwcDirect(enabled: boolean): void;
}

/** The library's root (this file is libs/compute/native/src/addon.ts). */
export const NATIVE_ROOT = join(__dirname, '..');
export const ADDON_PATH = join(NATIVE_ROOT, 'build', 'Release', 'segkit_onednn.node');
/** Written by the install-time build when it skipped or failed, with the reason. */
export const BUILD_STATUS_PATH = join(NATIVE_ROOT, 'build', 'status.json');

export const INSTALL_HINT = 'install oneDNN (apt-get install libdnnl-dev, or brew install onednn), then run npm run build:native';

export type AddonState = { addon: NativeAddon; reason?: undefined } | { addon?: undefined; reason: string };

function buildReason(): string {
  try {
    const status = JSON.parse(readFileSync(BUILD_STATUS_PATH, 'utf8')) as { reason?: unknown };
    if (typeof status.reason === 'string') return status.reason;
  } catch {
    // no status file: the build never ran here
  }
  return 'the addon was not built';
}

/**
 * Loads the addon from `path`: a missing or unloadable addon is a reason, never a throw; one whose
 * interface differs from this checkout's throws a UserError naming each differing constant.
 */
export function loadAddon(path: string = ADDON_PATH): AddonState {
  if (!existsSync(path)) return { reason: `${buildReason()}; ${INSTALL_HINT}` };
  let addon: NativeAddon;
  try {
    addon = require(path) as NativeAddon;
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return { reason: `the addon failed to load: ${msg}` };
  }
  checkAbi(addon, path);
  return { addon };
}

/** Every function of {@link NativeAddon}: an addon built from older sources may lack the newest. */
export const ADDON_FUNCTIONS = [
  'abi', 'conv2d', 'conv2dBackwardData', 'conv2dBackwardWeights', 'maxPool', 'maxPoolGrad', 'binary', 'reduce', 'batchNorm', 'batchNormGrad', 'unary',
  'batchNormTrain', 'batchNormTrainGrad', 'reluGrad', 'gather', 'box', 'topK', 'repeat', 'adam', 'concat', 'split', 'peak', 'setThreads', 'threads', 'version',
  'stats', 'clearCache', 'setWinograd', 'setNhwcDirect',
] as const satisfies readonly (keyof NativeAddon)[];
// The list is complete: a function added to NativeAddon and not here fails to compile.
const listsEveryFunction: [Exclude<keyof NativeAddon, (typeof ADDON_FUNCTIONS)[number]>] extends [never] ? true : never = true;
void listsEveryFunction;

/** Throws unless the addon's constants are this checkout's (see ./abi) and it has every function this checkout calls. */
export function checkAbi(addon: Partial<NativeAddon>, path: string = ADDON_PATH): void {
  const rebuild = 'rebuild it with npm run build:native';
  if (typeof addon.abi !== 'function') throw new UserError(`the native addon ${path} was built from older sources (it has no abi()); ${rebuild}`);
  const diffs = abiMismatches(addon.abi());
  if (diffs.length > 0) throw new UserError(`the native addon ${path} does not match this checkout's interface: ${diffs.join('; ')}; ${rebuild}`);
  const missing = ADDON_FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
  if (missing.length > 0) throw new UserError(`the native addon ${path} was built from older sources (it has no ${missing.map((f) => `${f}()`).join(', ')}); ${rebuild}`);
}

let state: AddonState | undefined;

/**
 * The process's addon, loaded once. `SEGKIT_NATIVE=off` disables it (the pure-wasm path, for
 * comparisons and for testing the fallback).
 */
export function nativeAddon(env: NodeJS.ProcessEnv = process.env): AddonState {
  if (env.SEGKIT_NATIVE === 'off' || env.SEGKIT_NATIVE === '0') return { reason: 'disabled by SEGKIT_NATIVE=off' };
  state ??= loadAddon();
  return state;
}
