#include "peak.h"

#include <oneapi/dnnl/dnnl.h>

#include <chrono>
#include <vector>

#include "threads.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SEGKIT_X86 1
#else
#define SEGKIT_X86 0
#endif

namespace tgs {
namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

constexpr int kChains = 12;  // independent accumulators: more than FMA latency x FMA units (4 x 2)
constexpr long kInner = 1 << 16;

#if SEGKIT_X86
// Flops of one call: kInner rounds x kChains FMAs x 8 lanes x 2.
__attribute__((target("avx2,fma"))) double fma256(float seed) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm256_set1_ps(seed * (c + 1));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < kInner; i++)
    for (int c = 0; c < kChains; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  __m256 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm256_add_ps(s, acc[c]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx512f"))) double fma512(float seed) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = _mm512_set1_ps(seed * (c + 1));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < kInner; i++)
    for (int c = 0; c < kChains; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  __m512 s = acc[0];
  for (int c = 1; c < kChains; c++) s = _mm512_add_ps(s, acc[c]);
  return _mm512_reduce_add_ps(s);
}

// GFLOP/s of `threads` threads calling f, each for about `seconds`.
double run_fma(int threads, double seconds, double (*f)(float), int lanes) {
  long calls_total = 0;
  double sink = 0;
  const double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : calls_total, sink)
  {
    long calls = 0;
    while (calls == 0 || now() - t0 < seconds) {
      sink += f(1e-3f * static_cast<float>(calls % 7));
      calls++;
    }
    calls_total += calls;
  }
  const double dt = now() - t0;
  volatile double keep = sink;  // the results are used, so the loops are not removed
  (void)keep;
  return static_cast<double>(calls_total) * kInner * kChains * lanes * 2 / dt / 1e9;
}
#endif

}  // namespace

double fma_peak_gflops(int threads, double seconds) {
#if SEGKIT_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    // Some CPUs run AVX-512 on 256-bit units (AMD Zen 4): the larger of the two is the peak.
    const double w512 = run_fma(threads, seconds / 2, fma512, 16);
    const double w256 = __builtin_cpu_supports("fma") ? run_fma(threads, seconds / 2, fma256, 8) : 0;
    return w512 > w256 ? w512 : w256;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return run_fma(threads, seconds, fma256, 8);
#else
  (void)threads;
  (void)seconds;
#endif
  return 0;
}

double sgemm_gflops(int threads, int n, double seconds) {
  const int before = tgs::threads();
  set_threads(threads);
  const size_t nn = static_cast<size_t>(n) * n;
  std::vector<float> a(nn, 0.5f), b(nn, 0.25f), c(nn, 0.f);
  // One untimed call: oneDNN picks and JIT-compiles its kernel on the first.
  dnnl_sgemm('N', 'N', n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
  long calls = 0;
  const double t0 = now();
  while (calls == 0 || now() - t0 < seconds) {
    dnnl_sgemm('N', 'N', n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
    calls++;
  }
  const double dt = now() - t0;
  set_threads(before);
  return static_cast<double>(calls) * 2.0 * n * n * n / dt / 1e9;
}

}  // namespace tgs
