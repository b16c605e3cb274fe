// Max pooling with tfjs's semantics (NHWC; padded cells never win; the gradient goes to the first
// maximum of each window in row-major order, compared with a strict `>`, as tfjs's cpu backend).
#pragma once
#include <cstddef>
#include <cstdint>

#include "abi.h"

namespace tgs {

struct PoolGeom {
  int B, H, W, C, OH, OW, FH, FW, sh, sw, pt, pl;
};

// The geometry from its pool_geom positions (abi.h); throws std::invalid_argument on a wrong
// length or a non-positive size.
PoolGeom pool_geom_from(const int32_t* p, size_t length);
inline size_t pool_input_size(const PoolGeom& g) { return size_t(g.B) * g.H * g.W * g.C; }
inline size_t pool_output_size(const PoolGeom& g) { return size_t(g.B) * g.OH * g.OW * g.C; }

void max_pool_forward(const float* x, float* y, const PoolGeom& g);
void max_pool_backward(const float* x, const float* dy, float* dx, const PoolGeom& g);

}  // namespace tgs
