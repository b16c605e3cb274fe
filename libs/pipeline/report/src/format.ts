/** Number formatting for the report: one place decides how many digits each kind of number gets. */
import { formatDuration } from '@segkit/io';

/** The typographic minus, so negative deltas line up with "+" in proportional fonts. */
const MINUS = '\u2212';

/** An mAP, IoU or score: 4 decimals (the leaderboard shows 5; the 5th is noise at OOF sizes). */
export function fmtMap(v: number): string {
  return v.toFixed(4);
}

/** A signed difference with an explicit "+" or "−": +0.0123, −0.0040, ±0.0000 for zero. */
export function fmtDelta(v: number, digits = 4): string {
  const s = Math.abs(v).toFixed(digits);
  if (Number(s) === 0) return `\u00b1${s}`;
  return v > 0 ? `+${s}` : `${MINUS}${s}`;
}

/** A probability threshold: 3 decimals. */
export function fmtProb(v: number): string {
  return v.toFixed(3);
}

/** A logit threshold: signed, 3 decimals. */
export function fmtLogit(v: number): string {
  const s = Math.abs(v).toFixed(3);
  return v < 0 && Number(s) !== 0 ? `${MINUS}${s}` : s;
}

/** A share in percent with one decimal: 0.1234 -> "12.3%". */
export function fmtPct(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : '–';
}

/** An integer with thousands separators: 18000 -> "18,000". */
export function fmtInt(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

/** Seconds as h:mm:ss / m:ss (same as progress output), with the raw seconds for short steps. */
export function fmtSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

/** Mean and (population) standard deviation; sd = sqrt(sum (x - mean)^2 / n). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { mean, std };
}
