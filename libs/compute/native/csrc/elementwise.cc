#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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

// Per-channel sums of f(row, channel) over the rows of [rows, c], in a fixed number of row blocks
// added in block order (in double), so the result does not depend on the thread count.
template <typename F>
void channel_sums(size_t rows, size_t c, bool parallel, double* out, F f) {
  const long blocks = static_cast<long>(std::min<size_t>(rows, 64));
  std::vector<float> partial(static_cast<size_t>(blocks) * c, 0.f);
#pragma omp parallel for schedule(static) if (parallel)
  for (long k = 0; k < blocks; k++) {
    const size_t r0 = rows * k / blocks, r1 = rows * (k + 1) / blocks;
    float* p = partial.data() + k * c;
    for (size_t r = r0; r < r1; r++) f(r, p);
  }
  for (size_t j = 0; j < c; j++) {
    double s = 0;
    for (long k = 0; k < blocks; k++) s += partial[k * c + j];
    out[j] = s;
  }
}

// Two sets of per-channel sums in one pass over the rows (f adds to both partial rows), each
// summed exactly as channel_sums sums it: the same bits as two separate passes.
template <typename F>
void channel_sums2(size_t rows, size_t c, bool parallel, double* out1, double* out2, F f) {
  const long blocks = static_cast<long>(std::min<size_t>(rows, 64));
  std::vector<float> p1(static_cast<size_t>(blocks) * c, 0.f), p2(static_cast<size_t>(blocks) * c, 0.f);
#pragma omp parallel for schedule(static) if (parallel)
  for (long k = 0; k < blocks; k++) {
    const size_t r0 = rows * k / blocks, r1 = rows * (k + 1) / blocks;
    float* a = p1.data() + k * c;
    float* b = p2.data() + k * c;
    for (size_t r = r0; r < r1; r++) f(r, a, b);
  }
  for (size_t j = 0; j < c; j++) {
    double s1 = 0, s2 = 0;
    for (long k = 0; k < blocks; k++) {
      s1 += p1[k * c + j];
      s2 += p2[k * c + j];
    }
    out1[j] = s1;
    out2[j] = s2;
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
  channel_sums(rows, cols, rows * cols >= kParallelMin, sums.data(), [&](size_t r, float* p) {
    const float* xr = x + r * cols;
    for (size_t j = 0; j < cols; j++) p[j] += xr[j];
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

void batch_norm(const float* x, const float* mean, const float* var, const float* gamma, const float* beta, float eps, float* y, size_t n, size_t c, bool relu) {
  std::vector<float> mul(c), add(c);
  for (size_t j = 0; j < c; j++) {
    const float s = 1.f / std::sqrt(var[j] + eps) * (gamma ? gamma[j] : 1.f);
    mul[j] = s;
    add[j] = (beta ? beta[j] : 0.f) - mean[j] * s;
  }
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
  channel_sums(rows, c, par, sums.data(), [&](size_t r, float* p) {
    const float* xr = x + r * c;
    for (size_t j = 0; j < c; j++) p[j] += xr[j];
  });
  for (size_t j = 0; j < c; j++) mean[j] = static_cast<float>(sums[j] / static_cast<double>(rows));
  channel_sums(rows, c, par, sums.data(), [&](size_t r, float* p) {
    const float* xr = x + r * c;
    for (size_t j = 0; j < c; j++) {
      const float d = xr[j] - mean[j];
      p[j] += d * d;
    }
  });
  for (size_t j = 0; j < c; j++) var[j] = static_cast<float>(sums[j] / static_cast<double>(rows));
  batch_norm(x, mean, var, gamma, beta, eps, y, n, c, relu);
}

void batch_norm_train_grad(const float* x, const float* dy, const float* y_relu, const float* mean, const float* var, const float* gamma, float eps,
                           float* dx, float* dgamma, float* dbeta, size_t n, size_t c) {
  const size_t rows = n / c;
  const bool par = n >= kParallelMin;
  std::vector<double> sdy(c), sdyxm(c);
  // dy behind a Relu on y: dy * step(y), as relu_grad computes it (the same floats, kept in registers).
  channel_sums2(rows, c, par, sdy.data(), sdyxm.data(), [&](size_t r, float* p, float* q) {
    const float* xr = x + r * c;
    const float* dr = dy + r * c;
    if (y_relu) {
      const float* yr = y_relu + r * c;
      for (size_t j = 0; j < c; j++) {
        const float d = dr[j] * relu_step(yr[j]);
        p[j] += d;
        q[j] += d * (xr[j] - mean[j]);
      }
    } else {
      for (size_t j = 0; j < c; j++) {
        p[j] += dr[j];
        q[j] += dr[j] * (xr[j] - mean[j]);
      }
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
  const float *a = k1.data(), *b = k2.data(), *d = k3.data();
#pragma omp parallel for schedule(static) if (par)
  for (long r = 0; r < static_cast<long>(rows); r++) {
    const float* xr = x + r * c;
    const float* dr = dy + r * c;
    float* o = dx + r * c;
    if (y_relu) {
      const float* yr = y_relu + r * c;
      for (size_t j = 0; j < c; j++) o[j] = a[j] * (dr[j] * relu_step(yr[j])) + b[j] * (xr[j] - mean[j]) + d[j];
    } else {
      for (size_t j = 0; j < c; j++) o[j] = a[j] * dr[j] + b[j] * (xr[j] - mean[j]) + d[j];
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
