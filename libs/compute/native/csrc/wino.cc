#include "wino.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "arena.h"
#include "threads.h"

#if defined(__x86_64__) || defined(_M_X64)
#define SEGKIT_WINO 1
#include <immintrin.h>
// Only the functions that use AVX2 are compiled for it (a file-wide target would also compile the
// standard library's inline functions for AVX2, and the linker could keep those copies for the
// other files); they run only where wino_cpu() says the CPU has it.
#define SEGKIT_AVX2 __attribute__((target("avx2,fma")))
#else
#define SEGKIT_WINO 0
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

namespace tgs {
namespace {

size_t g_calls = 0;

// The weight gradient sums over the batch in this many fixed chunks of images at most (the count
// depends on the batch only), each chunk's partial sum on one thread, added in chunk order.
constexpr int kWinoWeightGradChunks = 8;

// The filter in Winograd's domain, packed for the products; the input gradient's filter before it.
Arena g_filter, g_flipped;
// Per-thread tile blocks (index: OpenMP thread number) and per-chunk partial weight gradients.
std::vector<Arena> g_blocks;
Arena g_chunks[kWinoWeightGradChunks];

int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Reserves `n` floats in each of the first `count` thread blocks, before a parallel region (no
// allocation happens inside one).
void reserve_blocks(int count, size_t n) {
  if (static_cast<int>(g_blocks.size()) < count) g_blocks.resize(count);
  for (int t = 0; t < count; t++) g_blocks[t].reserve_floats(n);
}

#if SEGKIT_WINO

// Floats between two of a block's 16 planes (rows x channels each): 16 more than the plane, so
// that the planes do not start 4 KB apart (measured: a 128-tile block of 16 channels, 8 KB
// planes, made the weight gradient's transforms 3.8x slower from cache-set conflicts).
size_t plane_stride(int rows, int channels) { return size_t(rows) * channels + 16; }

// Tiles per block of the forward pass: the block's transformed input and products stay in L2
// (16 * TB * (C + K) floats near 256 KB), at least 48 tiles so the packed filter is reused, a
// multiple of 12 rows.
int tiles_per_block(int C, int K) {
  const int fit = 4096 / (C + K) / 12 * 12;
  return std::max(48, std::min(240, fit));
}
// Tiles per block of the weight gradient: the partial sums (16 * C * K) are loaded and stored
// once per block, so wide layers take longer blocks (from L3) than the L2 fit.
int gradient_tiles_per_block(int C, int K) { return std::max(128, tiles_per_block(C, K)); }
// Chunks of the weight gradient: at most kWinoWeightGradChunks, one image each at least, and a
// block's worth of tiles each (an 8x8 layer's chunk of 2 images has 32 tiles: its partial sums
// would cost more than its products). From the shape only.
int gradient_chunks(const ConvGeom& g) {
  const long tiles = long(g.B) * ((g.OH + 1) / 2) * ((g.OW + 1) / 2);
  const long by_tiles = std::max(1L, tiles / gradient_tiles_per_block(g.C, g.CO));
  return static_cast<int>(std::min<long>({long(g.B), long(kWinoWeightGradChunks), by_tiles}));
}

// Packs U (16 positions x C x K, Winograd's domain) as 16 x [K/16 panels of C x 16, then a last
// panel of C x 8 where K % 16 == 8]: a product's 16 (or 8) output channels read contiguously.
// U = G g G^T for each 3x3 kernel g[i, j] = w[i, j, c, k..k+8] (HWIO, 8 output channels at a
// time), with G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]].
SEGKIT_AVX2 void transform_filter(int C, int K, const float* w, float* U) {
  const size_t ck = size_t(C) * K;
#pragma omp parallel for schedule(static) num_threads(threads()) if (ck >= 16384)
  for (int c = 0; c < C; c++) {
    const __m256 half = _mm256_set1_ps(0.5f);
    for (int k = 0; k < K; k += 8) {
      __m256 t[4][3];
#pragma GCC unroll 3
      for (int j = 0; j < 3; j++) {
        const __m256 g0 = _mm256_loadu_ps(w + (size_t(j)) * ck + size_t(c) * K + k);
        const __m256 g1 = _mm256_loadu_ps(w + (size_t(3 + j)) * ck + size_t(c) * K + k);
        const __m256 g2 = _mm256_loadu_ps(w + (size_t(6 + j)) * ck + size_t(c) * K + k);
        t[0][j] = g0;
        t[1][j] = _mm256_mul_ps(half, _mm256_add_ps(_mm256_add_ps(g0, g1), g2));
        t[2][j] = _mm256_mul_ps(half, _mm256_add_ps(_mm256_sub_ps(g0, g1), g2));
        t[3][j] = g2;
      }
      const int panel = k / 16, width = std::min(16, K - panel * 16), lane = k - panel * 16;
      float* o = U + size_t(panel) * 16 * C + size_t(c) * width + lane;
#pragma GCC unroll 4
      for (int a = 0; a < 4; a++) {
        _mm256_store_ps(o + size_t(4 * a) * ck, t[a][0]);
        _mm256_store_ps(o + size_t(4 * a + 1) * ck, _mm256_mul_ps(half, _mm256_add_ps(_mm256_add_ps(t[a][0], t[a][1]), t[a][2])));
        _mm256_store_ps(o + size_t(4 * a + 2) * ck, _mm256_mul_ps(half, _mm256_add_ps(_mm256_sub_ps(t[a][0], t[a][1]), t[a][2])));
        _mm256_store_ps(o + size_t(4 * a + 3) * ck, t[a][2]);
      }
    }
  }
}

// The input gradient's filter: out[i, j, k, c] = w[2 - i, 2 - j, c, k] (turned 180 degrees,
// channels swapped), 8 x 8 blocks at a time.
void flip_filter(int C, int K, const float* w, float* out) {
#pragma omp parallel for schedule(static) num_threads(threads()) if (size_t(C) * K >= 16384)
  for (int ij = 0; ij < 9; ij++) {
    const float* src = w + size_t(8 - ij) * C * K;
    float* dst = out + size_t(ij) * C * K;
    for (int c0 = 0; c0 < C; c0 += 8)
      for (int k0 = 0; k0 < K; k0 += 8)
        for (int c = c0; c < c0 + 8; c++)
          for (int k = k0; k < k0 + 8; k++) dst[size_t(k) * C + c] = src[size_t(c) * K + k];
  }
}

// The 2x2 output tiles of a batch, image by image, row by row: TH x TW per image.
struct TileGrid {
  int TH, TW;
};
// Walks the tiles from tile `t` on: image n, output origin (oh, ow); next() moves one tile on
// (no division per tile).
struct TileCursor {
  int TW, TH, n, oh, ow;
  TileCursor(const TileGrid& g, long t) : TW(g.TW), TH(g.TH) {
    n = static_cast<int>(t / (long(g.TH) * g.TW));
    const int r = static_cast<int>(t % (long(g.TH) * g.TW));
    oh = 2 * (r / g.TW);
    ow = 2 * (r % g.TW);
  }
  void next() {
    ow += 2;
    if (ow < 2 * TW) return;
    ow = 0;
    oh += 2;
    if (oh < 2 * TH) return;
    oh = 0;
    n++;
  }
};

// V = B^T d B for one 4x4 input patch d, 8 channels at a time; B^T = [[1, 0, -1, 0],
// [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]. Row r of the patch is read by load(r, s, c) (column
// s, channels c..c+8); each row is transformed as it is loaded (d B), then the rows are combined
// (B^T (d B)). V[p] lands at out + p * pstride + c.
template <typename Load>
SEGKIT_AVX2 inline void input_transform_with(int C, Load load, float* out, size_t pstride) {
  for (int c = 0; c < C; c += 8) {
    __m256 t[4][4];
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++) {
      const __m256 d0 = load(r, 0, c), d1 = load(r, 1, c), d2 = load(r, 2, c), d3 = load(r, 3, c);
      t[r][0] = _mm256_sub_ps(d0, d2);
      t[r][1] = _mm256_add_ps(d1, d2);
      t[r][2] = _mm256_sub_ps(d2, d1);
      t[r][3] = _mm256_sub_ps(d1, d3);
    }
    float* o = out + c;
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++) {
      _mm256_storeu_ps(o + size_t(s) * pstride, _mm256_sub_ps(t[0][s], t[2][s]));
      _mm256_storeu_ps(o + size_t(4 + s) * pstride, _mm256_add_ps(t[1][s], t[2][s]));
      _mm256_storeu_ps(o + size_t(8 + s) * pstride, _mm256_sub_ps(t[2][s], t[1][s]));
      _mm256_storeu_ps(o + size_t(12 + s) * pstride, _mm256_sub_ps(t[1][s], t[3][s]));
    }
  }
}

// The transform of the patch at rows ih0.., columns iw0.. of image `img` (H x W x C), zero
// outside. Patches wholly inside (all but the border tiles) load without checks.
SEGKIT_AVX2 inline void input_transform(const float* img, int H, int W, int C, int ih0, int iw0, float* out, size_t pstride) {
  if (ih0 >= 0 && ih0 + 4 <= H && iw0 >= 0 && iw0 + 4 <= W) {
    const float* base = img + (size_t(ih0) * W + iw0) * C;
    const size_t row = size_t(W) * C;
    input_transform_with(C, [=](int r, int s, int c) SEGKIT_AVX2 { return _mm256_loadu_ps(base + r * row + s * C + c); }, out, pstride);
  } else {
    input_transform_with(
        C,
        [=](int r, int s, int c) SEGKIT_AVX2 {
          const int ih = ih0 + r, iw = iw0 + s;
          return (ih >= 0 && ih < H && iw >= 0 && iw < W) ? _mm256_loadu_ps(img + (size_t(ih) * W + iw) * C + c) : _mm256_setzero_ps();
        },
        out, pstride);
  }
}

// Z = A e A^T for the 2x2 output-gradient patch e at (oh0, ow0) of image `img` (zero outside),
// A = [[1, 0], [1, 1], [1, -1], [0, -1]]. Z[p] lands at out + p * pstride + k.
SEGKIT_AVX2 inline void gradient_transform(const float* img, int OH, int OW, int K, int oh0, int ow0, float* out, size_t pstride) {
  const bool in[2][2] = {{true, ow0 + 1 < OW}, {oh0 + 1 < OH, oh0 + 1 < OH && ow0 + 1 < OW}};
  const float* base = img + (size_t(oh0) * OW + ow0) * K;
  const size_t row = size_t(OW) * K;
  for (int k = 0; k < K; k += 8) {
    __m256 e[2][2];
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++)
#pragma GCC unroll 2
      for (int s = 0; s < 2; s++) e[r][s] = in[r][s] ? _mm256_loadu_ps(base + r * row + s * K + k) : _mm256_setzero_ps();
    __m256 q[4][2];
#pragma GCC unroll 2
    for (int s = 0; s < 2; s++) {
      q[0][s] = e[0][s];
      q[1][s] = _mm256_add_ps(e[0][s], e[1][s]);
      q[2][s] = _mm256_sub_ps(e[0][s], e[1][s]);
      q[3][s] = _mm256_sub_ps(_mm256_setzero_ps(), e[1][s]);
    }
#pragma GCC unroll 4
    for (int a = 0; a < 4; a++) {
      float* o = out + size_t(a) * 4 * pstride + k;
      _mm256_storeu_ps(o, q[a][0]);
      _mm256_storeu_ps(o + pstride, _mm256_add_ps(q[a][0], q[a][1]));
      _mm256_storeu_ps(o + 2 * pstride, _mm256_sub_ps(q[a][0], q[a][1]));
      _mm256_storeu_ps(o + 3 * pstride, _mm256_sub_ps(_mm256_setzero_ps(), q[a][1]));
    }
  }
}

