// The interface between the addon and its TypeScript side (src/abi.ts): op codes, broadcast
// modes, fused activations and the positions of the geometry arrays. Each table is written once,
// here, as an X-macro list of (enumerator, name, value); the enums below and the addon's `abi()`
// export are both generated from it, and the TypeScript side compares `abi()` with its own
// constants when it loads the addon, so a mismatch stops the process naming the constant.
#pragma once

// Binary ops by the tfjs kernel they implement: out = a op b.
#define SEGKIT_ABI_BINARY_OPS(X) \
  X(kAdd, "Add", 0)           \
  X(kSub, "Sub", 1)           \
  X(kMul, "Multiply", 2)      \
  X(kDiv, "RealDiv", 3)       \
  X(kSquaredDifference, "SquaredDifference", 4) \
  X(kMaximum, "Maximum", 5)   \
  X(kMinimum, "Minimum", 6)

// How an operand of a binary op is laid out relative to the [n / c, c] output.
#define SEGKIT_ABI_BROADCAST(X) \
  X(kFull, "full", 0)        \
  X(kPerChannel, "perChannel", 1) \
  X(kScalar, "scalar", 2)

// Unary ops by the tfjs kernel they implement.
#define SEGKIT_ABI_UNARY_OPS(X) \
  X(kSquare, "Square", 0)    \
  X(kRelu, "Relu", 1)        \
  X(kNeg, "Neg", 2)

// Fused activations of tfjs's FusedConv2D that map to a oneDNN eltwise post-op, by tfjs's name.
#define SEGKIT_ABI_ACTIVATIONS(X) \
  X(kLinear, "linear", 0)      \
  X(kRelu, "relu", 1)          \
  X(kRelu6, "relu6", 2)        \
  X(kElu, "elu", 3)            \
  X(kSigmoid, "sigmoid", 4)    \
  X(kLeakyRelu, "leakyrelu", 5)

// Positions in a convolution's geometry (Int32Array), in tfjs's Conv2DInfo terms (NHWC, HWIO).
#define SEGKIT_ABI_CONV_GEOMETRY(X) \
  X(kBatch, "batch", 0)          \
  X(kInHeight, "inHeight", 1)    \
  X(kInWidth, "inWidth", 2)      \
  X(kInChannels, "inChannels", 3) \
  X(kFilterHeight, "filterHeight", 4) \
  X(kFilterWidth, "filterWidth", 5) \
  X(kOutChannels, "outChannels", 6) \
  X(kOutHeight, "outHeight", 7)  \
  X(kOutWidth, "outWidth", 8)    \
  X(kStrideHeight, "strideHeight", 9) \
  X(kStrideWidth, "strideWidth", 10) \
  X(kDilationHeight, "dilationHeight", 11) \
  X(kDilationWidth, "dilationWidth", 12) \
  X(kPadTop, "padTop", 13)       \
  X(kPadLeft, "padLeft", 14)     \
  X(kPadBottom, "padBottom", 15) \
  X(kPadRight, "padRight", 16)

// Positions in a max pooling's geometry (Int32Array), in tfjs's Pool2DInfo terms (NHWC).
#define SEGKIT_ABI_POOL_GEOMETRY(X) \
  X(kBatch, "batch", 0)          \
  X(kInHeight, "inHeight", 1)    \
  X(kInWidth, "inWidth", 2)      \
  X(kChannels, "channels", 3)    \
  X(kOutHeight, "outHeight", 4)  \
  X(kOutWidth, "outWidth", 5)    \
  X(kFilterHeight, "filterHeight", 6) \
  X(kFilterWidth, "filterWidth", 7) \
  X(kStrideHeight, "strideHeight", 8) \
  X(kStrideWidth, "strideWidth", 9) \
  X(kPadTop, "padTop", 10)       \
  X(kPadLeft, "padLeft", 11)

// Every table, by the name `abi()` exports it under.
#define SEGKIT_ABI_TABLES(T)                   \
  T(binary_op, "binaryOps", SEGKIT_ABI_BINARY_OPS) \
  T(broadcast, "broadcast", SEGKIT_ABI_BROADCAST) \
  T(unary_op, "unaryOps", SEGKIT_ABI_UNARY_OPS) \
  T(activation, "activations", SEGKIT_ABI_ACTIVATIONS) \
  T(conv_geom, "convGeometry", SEGKIT_ABI_CONV_GEOMETRY) \
  T(pool_geom, "poolGeometry", SEGKIT_ABI_POOL_GEOMETRY)

namespace tgs {

#define SEGKIT_ABI_ENUMERATOR(id, name, value) id = value,
#define SEGKIT_ABI_COUNT(id, name, value) +1
// One namespace per table: tgs::binary_op::kAdd, tgs::conv_geom::kBatch, ...; kCount is the
// number of entries (the length of a geometry array; one past the last code).
#define SEGKIT_ABI_NAMESPACE(ns, exported, LIST) \
  namespace ns {                              \
  enum : int { LIST(SEGKIT_ABI_ENUMERATOR) };    \
  constexpr int kCount = 0 LIST(SEGKIT_ABI_COUNT); \
  }
SEGKIT_ABI_TABLES(SEGKIT_ABI_NAMESPACE)
#undef SEGKIT_ABI_NAMESPACE
#undef SEGKIT_ABI_COUNT
#undef SEGKIT_ABI_ENUMERATOR

}  // namespace tgs
