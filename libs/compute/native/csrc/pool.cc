#include "pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace tgs {

PoolGeom pool_geom_from(const int32_t* p, size_t length) {
  if (length != pool_geom::kCount) throw std::invalid_argument("pool geometry must have 12 entries");
  using namespace pool_geom;
  PoolGeom g{p[kBatch], p[kInHeight], p[kInWidth], p[kChannels], p[kOutHeight], p[kOutWidth],
             p[kFilterHeight], p[kFilterWidth], p[kStrideHeight], p[kStrideWidth], p[kPadTop], p[kPadLeft]};
  for (int i : {kBatch, kInHeight, kInWidth, kChannels, kOutHeight, kOutWidth, kFilterHeight, kFilterWidth, kStrideHeight, kStrideWidth})
    if (p[i] <= 0) throw std::invalid_argument("pool geometry has a non-positive size");
  return g;
}

// y[b,i,j,d] = max over (r,c) in the window of (i,j), inside the image, of x[b,r,c,d]
void max_pool_forward(const float* x, float* y, const PoolGeom& g) {
  const long row = long(g.W) * g.C;
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < g.B; b++) {
    for (int i = 0; i < g.OH; i++) {
      const int r0 = i * g.sh - g.pt;
      const int rmin = std::max(r0, 0), rmax = std::min(r0 + g.FH, g.H);
      const float* xb = x + long(b) * g.H * row;
      for (int j = 0; j < g.OW; j++) {
        const int c0 = j * g.sw - g.pl;
        const int cmin = std::max(c0, 0), cmax = std::min(c0 + g.FW, g.W);
        float* out = y + ((long(b) * g.OH + i) * g.OW + j) * g.C;
        for (int d = 0; d < g.C; d++) out[d] = -std::numeric_limits<float>::infinity();
        for (int r = rmin; r < rmax; r++) {
          for (int c = cmin; c < cmax; c++) {
            const float* in = xb + r * row + long(c) * g.C;
            for (int d = 0; d < g.C; d++) out[d] = in[d] > out[d] ? in[d] : out[d];
          }
        }
      }
    }
  }
}

// dx[b,r,c,d] = sum over windows whose first maximum is (r,c) of dy[b,i,j,d]
void max_pool_backward(const float* x, const float* dy, float* dx, const PoolGeom& g) {
  const long row = long(g.W) * g.C;
  const long image = long(g.H) * row;
  // Windows of different output rows overlap only when the stride is smaller than the window,
  // so rows run in parallel only when they cannot write the same dx cell.
  const bool rows_disjoint = g.sh >= g.FH;
  std::memset(dx, 0, sizeof(float) * size_t(g.B) * image);
  auto one_row = [&](int b, int i) {
    const int r0 = i * g.sh - g.pt;
    const int rmin = std::max(r0, 0), rmax = std::min(r0 + g.FH, g.H);
    const float* xb = x + long(b) * image;
    float* dxb = dx + long(b) * image;
    for (int j = 0; j < g.OW; j++) {
      const int c0 = j * g.sw - g.pl;
      const int cmin = std::max(c0, 0), cmax = std::min(c0 + g.FW, g.W);
      const float* grad = dy + ((long(b) * g.OH + i) * g.OW + j) * g.C;
      for (int d = 0; d < g.C; d++) {
        float best = -std::numeric_limits<float>::infinity();
        long at = -1;
        for (int r = rmin; r < rmax; r++) {
          for (int c = cmin; c < cmax; c++) {
            const long p = r * row + long(c) * g.C + d;
            if (xb[p] > best) {
              best = xb[p];
              at = p;
            }
          }
        }
        if (at >= 0) dxb[at] += grad[d];
      }
    }
  };
  if (rows_disjoint) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < g.B; b++)
      for (int i = 0; i < g.OH; i++) one_row(b, i);
  } else {
#pragma omp parallel for schedule(static)
    for (int b = 0; b < g.B; b++)
      for (int i = 0; i < g.OH; i++) one_row(b, i);
  }
}

}  // namespace tgs
