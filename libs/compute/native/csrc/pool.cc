#include "pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

namespace {
// Channels a tiling window keeps its running maxima for on the stack.
constexpr int kTilingChannels = 1024;

// Whether the windows tile the input exactly (stride = window, no padding, the sizes divide) and
// the channels fill whole SSE registers (a scalar remainder made 3 channels slower than the
// general path).
bool windows_tile(const PoolGeom& g) {
  return g.sh == g.FH && g.sw == g.FW && g.pt == 0 && g.pl == 0 && g.OH * g.sh == g.H && g.OW * g.sw == g.W && g.C <= kTilingChannels && g.C % 4 == 0;
}

// max_pool_backward where the windows tile the input (the U-Net's 2x2 stride-2 pools on even
// sizes): every dx cell lies in exactly one window, so each is written once, dy (as 0 + dy, the
// general path's add to a zeroed cell, so -0 turns to +0 alike) at the window's first maximum and
// 0 elsewhere, with no zeroing pass and four channels per SSE register (GCC does not vectorise
// these selects itself; the general path scans one channel at a time; without SSE2 the scalar
// loops run). The same bits as the general path. The first maximum's window cell is kept as a
// float (small integers are exact).
void max_pool_backward_tiled(const float* x, const float* dy, float* dx, const PoolGeom& g) {
  const long row = long(g.W) * g.C;
  const long image = long(g.H) * row;
  const int C = g.C;
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < g.B; b++) {
    for (int i = 0; i < g.OH; i++) {
      float best[kTilingChannels], at[kTilingChannels];
      const float* xb = x + long(b) * image;
      float* dxb = dx + long(b) * image;
      for (int j = 0; j < g.OW; j++) {
        const long corner = long(i) * g.FH * row + long(j) * g.FW * C;
        const float* grad = dy + ((long(b) * g.OH + i) * g.OW + j) * C;
        std::fill(best, best + C, -std::numeric_limits<float>::infinity());
        std::fill(at, at + C, -1.f);
        // Window cells in row-major order, k = r * FW + c; a strict > keeps the first maximum.
        for (int r = 0; r < g.FH; r++)
          for (int c = 0; c < g.FW; c++) {
            const float* in = xb + corner + r * row + long(c) * C;
            const float k = float(r * g.FW + c);
            int d = 0;
#if defined(__SSE2__)
            const __m128 kv = _mm_set1_ps(k);
            for (; d < C; d += 4) {
              const __m128 v = _mm_loadu_ps(in + d), b0 = _mm_loadu_ps(best + d), a0 = _mm_loadu_ps(at + d);
              const __m128 more = _mm_cmpgt_ps(v, b0);
              _mm_storeu_ps(best + d, _mm_or_ps(_mm_and_ps(more, v), _mm_andnot_ps(more, b0)));
              _mm_storeu_ps(at + d, _mm_or_ps(_mm_and_ps(more, kv), _mm_andnot_ps(more, a0)));
            }
#endif
            for (; d < C; d++) {
              if (in[d] > best[d]) {
                best[d] = in[d];
                at[d] = k;
              }
            }
          }
        for (int r = 0; r < g.FH; r++)
          for (int c = 0; c < g.FW; c++) {
            float* out = dxb + corner + r * row + long(c) * C;
            const float k = float(r * g.FW + c);
            int d = 0;
#if defined(__SSE2__)
            const __m128 kv = _mm_set1_ps(k), zero = _mm_setzero_ps();
            for (; d < C; d += 4) {
              const __m128 mine = _mm_cmpeq_ps(_mm_loadu_ps(at + d), kv);
              _mm_storeu_ps(out + d, _mm_and_ps(mine, _mm_add_ps(zero, _mm_loadu_ps(grad + d))));
            }
#endif
            for (; d < C; d++) out[d] = at[d] == k ? 0.f + grad[d] : 0.f;
          }
      }
    }
  }
}
}  // namespace

// dx[b,r,c,d] = sum over windows whose first maximum is (r,c) of dy[b,i,j,d]
void max_pool_backward(const float* x, const float* dy, float* dx, const PoolGeom& g) {
  if (windows_tile(g)) return max_pool_backward_tiled(x, dy, dx, g);
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
