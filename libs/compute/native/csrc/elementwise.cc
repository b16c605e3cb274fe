#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

namespace tgs {
namespace {

// Threads pay off only above this many elements (about 64 KiB of floats).
constexpr size_t kParallelMin = 1 << 14;

template <typename F>
inline float apply(F f, float x, float y) { return f(x, y); }

// Relu as tfjs's kernel: x for x > 0, NaN for NaN, 0 otherwise (also for -0). Written as one
// select (!(x <= 0) holds for x > 0 and for NaN) so that GCC vectorises the loops using it.
inline float relu_value(float x) { return !(x <= 0.f) ? x : 0.f; }

// step(x) of Relu's gradient: 1 for x > 0, NaN for NaN, 0 otherwise. The same for Relu's output as
// for its input (relu(x) > 0 exactly when x > 0, NaN stays NaN). Two plain selects: vectorised.
inline float relu_step(float x) {
  const float s = x > 0.f ? 1.f : 0.f;
  return x != x ? x : s;
}

template <typename F>
void binary_impl(F f, const float* a, int am, const float* b, int bm, float* out, size_t n, size_t c) {
  const long rows = static_cast<long>(n / c);
  const long cc = static_cast<long>(c);
  if (am == broadcast::kFull && bm == broadcast::kFull) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (long i = 0; i < static_cast<long>(n); i++) out[i] = f(a[i], b[i]);
  } else if (am == broadcast::kFull && bm == broadcast::kScalar) {
    const float s = b[0];
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (long i = 0; i < static_cast<long>(n); i++) out[i] = f(a[i], s);
  } else if (am == broadcast::kScalar && bm == broadcast::kFull) {
    const float s = a[0];
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (long i = 0; i < static_cast<long>(n); i++) out[i] = f(s, b[i]);
  } else {
    // At least one operand is per-channel; the other is full, per-channel or scalar.
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (long r = 0; r < rows; r++) {
      const float* ar = am == broadcast::kFull ? a + r * cc : a;
      const float* br = bm == broadcast::kFull ? b + r * cc : b;
      float* o = out + r * cc;
      if (am == broadcast::kScalar) {
        for (long j = 0; j < cc; j++) o[j] = f(a[0], br[j]);
      } else if (bm == broadcast::kScalar) {
        for (long j = 0; j < cc; j++) o[j] = f(ar[j], b[0]);
      } else {
        for (long j = 0; j < cc; j++) o[j] = f(ar[j], br[j]);
      }
    }
  }
}

// Channel counts with their own compiled loops for the per-channel sums: the loops then have a
// constant trip count, unroll, and keep their accumulators in registers (with a count known only
// at run time the accumulators live in memory and each short row loop pays a trip-count and alias
// check). Measured: the channel sums 1.2-1.6x as fast, batch norm in training 1.1-1.2x in the step.
// Only the sums: the element-wise passes (normalise, dx) loop over the run-time count, as loops
// compiled for 8 or 16 channels took 1.3-6x as long there (inside Node more than standalone).
template <typename F>
void with_channels(size_t c, F f) {
  switch (c) {
    case 8: return f(std::integral_constant<size_t, 8>{});
    case 16: return f(std::integral_constant<size_t, 16>{});
    case 32: return f(std::integral_constant<size_t, 32>{});
    case 64: return f(std::integral_constant<size_t, 64>{});
    case 128: return f(std::integral_constant<size_t, 128>{});
    case 256: return f(std::integral_constant<size_t, 256>{});
    case 512: return f(std::integral_constant<size_t, 512>{});
    default: return f(c);
  }
}

// One float per channel (zeros), local to the loop that uses it, so that stores through other
// pointers cannot alias it: an array for a constant channel count, a vector for one known at run time.
template <typename C>
struct PerChannel {
  explicit PerChannel(size_t) { std::fill(v, v + C::value, 0.f); }
  float* data() { return v; }
  const float* data() const { return v; }
  alignas(64) float v[C::value];
};
template <>
struct PerChannel<size_t> {
  explicit PerChannel(size_t c) : v(c, 0.f) {}
  float* data() { return v.data(); }
  const float* data() const { return v.data(); }
  std::vector<float> v;
};

// A per-channel array copied into a PerChannel.
template <typename C>
PerChannel<C> local_copy(C c, const float* src) {
  PerChannel<C> out(c);
  std::copy(src, src + static_cast<size_t>(c), out.data());
  return out;
}

// Per-channel sums of f(row, acc) over the rows of [rows, c] (f adds row's terms to each of its
// accumulator rows acc[0..K)), in a fixed number of row blocks added in block order (in double),
// so the result does not depend on the thread count. Each block sums into local accumulators from
// 0, row by row: the same float additions in the same order whatever C is.
template <size_t K, typename C, typename F>
void channel_sums(size_t rows, C c, bool parallel, double* const (&out)[K], F f) {
  static_assert(K == 1 || K == 2, "one or two sets of sums");
  const size_t cs = c;
  const long blocks = static_cast<long>(std::min<size_t>(rows, 64));
  std::vector<float> partial(K * static_cast<size_t>(blocks) * cs, 0.f);
#pragma omp parallel for schedule(static) if (parallel)
  for (long k = 0; k < blocks; k++) {
    const size_t r0 = rows * k / blocks, r1 = rows * (k + 1) / blocks;
    PerChannel<C> acc0(cs), acc1(K > 1 ? cs : 0);
    float* const acc[2] = {acc0.data(), acc1.data()};
    for (size_t r = r0; r < r1; r++) f(r, acc);
    for (size_t i = 0; i < K; i++) std::copy(acc[i], acc[i] + cs, partial.data() + (i * blocks + k) * cs);
  }
  for (size_t i = 0; i < K; i++)
    for (size_t j = 0; j < cs; j++) {
      double s = 0;
      for (long k = 0; k < blocks; k++) s += partial[(i * blocks + k) * cs + j];
      out[i][j] = s;
    }
}
}  // namespace

