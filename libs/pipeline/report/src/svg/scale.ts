/**
 * Scales and ticks for the report's SVG charts: the few pieces of d3-scale the report needs,
 * written out so the report has no dependencies and no JavaScript.
 */

/**
 * Maps `domain` linearly onto `range`: v -> r0 + (v - d0) * (r1 - r0) / (d1 - d0).
 * A degenerate domain (d0 = d1) maps everything to the middle of the range.
 */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/**
 * A "nice" tick step near span / count: 1, 2 or 5 times a power of ten (Heckbert, "Nice numbers
 * for graph labels", Graphics Gems, 1990). Thresholds 1.5 / 3 / 7 are Heckbert's rounding rule.
 */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const factor = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return factor * magnitude;
}

/** Decimal places that print every multiple of `step` exactly (0.05 -> 2, 20 -> 0). */
export function stepDecimals(step: number): number {
  if (!(step > 0)) return 0;
  // Round first so 0.30000000000000004-style steps count as 1 decimal.
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** Expands a degenerate extent so it has room for ticks: [v, v] -> [v - pad, v + pad]. */
function widen(min: number, max: number): [number, number] {
  if (max > min) return [min, max];
  const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
  return [min - pad, max + pad];
}

/** The extent [min, max] rounded outwards to multiples of the nice step for about `count` ticks. */
export function niceDomain(min: number, max: number, count = 5): [number, number] {
  const [lo, hi] = widen(min, max);
  const step = niceStep(hi - lo, count);
  const d = stepDecimals(step);
  return [Number((Math.floor(lo / step + 1e-9) * step).toFixed(d)), Number((Math.ceil(hi / step - 1e-9) * step).toFixed(d))];
}

/** Tick values: every multiple of the nice step inside [min, max], with the step they were made with. */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; step: number } {
  const [lo, hi] = widen(min, max);
  const step = niceStep(hi - lo, count);
  const d = stepDecimals(step);
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toFixed(d)));
  return { ticks, step };
}

/** A tick label with just enough decimals for its step (0.5 with step 0.1 -> "0.5"). */
export function formatTick(v: number, step: number): string {
  const s = v.toFixed(stepDecimals(step));
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}
