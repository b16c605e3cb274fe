import { barChart, extent, finiteRuns, lineChart } from './plot';
import { assertBalanced, coordinates, polylines, viewBox } from './svg-check';

function expectInsideViewBox(svg: string): void {
  const { width, height } = viewBox(svg);
  const { xs, ys } = coordinates(svg);
  expect(xs.length).toBeGreaterThan(0);
  for (const x of xs) {
    expect(Number.isFinite(x)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(width);
  }
  for (const y of ys) {
    expect(Number.isFinite(y)).toBe(true);
    expect(y).toBeGreaterThanOrEqual(0);
    expect(y).toBeLessThanOrEqual(height);
  }
}

describe('extent / finiteRuns', () => {
  it('ignores non-finite values', () => {
    expect(extent([3, NaN, -1, Infinity, 2])).toEqual([-1, 3]);
    expect(extent([NaN])).toBeUndefined();
  });

  it('splits at non-finite points', () => {
    expect(
      finiteRuns([
        [0, 1],
        [1, NaN],
        [2, 3],
        [3, 4],
        [NaN, 5],
      ]),
    ).toEqual([[[0, 1]], [
      [2, 3],
      [3, 4],
    ]]);
  });
});

describe('lineChart', () => {
  // No legend (empty label) and no top axis: plot area x 56..382 (400 - 18), y 156 (200 - 44) .. 10.
  const base = {
    width: 400,
    height: 200,
    xLabel: 'x',
    yLabel: 'y',
  };

  it('maps known data to hand-computed coordinates', () => {
    const svg = lineChart({
      ...base,
      series: [{ label: '', color: '#000', points: [[0, 0], [0.5, 0.5], [1, 1]] }],
      markers: [{ x: 0.5, y: 0.5, label: 'chosen' }],
    });
    // x: 56 + v * 326; y: 156 - v * 146 (y domain is niceDomain(0, 1) = [0, 1]).
    expect(polylines(svg)).toEqual(['56,156 219,83 382,10']);
    expect(svg).toContain('<circle cx="219" cy="83" r="5"');
    assertBalanced(svg);
    expectInsideViewBox(svg);
  });

  it('draws y ticks at nice values with their labels', () => {
    const svg = lineChart({ ...base, series: [{ label: '', color: '#000', points: [[0, 0], [1, 1]] }] });
    for (const label of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) expect(svg).toContain(`>${label}</text>`);
    // The 0.2 grid line sits at 156 - 0.2 * 146 = 126.8.
    expect(svg).toContain('<line x1="56" y1="126.8" x2="382" y2="126.8"');
  });

  it('breaks the line at NaN instead of emitting NaN coordinates', () => {
    const svg = lineChart({ ...base, series: [{ label: '', color: '#000', points: [[0, 0], [0.5, NaN], [1, 1]] }] });
    expect(polylines(svg)).toEqual(['56,156', '382,10']);
    expect(svg).not.toContain('NaN');
    expectInsideViewBox(svg);
  });

  it('keeps legend, reference lines, markers and a top axis inside the viewBox', () => {
    const svg = lineChart({
      ...base,
      series: [
        { label: 'train <loss>', color: '#00f', points: [[1, 0.9], [2, 0.5], [3, 0.4]], dots: true },
        { label: 'val', color: '#f80', points: [[1, 1.2], [2, 0.7], [3, 0.65]], dashed: true },
      ],
      refLines: [
        { axis: 'x', value: 2.5, label: 'stage 2' },
        { axis: 'y', value: 2, label: 'far away' },
      ],
      markers: [{ x: 3, y: 0.4, label: 'best' }],
      topAxis: { label: 'logit', ticks: [{ x: 1, label: '-1' }, { x: 3, label: '1' }] },
      xIntegers: true,
    });
    assertBalanced(svg);
    expectInsideViewBox(svg);
    expect(svg).toContain('train &lt;loss&gt;');
    expect(svg).not.toContain('<loss>');
    expect(svg).toContain('stroke-dasharray="5 3"');
    // The y domain grew to include the reference line at 2.
    expect(svg).toContain('>2.0</text>');
    // Integer x ticks only: the bottom axis labels sit at y = 156 + 16 = 172.
    expect([...svg.matchAll(/<text x="[\d.]+" y="172"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])).toEqual(['1', '2', '3']);
  });

  it('renders an empty chart without throwing', () => {
    const svg = lineChart({ ...base, series: [] });
    assertBalanced(svg);
    expect(polylines(svg)).toEqual([]);
  });
});

describe('barChart', () => {
  it('sizes bars from 0 by hand-computed coordinates', () => {
    // No notes: plot y 168 (200 - 32) .. 18, x 56..282, slot 113, bar width 0.68 * 113 = 76.84.
    const svg = barChart({ width: 300, height: 200, yLabel: 'mAP', bars: [{ label: '<i>', value: 0.5 }, { label: 'b', value: 1 }] });
    expect(svg).toContain('<rect x="74.08" y="93" width="76.84" height="75"');
    expect(svg).toContain('<rect x="187.08" y="18" width="76.84" height="150"');
    expect(svg).toContain('>&lt;i&gt;</text>');
    assertBalanced(svg);
    expectInsideViewBox(svg);
  });

  it('prints notes and formatted values', () => {
    const svg = barChart({
      yLabel: 'mAP',
      bars: [{ label: 'empty', value: 0.9512, note: 'n=10' }],
      formatValue: (v) => v.toFixed(2),
      refLines: [{ value: 0.8, label: 'overall' }],
    });
    expect(svg).toContain('>0.95</text>');
    expect(svg).toContain('>n=10</text>');
    expect(svg).toContain('>overall</text>');
    assertBalanced(svg);
    expectInsideViewBox(svg);
  });
});

describe('barChart edge cases', () => {
  it('draws no bar for a NaN value and prints a dash', () => {
    const svg = barChart({ width: 300, height: 200, yLabel: 'mAP', bars: [{ label: 'a', value: 0.5 }, { label: 'none', value: NaN }] });
    expect(svg.match(/<rect /g)).toHaveLength(1);
    expect(svg).toContain('>–</text>');
    expect(svg).not.toContain('NaN');
    assertBalanced(svg);
    expectInsideViewBox(svg);
  });

  it('rotates category labels that do not fit and grows to hold them', () => {
    const bars = Array.from({ length: 11 }, (_, c) => ({ label: c === 0 ? 'empty' : `(${(c - 1) * 10}%, ${c * 10}%]`, value: 0.5, note: 'n=100' }));
    const svg = barChart({ width: 400, height: 200, yLabel: 'mAP', bars });
    // 11 slots in 326 px are ~30 px; "(90%, 100%]" is ~68 px wide, so labels turn.
    expect(svg.match(/transform="rotate\(-35 /g)).toHaveLength(11);
    expect(viewBox(svg).height).toBeGreaterThan(200);
    assertBalanced(svg);
    expectInsideViewBox(svg);
  });

  it('keeps short labels horizontal', () => {
    const svg = barChart({ width: 400, height: 200, yLabel: 'mAP', bars: [{ label: 'a', value: 1 }, { label: 'b', value: 0.2 }] });
    expect(svg).not.toContain('rotate(-35');
    expect(viewBox(svg).height).toBe(200);
  });
});

describe('assertBalanced', () => {
  it('rejects broken markup (so the checks above can fail)', () => {
    expect(() => assertBalanced('<svg><g></svg>')).toThrow();
    expect(() => assertBalanced('<svg><text>a</text>')).toThrow();
  });
});
