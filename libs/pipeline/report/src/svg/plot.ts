/**
 * A tiny SVG plotting module: line charts (with markers, reference lines and an optional secondary
 * top axis) and bar charts, as strings. Domains always cover the data, so every coordinate lies
 * inside the viewBox. Non-finite points break a line instead of poisoning it.
 */
import { escapeHtml } from '../escape';
import { formatTick, linearScale, niceDomain, niceTicks } from './scale';

export type Point = readonly [number, number];

export interface Series {
  label: string;
  color: string;
  points: readonly Point[];
  dashed?: boolean;
  /** Draw a dot (with a hover title) at every point. */
  dots?: boolean;
}

/** A highlighted point, e.g. the chosen threshold. */
export interface Marker {
  x: number;
  y: number;
  /** Shown beside the point and as its hover title; '' draws the circle alone. */
  label: string;
  color?: string;
}

/** A vertical (`axis: 'x'`) or horizontal (`axis: 'y'`) reference line at `value`. */
export interface RefLine {
  axis: 'x' | 'y';
  value: number;
  label: string;
  color?: string;
}

export interface LineChartOptions {
  width?: number;
  height?: number;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  markers?: readonly Marker[];
  refLines?: readonly RefLine[];
  /** Values the x / y domain must include besides the data (e.g. 0). */
  xInclude?: readonly number[];
  yInclude?: readonly number[];
  /** Integer ticks only on x (epochs, pixel areas). */
  xIntegers?: boolean;
  /** A second x axis along the top, ticks positioned in primary x units (e.g. logits over probabilities). */
  topAxis?: { label: string; ticks: readonly { x: number; label: string }[] };
}

export interface Bar {
  label: string;
  value: number;
  /** A second line under the category label, e.g. "n=412". */
  note?: string;
  color?: string;
}

export interface BarChartOptions {
  width?: number;
  height?: number;
  yLabel: string;
  bars: readonly Bar[];
  /** Values the y domain must include besides 0 and the bars. */
  yInclude?: readonly number[];
  refLines?: readonly Omit<RefLine, 'axis'>[];
  /** Printed above each bar. */
  formatValue?: (v: number) => string;
}

/** Plot-area margins in px; the top grows for the legend and the secondary axis. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const AXIS = '#444';
const GRID = '#e6e6e6';
const FONT = 'font-family="system-ui, sans-serif" font-size="11"';
/** Estimated advance of one character at 11 px in a sans-serif font. */
const CHAR_W = 6.2;
const COS35 = Math.cos((35 * Math.PI) / 180);
const SIN35 = Math.sin((35 * Math.PI) / 180);
/** A white outline behind annotation text so it stays readable where it crosses a line. */
const HALO = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"';