// Y = A^T M A (+ bias, relu) for one tile's 16 products at m + p * pstride, written to the 2x2
// outputs at (oh0, ow0) of image `img` that lie inside it; A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].
SEGKIT_AVX2 inline void output_transform(const float* m, size_t pstride, int K, const float* bias, bool relu, float* img, int OH, int OW, int oh0, int ow0) {
  const int rows = std::min(2, OH - oh0), cols = std::min(2, OW - ow0);
  float* base = img + (size_t(oh0) * OW + ow0) * K;
  const size_t row = size_t(OW) * K;
  for (int k = 0; k < K; k += 8) {
    __m256 s[2][4];
#pragma GCC unroll 4
    for (int b = 0; b < 4; b++) {
      const __m256 m0 = _mm256_loadu_ps(m + size_t(b) * pstride + k), m1 = _mm256_loadu_ps(m + size_t(4 + b) * pstride + k);
      const __m256 m2 = _mm256_loadu_ps(m + size_t(8 + b) * pstride + k), m3 = _mm256_loadu_ps(m + size_t(12 + b) * pstride + k);
      s[0][b] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
      s[1][b] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    const __m256 b = bias ? _mm256_loadu_ps(bias + k) : _mm256_setzero_ps();
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++) {
      if (r >= rows) break;
      const __m256 y[2] = {_mm256_add_ps(_mm256_add_ps(s[r][0], s[r][1]), s[r][2]), _mm256_sub_ps(_mm256_sub_ps(s[r][1], s[r][2]), s[r][3])};
#pragma GCC unroll 2
      for (int c = 0; c < 2; c++) {
        if (c >= cols) break;
        __m256 v = bias ? _mm256_add_ps(y[c], b) : y[c];
        if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
        _mm256_storeu_ps(base + r * row + c * K + k, v);
      }
    }
  }
}

