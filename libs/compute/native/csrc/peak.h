// What this CPU can do right now, for the benches' share-of-peak figures (never used by a kernel).
#pragma once

namespace tgs {

// GFLOP/s of `threads` threads each running independent chains of single-precision vector FMAs
// (register-only, 2 flops per lane) for about `seconds`: the widest FMA the CPU has (AVX-512F or
// AVX2+FMA). 0 where there is no vector FMA to measure (not x86-64, or a CPU without FMA).
double fma_peak_gflops(int threads, double seconds);

// GFLOP/s of oneDNN's sgemm on n x n by n x n at `threads` threads, repeated for about `seconds`:
// what a large, well-blocked product reaches on this machine (2 n^3 flops per call).
double sgemm_gflops(int threads, int n, double seconds);

}  // namespace tgs
