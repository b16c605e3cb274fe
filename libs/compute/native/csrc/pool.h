// Max pooling with tfjs's semantics (NHWC; padded cells never win; the gradient goes to the first
// maximum of each window in row-major order, compared with a strict `>`, as tfjs's cpu backend).
#pragma once

namespace tgs {

struct PoolGeom {
  int B, H, W, C, OH, OW, FH, FW, sh, sw, pt, pl;
};

void max_pool_forward(const float* x, float* y, const PoolGeom& g);
void max_pool_backward(const float* x, const float* dy, float* dx, const PoolGeom& g);

}  // namespace tgs