// The register-blocked kernel of both products: for R rows r and NV * 8 columns,
//   out[r, :] (+)= sum_{i < n} A[r * a_row + i * a_step] * B[i * b_step + :],
// summed over i in order, from zero or (kAccumulate) from out's values; out rows out_row apart.
template <int R, int NV, bool kAccumulate>
SEGKIT_AVX2 inline void fma_block(const float* A, size_t a_row, size_t a_step, const float* B, size_t b_step, int n, float* out, size_t out_row) {
  __m256 acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) acc[r][v] = kAccumulate ? _mm256_loadu_ps(out + r * out_row + v * 8) : _mm256_setzero_ps();
  for (int i = 0; i < n; i++) {
    __m256 b[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) b[v] = _mm256_loadu_ps(B + i * b_step + v * 8);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const __m256 a = _mm256_broadcast_ss(A + r * a_row + i * a_step);
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) _mm256_storeu_ps(out + r * out_row + v * 8, acc[r][v]);
}

// M[r, :] = sum_c V[r, c] U[c, :] for R tile rows and NV * 8 output channels, summed over c in
// order. V rows are C apart, U is a packed panel (C x NV*8), M rows K apart.
template <int R, int NV>
SEGKIT_AVX2 inline void product_rows(const float* V, int C, const float* U, float* M, int K) {
  fma_block<R, NV, false>(V, C, 1, U, NV * 8, C, M, K);
}