/** Rounds a coordinate to 0.01 px: enough for any screen, and keeps the markup short. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** [min, max] of the finite values, or undefined when there are none. */
export function extent(values: Iterable<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * Splits points into runs of finite points, so a NaN loss leaves a gap in the line rather than
 * an invalid `points` attribute.
 */
export function finiteRuns(points: readonly Point[]): Point[][] {
  const runs: Point[][] = [];
  let run: Point[] = [];
  for (const p of points) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) run.push(p);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ${FONT}>` +
    `<title>${escapeHtml(title)}</title>`
  );
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ''): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${stroke}"${extra}/>`;
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs ? ' ' + attrs : ''}>${escapeHtml(content)}</text>`;
}

/** Legend swatches laid out left to right from `x0` on the baseline `y`. */
function legend(items: readonly { label: string; color: string; dashed?: boolean }[], x0: number, y: number): string {
  let x = x0;
  let out = '';
  for (const item of items) {
    out += line(x, y - 4, x + 18, y - 4, item.color, ` stroke-width="2"${item.dashed ? ' stroke-dasharray="5 3"' : ''}`);
    out += text(x + 22, y, item.label, `fill="${AXIS}"`);
    x += 22 + item.label.length * CHAR_W + 14;
  }
  return out;
}

/** A line chart as a standalone `<svg>` string. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 300;
  const legendItems = o.series.filter((s) => s.label !== '');
  const frame: Frame = {
    width,
    height,
    left: 56,
    right: 18,
    top: 10 + (legendItems.length > 0 ? 18 : 0) + (o.topAxis ? 38 : 0),
    bottom: 44,
  };
  const xs: number[] = [...(o.xInclude ?? [])];
  const ys: number[] = [...(o.yInclude ?? [])];
  for (const s of o.series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  for (const m of o.markers ?? []) {
    xs.push(m.x);
    ys.push(m.y);
  }
  for (const r of o.refLines ?? []) (r.axis === 'x' ? xs : ys).push(r.value);
  for (const t of o.topAxis?.ticks ?? []) xs.push(t.x);
  const [x0, x1] = extent(xs) ?? [0, 1];
  const [y0, y1] = extent(ys) ?? [0, 1];

  const xTicks = niceTicks(x0, x1 > x0 ? x1 : x0 + 1, 6);
  const xDomain: [number, number] = x1 > x0 ? [x0, x1] : [x0 - 0.5, x0 + 0.5];
  if (o.xIntegers) xTicks.ticks = xTicks.ticks.filter((t) => Number.isInteger(t));
  const yDomain = niceDomain(y0, y1, 5);
  const yTicks = niceTicks(yDomain[0], yDomain[1], 5);

  const plotL = frame.left;
  const plotR = width - frame.right;
  const plotT = frame.top;
  const plotB = height - frame.bottom;
  const sx = linearScale(xDomain, [plotL, plotR]);
  const sy = linearScale(yDomain, [plotB, plotT]);

  let out = svgOpen(width, height, `${o.yLabel} vs ${o.xLabel}`);
  // Grid and y axis.
  for (const t of yTicks.ticks) {
    out += line(plotL, sy(t), plotR, sy(t), GRID);
    out += text(plotL - 6, sy(t) + 4, formatTick(t, yTicks.step), `text-anchor="end" fill="${AXIS}"`);
  }
  out += line(plotL, plotT, plotL, plotB, AXIS) + line(plotL, plotB, plotR, plotB, AXIS);
  // Bottom x axis.
  for (const t of xTicks.ticks) {
    if (t < xDomain[0] - 1e-12 || t > xDomain[1] + 1e-12) continue;
    out += line(sx(t), plotB, sx(t), plotB + 4, AXIS);
    out += text(sx(t), plotB + 16, formatTick(t, o.xIntegers ? Math.max(1, xTicks.step) : xTicks.step), `text-anchor="middle" fill="${AXIS}"`);
  }
  out += text((plotL + plotR) / 2, height - 8, o.xLabel, `text-anchor="middle" fill="${AXIS}"`);
  out += text(14, (plotT + plotB) / 2, o.yLabel, `text-anchor="middle" fill="${AXIS}" transform="rotate(-90 14 ${px((plotT + plotB) / 2)})"`);
  // Secondary top axis.
  if (o.topAxis) {
    out += line(plotL, plotT, plotR, plotT, AXIS);
    for (const t of o.topAxis.ticks) {
      out += line(sx(t.x), plotT, sx(t.x), plotT - 4, AXIS);
      out += text(sx(t.x), plotT - 7, t.label, `text-anchor="middle" fill="${AXIS}"`);
    }
    out += text((plotL + plotR) / 2, plotT - 22, o.topAxis.label, `text-anchor="middle" fill="${AXIS}"`);
  }
  // Reference lines.
  for (const r of o.refLines ?? []) {
    const color = r.color ?? '#888';
    if (r.axis === 'x') {
      out += line(sx(r.value), plotT, sx(r.value), plotB, color, ' stroke-dasharray="4 3"');
      const anchorEnd = sx(r.value) > (plotL + plotR) / 2;
      // Labelled at the bottom: curves (losses falling, scores rising) rarely pass there at a stage switch.
      out += text(sx(r.value) + (anchorEnd ? -4 : 4), plotB - 6, r.label, `text-anchor="${anchorEnd ? 'end' : 'start'}" fill="${color}" ${HALO}`);
    } else {
      out += line(plotL, sy(r.value), plotR, sy(r.value), color, ' stroke-dasharray="4 3"');
      out += text(plotR - 4, sy(r.value) - 4, r.label, `text-anchor="end" fill="${color}" ${HALO}`);
    }
  }
  // Series.
  for (const s of o.series) {
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    for (const run of finiteRuns(s.points)) {
      const pts = run.map(([x, y]) => `${px(sx(x))},${px(sy(y))}`).join(' ');
      out += `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash}/>`;
      if (s.dots) {
        for (const [x, y] of run) {
          out += `<circle cx="${px(sx(x))}" cy="${px(sy(y))}" r="2.2" fill="${s.color}"><title>${escapeHtml(`${s.label ? s.label + ': ' : ''}${x}, ${y}`)}</title></circle>`;
        }
      }
    }
  }
  // Markers last, so they sit on top.
  for (const m of o.markers ?? []) {
    const color = m.color ?? '#d62728';
    const cx = sx(m.x);
    const cy = sy(m.y);
    const title = m.label === '' ? '' : `<title>${escapeHtml(m.label)}</title>`;
    out += `<circle cx="${px(cx)}" cy="${px(cy)}" r="5" fill="none" stroke="${color}" stroke-width="2">${title}</circle>`;
    if (m.label === '') continue;
    const anchorEnd = cx > (plotL + plotR) / 2;
    const ty = cy - 9 < plotT + 10 ? cy + 18 : cy - 9;
    out += text(cx + (anchorEnd ? -8 : 8), ty, m.label, `text-anchor="${anchorEnd ? 'end' : 'start'}" fill="${color}" font-weight="600" ${HALO}`);
  }
  if (legendItems.length > 0) out += legend(legendItems, plotL, 14);
  return out + '</svg>';
}

/**
 * A vertical bar chart as a standalone `<svg>` string; the y axis starts at 0. A NaN value (e.g. a
 * bin without images) draws no bar and prints "–". Category labels that would not fit under their
 * bar are rotated 35° and the chart grows downwards to hold them.
 */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 560;
  const baseHeight = o.height ?? 280;
  const hasNotes = o.bars.some((b) => b.note);
  const labelW = Math.max(0, ...o.bars.map((b) => b.label.length * CHAR_W));
  const firstLabelW = o.bars.length > 0 ? o.bars[0].label.length * CHAR_W : 0;
  // Decide rotation from the default left margin; a wider margin below only makes slots narrower by a little.
  const rotate = o.bars.length > 0 && labelW > (width - 56 - 18) / o.bars.length - 6;
  const left = rotate ? Math.max(56, Math.ceil(COS35 * firstLabelW - (width - 74) / o.bars.length / 2 + 6)) : 56;
  const noteRow = hasNotes ? 14 : 0;
  const labelDrop = rotate ? SIN35 * labelW + 10 : 14;
  const bottom = 8 + noteRow + labelDrop + 8;
  const height = rotate ? baseHeight - 46 + bottom : baseHeight;
  const frame: Frame = { width, height, left, right: 18, top: 18, bottom: rotate ? bottom : hasNotes ? 46 : 32 };
  const values = [0, ...o.bars.map((b) => b.value), ...(o.yInclude ?? []), ...(o.refLines ?? []).map((r) => r.value)];
  const [lo, hi] = extent(values) ?? [0, 1];
  const yDomain = niceDomain(lo, hi, 5);
  const yTicks = niceTicks(yDomain[0], yDomain[1], 5);
  const plotL = frame.left;
  const plotR = width - frame.right;
  const plotT = frame.top;
  const plotB = height - frame.bottom;
  const sy = linearScale(yDomain, [plotB, plotT]);
  const slot = o.bars.length > 0 ? (plotR - plotL) / o.bars.length : 0;
  const barW = slot * 0.68;
  const fmt = (v: number): string => (Number.isNaN(v) ? '–' : (o.formatValue ?? String)(v));

  let out = svgOpen(width, height, `${o.yLabel} by category`);
  for (const t of yTicks.ticks) {
    out += line(plotL, sy(t), plotR, sy(t), GRID);
    out += text(plotL - 6, sy(t) + 4, formatTick(t, yTicks.step), `text-anchor="end" fill="${AXIS}"`);
  }
  o.bars.forEach((b, i) => {
    const cx = plotL + slot * (i + 0.5);
    const tip = `<title>${escapeHtml(`${b.label}: ${fmt(b.value)}${b.note ? ` (${b.note})` : ''}`)}</title>`;
    if (Number.isNaN(b.value)) {
      out += text(cx, sy(0) - 4, fmt(b.value), `text-anchor="middle" fill="${AXIS}"`);
    } else {
      const top = sy(Math.max(b.value, 0));
      const bottomY = sy(Math.min(b.value, 0));
      out += `<rect x="${px(cx - barW / 2)}" y="${px(top)}" width="${px(barW)}" height="${px(bottomY - top)}" fill="${b.color ?? '#4c78a8'}">${tip}</rect>`;
      out += text(cx, Math.max(top - 4, plotT - 4), fmt(b.value), `text-anchor="middle" fill="${AXIS}"`);
    }
    if (rotate) {
      // Narrow slots: the note gets a smaller font so neighbours do not touch.
      if (b.note) out += text(cx, plotB + 15, b.note, `text-anchor="middle" fill="#888" font-size="9"`);
      const ly = plotB + 15 + noteRow;
      out += text(cx, ly, b.label, `text-anchor="end" fill="${AXIS}" transform="rotate(-35 ${px(cx)} ${px(ly)})"`);
    } else {
      out += text(cx, plotB + 15, b.label, `text-anchor="middle" fill="${AXIS}"`);
      if (b.note) out += text(cx, plotB + 29, b.note, `text-anchor="middle" fill="#888"`);
    }
  });
  out += line(plotL, plotT, plotL, plotB, AXIS) + line(plotL, sy(0), plotR, sy(0), AXIS);
  for (const r of o.refLines ?? []) {
    const color = r.color ?? '#888';
    out += line(plotL, sy(r.value), plotR, sy(r.value), color, ' stroke-dasharray="4 3"');
    out += text(plotR - 4, sy(r.value) - 4, r.label, `text-anchor="end" fill="${color}" ${HALO}`);
  }
  out += text(14, (plotT + plotB) / 2, o.yLabel, `text-anchor="middle" fill="${AXIS}" transform="rotate(-90 14 ${px((plotT + plotB) / 2)})"`);
  return out + '</svg>';
}
