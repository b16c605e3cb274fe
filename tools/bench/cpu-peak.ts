/**
 * The CPU's single-precision peak that the benches measure convolutions against:
 * clock × flops per cycle per core. Flops per cycle: 32 where the CPU has FMA (two 256-bit FMA
 * units × 8 floats × 2 flops: AVX2 + FMA, and AMD Zen 4, which runs AVX-512 on 256-bit units),
 * 8 without; `BENCH_FLOPS_PER_CYCLE=64` for CPUs with two 512-bit FMA units (Intel server cores).
 * The clock is /proc/cpuinfo's (`BENCH_CPU_MHZ` overrides it): a CPU boosting above it can show
 * shares of more than 100 %.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

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
  return /\bfma\b/.test(info) ? 32 : 8;
}

/** The peak of `cores` cores in GFLOP/s, and how it was counted. */
export function cpuPeak(cores: number): { gflops: number; perCore: number; text: string } {
  const mhz = cpuMhz();
  const perCycle = flopsPerCycle();
  const perCore = (mhz * perCycle) / 1000;
  return { gflops: cores * perCore, perCore, text: `${cores} core${cores === 1 ? '' : 's'} × ${(mhz / 1000).toFixed(2)} GHz × ${perCycle} flop/cycle = ${(cores * perCore).toFixed(0)} GFLOP/s` };
}