void binary(int op, const float* a, int am, const float* b, int bm, float* out, size_t n, size_t c) {
  switch (op) {
    case binary_op::kAdd: return binary_impl([](float x, float y) { return x + y; }, a, am, b, bm, out, n, c);
    case binary_op::kSub: return binary_impl([](float x, float y) { return x - y; }, a, am, b, bm, out, n, c);
    case binary_op::kMul: return binary_impl([](float x, float y) { return x * y; }, a, am, b, bm, out, n, c);
    case binary_op::kDiv: return binary_impl([](float x, float y) { return x / y; }, a, am, b, bm, out, n, c);
    case binary_op::kSquaredDifference: return binary_impl([](float x, float y) { return (x - y) * (x - y); }, a, am, b, bm, out, n, c);
    // NaN propagates as in tfjs (std::max would drop it).
    case binary_op::kMaximum: return binary_impl([](float x, float y) { return (x != x || y != y) ? x + y : (x > y ? x : y); }, a, am, b, bm, out, n, c);
    case binary_op::kMinimum: return binary_impl([](float x, float y) { return (x != x || y != y) ? x + y : (x < y ? x : y); }, a, am, b, bm, out, n, c);
  }
}

void reduce_rows(const float* x, float* y, size_t rows, size_t cols, float scale) {
  std::vector<double> sums(cols);
  double* const out[1] = {sums.data()};
  with_channels(cols, [&](auto C) {
    channel_sums(rows, C, rows * cols >= kParallelMin, out, [&](size_t r, float* const* acc) {
      const float* xr = x + r * C;
      for (size_t j = 0; j < C; j++) acc[0][j] += xr[j];
    });
  });
  for (size_t j = 0; j < cols; j++) y[j] = static_cast<float>(sums[j]) * scale;
}

void reduce_cols(const float* x, float* y, size_t rows, size_t cols, float scale) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (long r = 0; r < static_cast<long>(rows); r++) {
    const float* xr = x + r * cols;
    // Eight interleaved partial sums vectorise and keep rounding error low on long rows.
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= cols; j += 8)
      for (int t = 0; t < 8; t++) acc[t] += xr[j + t];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < cols; j++) s += xr[j];
    y[r] = s * scale;
  }
}

