import { emptyPredictionScore, METRIC_NAMES, METRICS, metricInfo } from './registry';
import { tgsImageScore } from './tgs-score';

describe('the metric registry', () => {
  it('names the three competition metrics, TGS first', () => expect(METRIC_NAMES).toEqual(['tgs-map', 'dice', 'f2-objects']));
  it('keeps the TGS score as the tgs-map area score', () => expect(METRICS['tgs-map'].areaScore).toBe(tgsImageScore));
  it('has no area score for the object metric', () => expect(metricInfo('f2-objects').areaScore).toBeUndefined());
  it('rejects an unknown name, listing the known ones', () =>
    expect(() => metricInfo('iou')).toThrow('unknown metric "iou" (known: tgs-map, dice, f2-objects)'));
  it.each([
    [true, 1],
    [false, 0],
  ])('an empty prediction on a truth that is empty=%p scores %p', (empty, score) => expect(emptyPredictionScore(empty)).toBe(score));
});