template <int NV>
SEGKIT_AVX2 void product_panel(const float* V, int rows, int C, const float* U, float* M, int K) {
  constexpr int kRows = NV == 2 ? 6 : 12;
  int r = 0;
  for (; r + kRows <= rows; r += kRows) product_rows<kRows, NV>(V + size_t(r) * C, C, U, M + size_t(r) * K, K);
  const int left = rows - r;
  V += size_t(r) * C;
  M += size_t(r) * K;
  switch (left) {
    case 0: break;
    case 1: product_rows<1, NV>(V, C, U, M, K); break;
    case 2: product_rows<2, NV>(V, C, U, M, K); break;
    case 3: product_rows<3, NV>(V, C, U, M, K); break;
    case 4: product_rows<4, NV>(V, C, U, M, K); break;
    case 5: product_rows<5, NV>(V, C, U, M, K); break;
    case 6: product_rows<6, NV>(V, C, U, M, K); break;
    case 7: product_rows<7, NV>(V, C, U, M, K); break;
    case 8: product_rows<8, NV>(V, C, U, M, K); break;
    case 9: product_rows<9, NV>(V, C, U, M, K); break;
    case 10: product_rows<10, NV>(V, C, U, M, K); break;
    default: product_rows<11, NV>(V, C, U, M, K); break;
  }
}