namespace {
// Batch norm as one multiply-add per element, y = x * mul[ch] + add[ch], with
//   mul = (var + eps)^-1/2 * gamma,  add = beta - mean * mul
// (gamma 1 and beta 0 where nullptr). batch_norm and batch_norm_train_grad both take these
// constants from here, so the gradient's recomputed y has the forward pass's exact bits.
void normalisation(const float* mean, const float* var, const float* gamma, const float* beta, float eps, size_t c, float* mul, float* add) {
  for (size_t j = 0; j < c; j++) {
    const float s = 1.f / std::sqrt(var[j] + eps) * (gamma ? gamma[j] : 1.f);
    mul[j] = s;
    add[j] = (beta ? beta[j] : 0.f) - mean[j] * s;
  }
}
}  // namespace

void batch_norm(const float* x, const float* mean, const float* var, const float* gamma, const float* beta, float eps, float* y, size_t n, size_t c, bool relu) {
  std::vector<float> mul(c), add(c);
  normalisation(mean, var, gamma, beta, eps, c, mul.data(), add.data());
  const long rows = static_cast<long>(n / c);
  const float* m = mul.data();
  const float* a = add.data();
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (long r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    if (relu) {
      for (size_t j = 0; j < c; j++) yr[j] = relu_value(xr[j] * m[j] + a[j]);
    } else {
      for (size_t j = 0; j < c; j++) yr[j] = xr[j] * m[j] + a[j];
    }
  }
}

void concat_rows(const float* const* parts, const size_t* inners, size_t n_parts, size_t outer, float* out) {
  size_t row = 0;
  for (size_t i = 0; i < n_parts; i++) row += inners[i];
#pragma omp parallel for schedule(static) if (outer * row >= kParallelMin)
  for (long r = 0; r < static_cast<long>(outer); r++) {
    float* o = out + r * row;
    for (size_t i = 0; i < n_parts; i++) {
      std::memcpy(o, parts[i] + r * inners[i], inners[i] * sizeof(float));
      o += inners[i];
    }
  }
}

void split_rows(const float* src, size_t outer, float* const* parts, const size_t* inners, size_t n_parts) {
  size_t row = 0;
  for (size_t i = 0; i < n_parts; i++) row += inners[i];
#pragma omp parallel for schedule(static) if (outer * row >= kParallelMin)
  for (long r = 0; r < static_cast<long>(outer); r++) {
    const float* s = src + r * row;
    for (size_t i = 0; i < n_parts; i++) {
      std::memcpy(parts[i] + r * inners[i], s, inners[i] * sizeof(float));
      s += inners[i];
    }
  }
}

void batch_norm_grad(const float* x, const float* dy, const float* mean, const float* var, const float* gamma, float eps,
                     float* dx, float* dmean, float* dvar, float* dgamma, float* dbeta, size_t n, size_t c) {
  const size_t rows = n / c;
  const long blocks = static_cast<long>(std::min<size_t>(rows, 64));
  std::vector<float> sdy(static_cast<size_t>(blocks) * c, 0.f), sdyxm(static_cast<size_t>(blocks) * c, 0.f);
  std::vector<float> mul(c);
  for (size_t j = 0; j < c; j++) mul[j] = 1.f / std::sqrt(var[j] + eps) * (gamma ? gamma[j] : 1.f);
  const float* m = mul.data();
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (long k = 0; k < blocks; k++) {
    const size_t r0 = rows * k / blocks, r1 = rows * (k + 1) / blocks;
    float* a = sdy.data() + k * c;
    float* b = sdyxm.data() + k * c;
    for (size_t r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      const float* dr = dy + r * c;
      float* o = dx + r * c;
      for (size_t j = 0; j < c; j++) {
        a[j] += dr[j];
        b[j] += dr[j] * (xr[j] - mean[j]);
        o[j] = dr[j] * m[j];
      }
    }
  }
  for (size_t j = 0; j < c; j++) {
    double s1 = 0, s2 = 0;
    for (long k = 0; k < blocks; k++) {
      s1 += sdy[k * c + j];
      s2 += sdyxm[k * c + j];
    }
    const double s = 1.0 / std::sqrt(static_cast<double>(var[j]) + eps);
    const double g = gamma ? gamma[j] : 1.0;
    dbeta[j] = static_cast<float>(s1);
    dmean[j] = static_cast<float>(-s * g * s1);
    dvar[j] = static_cast<float>(-0.5 * g * s * s * s * s2);
    if (dgamma) dgamma[j] = static_cast<float>(s * s2);
  }
}


