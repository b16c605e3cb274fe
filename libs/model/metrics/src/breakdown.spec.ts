import { COVERAGE_CLASSES, coverageBreakdownFromStats, coverageClass, coverageClassLabel, emptyConfusionFromStats, scoresByCoverage } from './breakdown';
import { thresholdStats } from './threshold-stats';

describe('coverageClass', () => {
  it.each([
    [0, 100, 0],
    [1, 100, 1],
    [10, 100, 1], // exactly 10% stays in (0,10%]
    [11, 100, 2],
    [90, 100, 9],
    [91, 100, 10],
    [100, 100, 10],
    [1020, 10201, 1], // 9.999%
    [1021, 10201, 2], // 10.009%
    [10201, 10201, 10],
  ])('area %d of %d → class %d', (area, pixels, expected) => {
    expect(coverageClass(area, pixels)).toBe(expected);
  });

  it('labels', () => {
    expect(coverageClassLabel(0)).toBe('empty');
    expect(coverageClassLabel(1)).toBe('(0%, 10%]');
    expect(coverageClassLabel(10)).toBe('(90%, 100%]');
  });
});

describe('scoresByCoverage', () => {
  it('groups by hand', () => {
    // pixels 10: areas 0,0,1,5,10,10 → classes 0,0,1,5,10,10
    const bins = scoresByCoverage([1, 0, 0.5, 0.3, 1, 0.6], [0, 0, 1, 5, 10, 10], 10);
    expect(bins).toHaveLength(COVERAGE_CLASSES);
    expect(bins[0]).toEqual({ coverageClass: 0, label: 'empty', count: 2, meanScore: 0.5 });
    expect(bins[1]).toEqual({ coverageClass: 1, label: '(0%, 10%]', count: 1, meanScore: 0.5 });
    expect(bins[5].count).toBe(1);
    expect(bins[5].meanScore).toBeCloseTo(0.3, 12);
    expect(bins[10].count).toBe(2);
    expect(bins[10].meanScore).toBeCloseTo(0.8, 12);
    expect(bins[3].count).toBe(0);
    expect(bins[3].meanScore).toBeNaN();
  });

  it('rejects mismatched lengths', () => {
    expect(() => scoresByCoverage([1], [0, 1], 10)).toThrow(/perImage/);
  });
});

describe('emptyConfusionFromStats', () => {
  // 5 images × 4 px, thresholds [0]:
  //   0: truth empty, pred empty           1: truth empty, pred 1 px
  //   2: truth 2 px, pred empty            3: truth 2 px, pred 2 px (same)   4: truth 4 px, pred 3 px
  const truths = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1]);
  const logits = Float32Array.from([-1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, 1, 1, -1]);
  const stats = thresholdStats(logits, truths, 4, [0]);

  it('counts by hand', () => {
    expect(emptyConfusionFromStats(stats, 0)).toEqual({
      truthEmptyPredEmpty: 1,
      truthEmptyPredNonEmpty: 1,
      truthNonEmptyPredEmpty: 1,
      truthNonEmptyPredNonEmpty: 2,
    });
  });

  it('applies minArea', () => {
    // minArea 3: image 1 (1 px) and image 3 (2 px) become empty
    expect(emptyConfusionFromStats(stats, 0, 3)).toEqual({
      truthEmptyPredEmpty: 2,
      truthEmptyPredNonEmpty: 0,
      truthNonEmptyPredEmpty: 2,
      truthNonEmptyPredNonEmpty: 1,
    });
  });

  it('coverage breakdown from stats', () => {
    // scores: 1, 0, 0, 1, IoU 0.75 → 0.5; classes (pixels 4): 0,0,5,5,10
    const bins = coverageBreakdownFromStats(stats, 0);
    expect(bins[0]).toMatchObject({ count: 2, meanScore: 0.5 });
    expect(bins[5]).toMatchObject({ count: 2, meanScore: 0.5 });
    expect(bins[10]).toMatchObject({ count: 1, meanScore: 0.5 });
  });

  it('rejects a bad threshold index', () => {
    expect(() => emptyConfusionFromStats(stats, 1)).toThrow(/thresholdIndex/);
  });
});