// out[N, OH, OW, K] = act(bias + sum_{i,j,c} in[n, oh + i - pt, ow + j - pl, c] * g[i, j, c, k]),
// g given in Winograd's domain (U, packed). Parallel over blocks of tiles, each on one thread.
SEGKIT_AVX2 void forward_tiles(int N, int H, int W, int C, int OH, int OW, int K, int pt, int pl, const float* in, const float* U, const float* bias, bool relu,
                   float* out) {
  const TileGrid grid{(OH + 1) / 2, (OW + 1) / 2};
  const long tiles = long(N) * grid.TH * grid.TW;
  const int TB = tiles_per_block(C, K);
  const long blocks = (tiles + TB - 1) / TB;
  const int nthreads = static_cast<int>(std::max(1L, std::min<long>(threads(), blocks)));
  const size_t vstride = plane_stride(TB, C), mstride = plane_stride(TB, K), vsize = 16 * vstride, msize = 16 * mstride;
  reserve_blocks(nthreads, vsize + msize);
  const size_t in_image = size_t(H) * W * C, out_image = size_t(OH) * OW * K;
#pragma omp parallel for schedule(static) num_threads(nthreads)
  for (long blk = 0; blk < blocks; blk++) {
    float* V = g_blocks[thread_index()].reserve_floats(0);
    float* M = V + vsize;
    const long t0 = blk * TB;
    const int rows = static_cast<int>(std::min<long>(TB, tiles - t0));
    TileCursor in_tile(grid, t0);
    for (int r = 0; r < rows; r++, in_tile.next()) {
      input_transform(in + in_tile.n * in_image, H, W, C, in_tile.oh - pt, in_tile.ow - pl, V + size_t(r) * C, vstride);
    }
    for (int p = 0; p < 16; p++) {
      const float* Vp = V + p * vstride;
      float* Mp = M + p * mstride;
      const float* Up = U + size_t(p) * C * K;
      int k = 0;
      for (; k + 16 <= K; k += 16) product_panel<2>(Vp, rows, C, Up + size_t(k) * C, Mp + k, K);
      if (k < K) product_panel<1>(Vp, rows, C, Up + size_t(k) * C, Mp + k, K);
    }
    TileCursor out_tile(grid, t0);
    for (int r = 0; r < rows; r++, out_tile.next()) {
      output_transform(M + size_t(r) * K, mstride, K, bias, relu, out + out_tile.n * out_image, OH, OW, out_tile.oh, out_tile.ow);
    }
  }
}

// S[c, :] += sum_t V[t, c] Z[t, :] for R input channels and NV * 8 output channels, summed over
// the block's tiles in order. V rows are C apart, Z rows K apart, S rows K apart.
template <int R, int NV>
SEGKIT_AVX2 inline void gradient_rows(const float* V, int C, const float* Z, int K, int tiles, float* S) {
  fma_block<R, NV, true>(V, 1, C, Z, K, tiles, S, K);
}

template <int NV>
SEGKIT_AVX2 void gradient_panel(const float* V, int C, const float* Z, int K, int tiles, float* S) {
  int c = 0;
  for (; c + 6 <= C; c += 6) gradient_rows<6, NV>(V + c, C, Z, K, tiles, S + size_t(c) * K);
  switch (C - c) {  // C is a multiple of 8: 0, 2 or 4 left
    case 2: gradient_rows<2, NV>(V + c, C, Z, K, tiles, S + size_t(c) * K); break;
    case 4: gradient_rows<4, NV>(V + c, C, Z, K, tiles, S + size_t(c) * K); break;
    default: break;
  }
}