void batch_norm_train(const float* x, const float* gamma, const float* beta, float eps, float* y, float* mean, float* var, size_t n, size_t c, bool relu) {
  const size_t rows = n / c;
  const bool par = n >= kParallelMin;
  std::vector<double> sums(c);
  double* const out[1] = {sums.data()};
  with_channels(c, [&](auto C) {
    channel_sums(rows, C, par, out, [&](size_t r, float* const* acc) {
      const float* xr = x + r * C;
      for (size_t j = 0; j < C; j++) acc[0][j] += xr[j];
    });
    for (size_t j = 0; j < c; j++) mean[j] = static_cast<float>(sums[j] / static_cast<double>(rows));
    const PerChannel<decltype(C)> local_mean = local_copy(C, mean);
    const float* mu = local_mean.data();
    channel_sums(rows, C, par, out, [&](size_t r, float* const* acc) {
      const float* xr = x + r * C;
      for (size_t j = 0; j < C; j++) {
        const float d = xr[j] - mu[j];
        acc[0][j] += d * d;
      }
    });
  });
  for (size_t j = 0; j < c; j++) var[j] = static_cast<float>(sums[j] / static_cast<double>(rows));
  batch_norm(x, mean, var, gamma, beta, eps, y, n, c, relu);
}

void batch_norm_train_grad(const float* x, const float* dy, const float* mean, const float* var, const float* gamma, const float* beta, bool relu, float eps,
                           float* dx, float* dgamma, float* dbeta, size_t n, size_t c) {
  const size_t rows = n / c;
  const bool par = n >= kParallelMin;
  std::vector<double> sdy(c), sdyxm(c);
  double* const out[2] = {sdy.data(), sdyxm.data()};
  // With relu, step(y) of the forward output y = relu(x * mul + add) is step(x * mul + add)
  // (relu keeps the sign and NaN), recomputed from x instead of read from y: one stream fewer
  // in each pass, the same bits.
  std::vector<float> mul(c), add(c);
  normalisation(mean, var, gamma, beta, eps, c, mul.data(), add.data());
  with_channels(c, [&](auto C) {
    using Local = PerChannel<decltype(C)>;
    const Local lmean = local_copy(C, mean), lmul = local_copy(C, mul.data()), ladd = local_copy(C, add.data());
    const float* mu = lmean.data();
    const float* m = lmul.data();
    const float* a = ladd.data();
    if (relu) {
      channel_sums(rows, C, par, out, [&](size_t r, float* const* acc) {
        const float* xr = x + r * C;
        const float* dr = dy + r * C;
        for (size_t j = 0; j < C; j++) {
          const float d = dr[j] * relu_step(xr[j] * m[j] + a[j]);
          acc[0][j] += d;
          acc[1][j] += d * (xr[j] - mu[j]);
        }
      });
    } else {
      channel_sums(rows, C, par, out, [&](size_t r, float* const* acc) {
        const float* xr = x + r * C;
        const float* dr = dy + r * C;
        for (size_t j = 0; j < C; j++) {
          acc[0][j] += dr[j];
          acc[1][j] += dr[j] * (xr[j] - mu[j]);
        }
      });
    }
  });
  // dx = k1 * dy + k2 * (x - mean) + k3 per channel:
  //   k1 = g s, k2 = -g s^3 sum(dy (x - mean)) / N, k3 = -g s sum(dy) / N
  std::vector<float> k1(c), k2(c), k3(c);
  const double count = static_cast<double>(rows);
  for (size_t j = 0; j < c; j++) {
    const double s = 1.0 / std::sqrt(static_cast<double>(var[j]) + eps);
    const double g = gamma ? gamma[j] : 1.0;
    k1[j] = static_cast<float>(g * s);
    k2[j] = static_cast<float>(-g * s * s * s * sdyxm[j] / count);
    k3[j] = static_cast<float>(-g * s * sdy[j] / count);
    if (dbeta) dbeta[j] = static_cast<float>(sdy[j]);
    if (dgamma) dgamma[j] = static_cast<float>(s * sdyxm[j]);
  }
  const float *p1 = k1.data(), *p2 = k2.data(), *p3 = k3.data(), *m = mul.data(), *a = add.data();
#pragma omp parallel for schedule(static) if (par)
  for (long r = 0; r < static_cast<long>(rows); r++) {
    const float* xr = x + r * c;
    const float* dr = dy + r * c;
    float* o = dx + r * c;
    if (relu) {
      for (size_t j = 0; j < c; j++) o[j] = p1[j] * (dr[j] * relu_step(xr[j] * m[j] + a[j])) + p2[j] * (xr[j] - mean[j]) + p3[j];
    } else {
      for (size_t j = 0; j < c; j++) o[j] = p1[j] * dr[j] + p2[j] * (xr[j] - mean[j]) + p3[j];
    }
  }
}

