/**
 * The CPU's single-precision peak that the benches measure their FLOPs against.
 *
 * Measured where the native addon is built: `threads` threads each running register-only chains
 * of the widest vector FMA the CPU has (AVX-512F or AVX2+FMA) for a second, on this machine, now
 * (clock boost, a shared host and thermal limits included), and, as what a large well-blocked
 * product reaches, oneDNN's sgemm on 1024³. A nominal figure cannot be trusted: counted as clock ×
 * flop/cycle it missed both the boost clock and CPUs with two 512-bit FMA units (a 2-core AMD EPYC
 * here measured 2.3 × the nominal 2.6 GHz × 32 flop/cycle).
 *
 * Without the addon, the nominal figure: clock × flops per cycle per core, 64 where the CPU has
 * AVX-512F (two 512-bit FMA units × 16 floats × 2 flops), 32 where it has FMA (two 256-bit
 * units), 8 without; `BENCH_FLOPS_PER_CYCLE` and
 * `BENCH_CPU_MHZ` override it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { nativeAddon } from '@segkit/native';

export function cpuMhz(): number {
  if (process.env.BENCH_CPU_MHZ) return Number(process.env.BENCH_CPU_MHZ);
  if (existsSync('/proc/cpuinfo')) {
    const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return Math.round(Number(m[1]));
  }
  const speeds = cpus().map((c) => c.speed).filter((s) => s > 0);
  return speeds.length ? Math.max(...speeds) : 0;
}

export function flopsPerCycle(): number {
  if (process.env.BENCH_FLOPS_PER_CYCLE) return Number(process.env.BENCH_FLOPS_PER_CYCLE);
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  // AVX-512: two 512-bit FMA units at most (16 floats × 2 flops × 2); CPUs with one reach half of
  // this, so the nominal figure errs high, the safe side for a share of peak.
  if (/\bavx512f\b/.test(info)) return 64;
  return /\bfma\b/.test(info) ? 32 : 8;
}

/**
 * The higher of two peak measurements, field by field: a shared host can slow one moment's
 * measurement, and a peak measured low would make every share of it look too good.
 */
export function higherPeak(a: CpuPeak, b: CpuPeak): CpuPeak {
  if (!a.measured || !b.measured) return a.measured ? a : b;
  const best = a.gflops >= b.gflops ? a : b;
  const sgemm = Math.max(a.sgemm ?? 0, b.sgemm ?? 0) || undefined;
  const cores = Math.round(a.gflops / a.perCore);
  return {
    ...best,
    sgemm,
    text: `measured before and after the run at ${cores} thread${cores === 1 ? '' : 's'}, the higher of each: vector FMAs ${best.gflops.toFixed(0)} GFLOP/s (${a.gflops.toFixed(0)} / ${b.gflops.toFixed(0)}), oneDNN sgemm 1024³ ${(sgemm ?? 0).toFixed(0)} GFLOP/s (${(a.sgemm ?? 0).toFixed(0)} / ${(b.sgemm ?? 0).toFixed(0)})`,
  };
}

export interface CpuPeak {
  /** GFLOP/s of `cores` cores: measured vector FMAs, or the nominal figure. */
  gflops: number;
  perCore: number;
  /** oneDNN sgemm 1024³ at `cores` threads, GFLOP/s, where measured. */
  sgemm?: number;
  measured: boolean;
  text: string;
}

/** The nominal peak of `cores` cores: clock × flops per cycle. */
export function nominalPeak(cores: number): CpuPeak {
  const mhz = cpuMhz();
  const perCycle = flopsPerCycle();
  const perCore = (mhz * perCycle) / 1000;
  return { gflops: cores * perCore, perCore, measured: false, text: `nominal: ${cores} core${cores === 1 ? '' : 's'} × ${(mhz / 1000).toFixed(2)} GHz × ${perCycle} flop/cycle = ${(cores * perCore).toFixed(0)} GFLOP/s` };
}

/** The peak of `cores` cores in GFLOP/s, measured now where the addon is built (about 2 s), else nominal. */
export function cpuPeak(cores: number): CpuPeak {
  const { addon } = nativeAddon();
  if (addon === undefined) return nominalPeak(cores);
  const m = addon.peak({ threads: cores, seconds: 1, gemmSize: 1024 });
  if (!(m.fmaGflops > 0)) return { ...nominalPeak(cores), sgemm: m.sgemmGflops };
  return {
    gflops: m.fmaGflops,
    perCore: m.fmaGflops / cores,
    sgemm: m.sgemmGflops,
    measured: true,
    text: `measured now at ${cores} thread${cores === 1 ? '' : 's'}: vector FMAs ${m.fmaGflops.toFixed(0)} GFLOP/s, oneDNN sgemm 1024³ ${m.sgemmGflops.toFixed(0)} GFLOP/s`,
  };
}

/**
 * Memory copy bandwidth now, in GB/s counted as STREAM's copy counts it (bytes read + bytes
 * written per second): one thread copying a 64 MiB float array, four times a large L3 cache, with
 * TypedArray.set (a memmove), the best of five copies. Not a peak that FLOPs are held against, but
 * a reading of the moment: on a shared host, memory contention slows the memory-bound kernels of a
 * training step (batch norm, concatenations, Adam, the 2×2 up-convolutions) while the register-only
 * FMA peak above does not see it.
 */
export function copyBandwidth(bytes = 64 * 2 ** 20, rounds = 5): number {
  const n = bytes / 4;
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    dst.set(src);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return (2 * bytes) / best / 1e9;
}