// S[p, c, k] = sum over the tiles of images [n0, n1) of V[p, t, c] * Z[p, t, k], V the input
// patches' transforms and Z the output-gradient patches'. Tiles in order, one thread.
SEGKIT_AVX2 void gradient_chunk(const ConvGeom& g, const float* x, const float* dy, int n0, int n1, float* S, float* block) {
  const int C = g.C, K = g.CO;
  const TileGrid grid{(g.OH + 1) / 2, (g.OW + 1) / 2};
  const int TB = gradient_tiles_per_block(C, K);
  float* V = block;
  const size_t vstride = plane_stride(TB, C), zstride = plane_stride(TB, K);
  float* Z = block + 16 * vstride;
  std::fill(S, S + size_t(16) * C * K, 0.f);
  const size_t in_image = size_t(g.H) * g.W * C, out_image = size_t(g.OH) * g.OW * K;
  const long first = long(n0) * grid.TH * grid.TW, last = long(n1) * grid.TH * grid.TW;
  for (long t0 = first; t0 < last; t0 += TB) {
    const int rows = static_cast<int>(std::min<long>(TB, last - t0));
    TileCursor tile(grid, t0);
    for (int r = 0; r < rows; r++, tile.next()) {
      input_transform(x + tile.n * in_image, g.H, g.W, C, tile.oh - g.pt, tile.ow - g.pl, V + size_t(r) * C, vstride);
      gradient_transform(dy + tile.n * out_image, g.OH, g.OW, K, tile.oh, tile.ow, Z + size_t(r) * K, zstride);
    }
    for (int p = 0; p < 16; p++) {
      const float* Vp = V + p * vstride;
      const float* Zp = Z + p * zstride;
      float* Sp = S + size_t(p) * C * K;
      int k = 0;
      for (; k + 16 <= K; k += 16) gradient_panel<2>(Vp, C, Zp + k, K, rows, Sp + k);
      if (k < K) gradient_panel<1>(Vp, C, Zp + k, K, rows, Sp + k);
    }
  }
}

#endif  // SEGKIT_WINO

}  // namespace

bool wino_cpu() {
#if SEGKIT_WINO
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
#else
  return false;
#endif
}

bool wino_shape(const ConvGeom& g) {
  const bool pads = g.pt >= 0 && g.pt <= 2 && g.pl >= 0 && g.pl <= 2 && g.pb >= 0 && g.pb <= 2 && g.pr >= 0 && g.pr <= 2;
  return g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.C % 8 == 0 && g.CO % 8 == 0 && pads &&
         g.OH == g.H + g.pt + g.pb - 2 && g.OW == g.W + g.pl + g.pr - 2;
}

#if SEGKIT_WINO

void wino_forward(const ConvGeom& g, int act, const float* x, const float* w, const float* bias, float* y) {
  if (!wino_shape(g) || (act != activation::kLinear && act != activation::kRelu)) throw std::invalid_argument("wino_forward: unsupported geometry");
  g_calls++;
  const int C = g.C, K = g.CO;
  float* U = g_filter.reserve_floats(size_t(16) * C * K);
  transform_filter(C, K, w, U);
  forward_tiles(g.B, g.H, g.W, C, g.OH, g.OW, K, g.pt, g.pl, x, U, bias, act == activation::kRelu, y);
}

void wino_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  if (!wino_shape(g)) throw std::invalid_argument("wino_backward_data: unsupported geometry");
  // dx[n, h, w, c] = sum_{i,j,k} dy[n, h + pt - i, w + pl - j, k] w[i, j, c, k]: a convolution of dy
  // padded by 2 - pt, 2 - pl with g'[i, j, k, c] = w[2 - i, 2 - j, c, k].
  g_calls++;
  const int C = g.C, K = g.CO;
  float* flipped = g_flipped.reserve_floats(size_t(9) * C * K);
  flip_filter(C, K, w, flipped);
  float* U = g_filter.reserve_floats(size_t(16) * C * K);
  transform_filter(K, C, flipped, U);
  forward_tiles(g.B, g.OH, g.OW, K, g.H, g.W, C, 2 - g.pt, 2 - g.pl, dy, U, nullptr, false, dx);
}