void unary(int op, const float* x, float* y, size_t n) {
  const long len = static_cast<long>(n);
  switch (op) {
    case unary_op::kSquare:
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (long i = 0; i < len; i++) y[i] = x[i] * x[i];
      return;
    case unary_op::kRelu:
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (long i = 0; i < len; i++) y[i] = relu_value(x[i]);
      return;
    case unary_op::kNeg:
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (long i = 0; i < len; i++) y[i] = -x[i];
      return;
  }
}

void relu_grad(const float* dy, const float* x, float* dx, size_t n) {
  const long len = static_cast<long>(n);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (long i = 0; i < len; i++) dx[i] = dy[i] * relu_step(x[i]);
}

bool gather(const float* x, const int* idx, size_t outer, size_t axis_dim, size_t inner, size_t m, float* out) {
  for (size_t i = 0; i < m; i++)
    if (idx[i] < 0 || static_cast<size_t>(idx[i]) >= axis_dim) return false;
  const long rows = static_cast<long>(outer * m);
#pragma omp parallel for schedule(static) if (outer * m * inner >= kParallelMin)
  for (long r = 0; r < rows; r++) {
    const size_t o = static_cast<size_t>(r) / m, i = static_cast<size_t>(r) % m;
    const float* src = x + (o * axis_dim + static_cast<size_t>(idx[i])) * inner;
    float* dst = out + static_cast<size_t>(r) * inner;
    if (inner == 1) *dst = *src;
    else std::memcpy(dst, src, inner * sizeof(float));
  }
  return true;
}

void repeat_block(const float* x, size_t block, size_t times, float* out) {
  const long t = static_cast<long>(times);
#pragma omp parallel for schedule(static) if (block * times >= kParallelMin)
  for (long r = 0; r < t; r++) std::memcpy(out + static_cast<size_t>(r) * block, x, block * sizeof(float));
}

namespace {
// One axis of a box copy: x's and y's extents, where the box starts in each, its extent, reversed.
struct BoxAxis {
  size_t xd, yd, begin, size, offset;
  bool rev;
};
}  // namespace

