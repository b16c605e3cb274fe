/**
 * The constants of the addon's interface, as the TypeScript side uses them: op codes, broadcast
 * modes, fused activations and the positions of the geometry arrays. `csrc/abi.h` defines the same
 * tables; the addon exports them through `abi()`, and {@link abiMismatches} compares the two when
 * the addon is loaded, so a stale or edited build stops the process with the constant's name
 * instead of computing a wrong number.
 */

/** Binary ops, by the tfjs kernel they implement. */
export const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4, Maximum: 5, Minimum: 6 } as const;
/** How an operand of a binary op broadcasts to the output: whole, along the last axis, a scalar. */
export const BROADCAST = { full: 0, perChannel: 1, scalar: 2 } as const;
/** Unary ops, by the tfjs kernel they implement. */
export const UNARY_OPS = { Square: 0, Relu: 1, Neg: 2 } as const;
/** FusedConv2D activations the addon applies as a oneDNN post-op, by tfjs's name. */
export const ACTIVATIONS = { linear: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5 } as const;
/** Positions in a convolution's geometry (an Int32Array of CONV_GEOMETRY_LENGTH), tfjs's Conv2DInfo. */
export const CONV_GEOMETRY = {
  batch: 0, inHeight: 1, inWidth: 2, inChannels: 3, filterHeight: 4, filterWidth: 5, outChannels: 6, outHeight: 7, outWidth: 8,
  strideHeight: 9, strideWidth: 10, dilationHeight: 11, dilationWidth: 12, padTop: 13, padLeft: 14, padBottom: 15, padRight: 16,
} as const;
/** Positions in a max pooling's geometry (an Int32Array of POOL_GEOMETRY_LENGTH), tfjs's Pool2DInfo. */
export const POOL_GEOMETRY = {
  batch: 0, inHeight: 1, inWidth: 2, channels: 3, outHeight: 4, outWidth: 5, filterHeight: 6, filterWidth: 7, strideHeight: 8, strideWidth: 9, padTop: 10, padLeft: 11,
} as const;
export const CONV_GEOMETRY_LENGTH = Object.keys(CONV_GEOMETRY).length;
export const POOL_GEOMETRY_LENGTH = Object.keys(POOL_GEOMETRY).length;

export type BinaryOpName = keyof typeof BINARY_OPS;
export type UnaryOpName = keyof typeof UNARY_OPS;
export type ActivationName = keyof typeof ACTIVATIONS;
export type BroadcastCode = (typeof BROADCAST)[keyof typeof BROADCAST];

/** Every table under the name the addon's `abi()` exports it by. */
export const ABI = {
  binaryOps: BINARY_OPS,
  broadcast: BROADCAST,
  unaryOps: UNARY_OPS,
  activations: ACTIVATIONS,
  convGeometry: CONV_GEOMETRY,
  poolGeometry: POOL_GEOMETRY,
} as const;

export type AbiTables = Record<string, Record<string, number>>;

/**
 * Where the addon's tables (`native`, from its `abi()`) differ from `ours`, one line per constant
 * (`binaryOps.Multiply is 2 here but 3 in the addon`); empty when they agree. A constant only one
 * side has is a difference too: the two sides must describe the same interface.
 */
export function abiMismatches(native: unknown, ours: AbiTables = ABI): string[] {
  if (typeof native !== 'object' || native === null) return ['abi() returned no tables'];
  const theirs = native as Record<string, unknown>;
  const out: string[] = [];
  for (const table of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
    const a = ours[table];
    const b = theirs[table];
    if (a === undefined) {
      out.push(`${table} is in the addon but not here`);
      continue;
    }
    if (typeof b !== 'object' || b === null) {
      out.push(`${table} is missing from the addon`);
      continue;
    }
    const bt = b as Record<string, unknown>;
    for (const name of new Set([...Object.keys(a), ...Object.keys(bt)])) {
      if (!(name in bt)) out.push(`${table}.${name} is missing from the addon`);
      else if (!(name in a)) out.push(`${table}.${name} is in the addon but not here`);
      else if (a[name] !== bt[name]) out.push(`${table}.${name} is ${a[name]} here but ${String(bt[name])} in the addon`);
    }
  }
  return out;
}