void wino_backward_weights(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  if (!wino_shape(g)) throw std::invalid_argument("wino_backward_weights: unsupported geometry");
  g_calls++;
  const int C = g.C, K = g.CO;
  const int chunks = gradient_chunks(g);
  const int nthreads = std::max(1, std::min(threads(), chunks));
  const int TB = gradient_tiles_per_block(C, K);
  reserve_blocks(nthreads, 16 * (plane_stride(TB, C) + plane_stride(TB, K)));
  const size_t s_size = size_t(16) * C * K;
  std::vector<float*> S(chunks);
  for (int k = 0; k < chunks; k++) S[k] = g_chunks[k].reserve_floats(s_size);
#pragma omp parallel for schedule(static) num_threads(nthreads)
  for (int k = 0; k < chunks; k++) {
    const int n0 = int(long(g.B) * k / chunks), n1 = int(long(g.B) * (k + 1) / chunks);
    gradient_chunk(g, x, dy, n0, n1, S[k], g_blocks[thread_index()].reserve_floats(0));
  }
  // S = ((S0 + S1) + S2) + ... (into S0, element by element), then dw = G^T S G per (c, k),
  // G^T = [[1, 1/2, 1/2, 0], [0, 1/2, -1/2, 0], [0, 1/2, 1/2, 1]].
  const size_t ck = size_t(C) * K;
  if (chunks > 1) {
#pragma omp parallel for schedule(static) num_threads(threads()) if (s_size >= 16384)
    for (long i = 0; i < static_cast<long>(s_size); i++) {
      float v = S[0][i];
      for (int k = 1; k < chunks; k++) v += S[k][i];
      S[0][i] = v;
    }
  }
#pragma omp parallel for schedule(static) num_threads(threads()) if (ck >= 4096)
  for (long e = 0; e < static_cast<long>(ck); e++) {
    float s[4][4], t[3][4];
    for (int p = 0; p < 16; p++) s[p / 4][p % 4] = S[0][p * ck + e];
    for (int b = 0; b < 4; b++) {
      t[0][b] = s[0][b] + 0.5f * (s[1][b] + s[2][b]);
      t[1][b] = 0.5f * (s[1][b] - s[2][b]);
      t[2][b] = 0.5f * (s[1][b] + s[2][b]) + s[3][b];
    }
    for (int i = 0; i < 3; i++) {
      dw[(size_t(i) * 3 + 0) * ck + e] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
      dw[(size_t(i) * 3 + 1) * ck + e] = 0.5f * (t[i][1] - t[i][2]);
      dw[(size_t(i) * 3 + 2) * ck + e] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
    }
  }
}

#else

void wino_forward(const ConvGeom&, int, const float*, const float*, const float*, float*) { throw std::logic_error("wino_forward: not an x86-64 build"); }
void wino_backward_data(const ConvGeom&, const float*, const float*, float*) { throw std::logic_error("wino_backward_data: not an x86-64 build"); }
void wino_backward_weights(const ConvGeom&, const float*, const float*, float*) { throw std::logic_error("wino_backward_weights: not an x86-64 build"); }

#endif

size_t wino_scratch_bytes() {
  size_t n = g_filter.size() + g_flipped.size();
  for (const Arena& b : g_blocks) n += b.size();
  for (const Arena& b : g_chunks) n += b.size();
  return n;
}

size_t wino_calls() { return g_calls; }

void wino_release() {
  g_calls = 0;
  g_filter.release();
  g_flipped.release();
  g_blocks.clear();
  for (Arena& b : g_chunks) b.release();
}

}  // namespace tgs