void box_copy(const uint32_t* x, const size_t* x_dims, const size_t* begin, const size_t* size, const uint8_t* reverse, uint32_t* y,
              const size_t* y_dims, const size_t* offset, size_t rank, uint32_t fill) {
  // Axes of extent 1 in both tensors carry nothing; a trailing axis copied whole (and not
  // reversed) merges into the one before it (when that one is not reversed either: reversing the
  // merged axis would reverse the inner order too), so rows are as long as they can be.
  std::vector<BoxAxis> ax;
  for (size_t a = 0; a < rank; a++) {
    if (x_dims[a] == 1 && y_dims[a] == 1) continue;
    ax.push_back({x_dims[a], y_dims[a], begin[a], size[a], offset[a], reverse[a] != 0});
  }
  if (ax.empty()) ax.push_back({1, 1, 0, 1, 0, false});
  while (ax.size() >= 2) {
    const BoxAxis l = ax.back();
    BoxAxis& p = ax[ax.size() - 2];
    if (l.begin != 0 || l.offset != 0 || l.size != l.xd || l.size != l.yd || l.rev || p.rev) break;
    p = {p.xd * l.xd, p.yd * l.yd, p.begin * l.xd, p.size * l.xd, p.offset * l.yd, false};
    ax.pop_back();
  }
  const size_t r = ax.size();
  std::vector<size_t> x_stride(r, 1);
  for (size_t a = r - 1; a-- > 0;) x_stride[a] = x_stride[a + 1] * ax[a + 1].xd;
  size_t rows = 1;
  for (size_t a = 0; a + 1 < r; a++) rows *= ax[a].yd;
  const BoxAxis last = ax.back();
  const BoxAxis* axes = ax.data();
  const size_t* xs = x_stride.data();
  const long n_rows = static_cast<long>(rows);
#pragma omp parallel for schedule(static) if (rows * last.yd >= kParallelMin)
  for (long row = 0; row < n_rows; row++) {
    uint32_t* yr = y + static_cast<size_t>(row) * last.yd;
    // The row's index on each outer axis (mixed radix over y's extents), and its source row in x.
    size_t rest = static_cast<size_t>(row), src = 0;
    bool inside = true;
    for (size_t a = r - 1; a-- > 0;) {
      const size_t i = rest % axes[a].yd;
      rest /= axes[a].yd;
      if (i < axes[a].offset || i >= axes[a].offset + axes[a].size) {
        inside = false;
        break;
      }
      const size_t q = i - axes[a].offset;
      src += (axes[a].begin + (axes[a].rev ? axes[a].size - 1 - q : q)) * xs[a];
    }
    if (!inside) {
      std::fill(yr, yr + last.yd, fill);
      continue;
    }
    std::fill(yr, yr + last.offset, fill);
    const uint32_t* xr = x + src + last.begin;
    uint32_t* dst = yr + last.offset;
    if (last.rev) {
      for (size_t j = 0; j < last.size; j++) dst[j] = xr[last.size - 1 - j];
    } else {
      std::memcpy(dst, xr, last.size * sizeof(uint32_t));
    }
    std::fill(dst + last.size, yr + last.yd, fill);
  }
}

bool top_k(const float* x, size_t rows, size_t n, size_t k, float* values, int32_t* indices) {
  for (size_t i = 0; i < rows * n; i++)
    if (!std::isfinite(x[i])) return false;
  const long n_rows = static_cast<long>(rows);
#pragma omp parallel for schedule(static) if (rows > 1 && rows * n >= kParallelMin)
  for (long r = 0; r < n_rows; r++) {
    const float* xr = x + static_cast<size_t>(r) * n;
    std::vector<std::pair<float, int32_t>> row(n);
    for (size_t i = 0; i < n; i++) row[i] = {xr[i], static_cast<int32_t>(i)};
    // A strict total order on (value, index): larger value first, then smaller index.
    const auto before = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    if (k < n) std::partial_sort(row.begin(), row.begin() + static_cast<long>(k), row.end(), before);
    else std::sort(row.begin(), row.end(), before);
    float* v = values + static_cast<size_t>(r) * k;
    int32_t* ix = indices + static_cast<size_t>(r) * k;
    for (size_t j = 0; j < k; j++) {
      v[j] = row[j].first;
      ix[j] = row[j].second;
    }
  }
  return true;
}

// fp-contract off: an FMA would round once where tfjs rounds twice, and the bits would differ.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
void adam(const float* w, const float* m, const float* v, const float* g, size_t n, const AdamConstants& k, float* w_out, float* m_out, float* v_out) {
  const long len = static_cast<long>(n);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (long i = 0; i < len; i++) {
    const float gi = g[i];
    const float m1 = m[i] * k.beta1 + gi * k.one_minus_beta1;
    const float gg = gi * gi;
    const float v1 = v[i] * k.beta2 + gg * k.one_minus_beta2;
    const float mh = m1 / k.one_minus_acc_beta1;
    const float vh = v1 / k.one_minus_acc_beta2;
    const float step = (mh / (std::sqrt(vh) + k.epsilon)) * k.neg_lr;
    w_out[i] = step + w[i];
    m_out[i] = m1;
    v_out[i] = v1;
  }
}
#pragma GCC pop_options

}  // namespace tgs
