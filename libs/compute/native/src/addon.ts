/**
 * Loading the oneDNN addon (`build/Release/tgs_onednn.node`, built at install time by
 * `scripts/build.cjs` when a C++ compiler and oneDNN's headers are present).
 *
 * The addon is optional: when it was not built, or cannot load (oneDNN's shared library missing,
 * another ABI), {@link nativeAddon} says why and the wasm backend keeps its XNNPACK kernels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Byte offsets into the wasm heap; geometry arrays as documented in csrc/addon.cc. */
export interface NativeAddon {
  conv2d(heap: ArrayBuffer, geom: Int32Array, activation: number, alpha: number, x: number, filter: number, bias: number, y: number): void;
  conv2dBackwardData(heap: ArrayBuffer, geom: Int32Array, dy: number, filter: number, dx: number): void;
  conv2dBackwardWeights(heap: ArrayBuffer, geom: Int32Array, x: number, dy: number, dw: number): void;
  maxPool(heap: ArrayBuffer, geom: Int32Array, x: number, y: number): void;
  maxPoolGrad(heap: ArrayBuffer, geom: Int32Array, x: number, dy: number, dx: number): void;
  binary(heap: ArrayBuffer, op: number, a: number, aMode: number, b: number, bMode: number, out: number, n: number, c: number): void;
  reduce(heap: ArrayBuffer, x: number, y: number, rows: number, cols: number, overRows: boolean, scale: number): void;
  batchNorm(heap: ArrayBuffer, x: number, mean: number, variance: number, scale: number, offset: number, epsilon: number, y: number, n: number, c: number): void;
  batchNormGrad(heap: ArrayBuffer, x: number, dy: number, mean: number, variance: number, scale: number, epsilon: number, dx: number, dmean: number, dvariance: number, dscale: number, doffset: number, n: number, c: number): void;
  unary(heap: ArrayBuffer, op: number, x: number, y: number, n: number): void;
  concat(heap: ArrayBuffer, partOffsets: Float64Array, partInners: Float64Array, outer: number, out: number): void;
  split(heap: ArrayBuffer, x: number, outer: number, partOffsets: Float64Array, partInners: Float64Array): void;
  setThreads(n: number): number;
  threads(): number;
  version(): { major: number; minor: number; patch: number; headers: string; runtime: 'omp' | 'sequential'; isa: string };
  stats(): { primitives: number; scratchBytes: number; scratchBytesEverAllocated: number };
  clearCache(): void;
}

/** The library's root (this file is libs/compute/native/src/addon.ts). */
export const NATIVE_ROOT = join(__dirname, '..');
export const ADDON_PATH = join(NATIVE_ROOT, 'build', 'Release', 'tgs_onednn.node');
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

/** Loads the addon from `path`; never throws. */
export function loadAddon(path: string = ADDON_PATH): AddonState {
  if (!existsSync(path)) return { reason: `${buildReason()}; ${INSTALL_HINT}` };
  try {
    return { addon: require(path) as NativeAddon };
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return { reason: `the addon failed to load: ${msg}` };
  }
}

let state: AddonState | undefined;

/**
 * The process's addon, loaded once. `TGS_NATIVE=off` disables it (the pure-wasm path, for
 * comparisons and for testing the fallback).
 */
export function nativeAddon(env: NodeJS.ProcessEnv = process.env): AddonState {
  if (env.TGS_NATIVE === 'off' || env.TGS_NATIVE === '0') return { reason: 'disabled by TGS_NATIVE=off' };
  state ??= loadAddon();
  return state;
}
