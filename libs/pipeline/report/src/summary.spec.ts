import { headlineSection } from './sections';
import { buildSummary } from './summary';
import { handInput } from '../fixtures/hand-input';
import type { ReportInput } from './types';

describe('buildSummary', () => {
  const summary = buildSummary(handInput());

  it('holds the required keys in snake_case (the metric written mAP, as in the training logs)', () => {
    for (const key of [
      'metric',
      'oof_score_stage1',
      'oof_score_stage2',
      'oof_score_tuned',
      'logit_threshold',
      'prob_threshold',
      'min_area',
      'all_empty_baseline',
      'backend',
      'timings',
      'folds',
      'coverage_bins',
      'confusion',
    ]) {
      expect(summary).toHaveProperty(key);
    }
    const keys = JSON.stringify(summary).match(/"([^"]+)":/g) ?? [];
    for (const k of keys) expect(k.replace('mAP', 'map')).toMatch(/^"[a-z0-9_]+":$/);
  });

  it('names the metric of its scores', () => expect(summary.metric).toBe('tgs-map'));

  it('lists the pseudo-label rounds only when the run had any', () => {
    expect(summary).not.toHaveProperty('pseudo_rounds');
    const rounds = [
      { round: 0, pseudoLabels: 0, oofScore: 0.5, oofScoreAtZero: 0.25 },
      { round: 1, pseudoLabels: 7, oofScore: 0.75, oofScoreAtZero: 0.5 },
    ];
    expect(buildSummary({ ...handInput(), rounds }).pseudo_rounds).toEqual([
      { round: 0, pseudo_labels: 0, oof_score: 0.5, oof_score_at_zero: 0.25 },
      { round: 1, pseudo_labels: 7, oof_score: 0.75, oof_score_at_zero: 0.5 },
    ]);
  });

  it('copies the headline numbers as numbers', () => {
    expect(summary).toMatchObject({
      oof_score_stage1: 0.5,
      oof_score_stage2: 0.625,
      stage2_delta: 0.125,
      folds_improved_by_stage2: 1, // fold 0 went 0.5 -> 0.75, fold 1 went 0.5 -> 0.25
      oof_score_tuned: 0.75,
      all_empty_baseline: 0.25,
      logit_threshold: 0,
      prob_threshold: 0.5,
      min_area: 10,
      backend: 'cpu',
      timings: { train: 90, predict: 30 },
      total_seconds: 120,
    });
  });

  it('carries the hidden-truth test score when there is one, null otherwise', () => {
    expect(summary.test_score).toBeNull();
    expect(buildSummary({ ...handInput(), testScore: 0.8125 }).test_score).toBe(0.8125);
  });

  it('lists folds with their best epochs and training curves', () => {
    expect(summary.folds[1].curve).toEqual([
      { epoch: 1, stage: 1, loss: 0.7, val_loss: 0.8, val_score: 0.5, lr: 0.001, seconds: 10 },
      { epoch: 1, stage: 2, loss: 0.6, val_loss: 0.7, val_score: 0.25, lr: 0.0001, seconds: 12 },
    ]);
    expect(summary.folds.map(({ curve: _c, ...rest }) => rest)).toEqual([
      {
        fold: 0,
        n_train: 2,
        n_val: 2,
        oof_score_stage1: 0.5,
        oof_score_stage2: 0.75,
        best_epoch_stage1: 2,
        best_epoch_stage2: 1,
        best_val_score_stage1: 0.5,
        best_val_score_stage2: 0.75,
        epochs_stage1: 2,
        epochs_stage2: 1,
        seconds: 40,
        device: 'GPU 1',
      },
      {
        fold: 1,
        n_train: 2,
        n_val: 2,
        oof_score_stage1: 0.5,
        oof_score_stage2: 0.25,
        best_epoch_stage1: 1,
        best_epoch_stage2: 1,
        best_val_score_stage1: 0.5,
        best_val_score_stage2: 0.25,
        epochs_stage1: 1,
        epochs_stage2: 1,
        seconds: 50,
        device: null,
      },
    ]);
  });

  it('converts coverage bins, confusion, worst ids and submission', () => {
    expect(summary.coverage_bins).toEqual([
      { label: 'empty', count: 1, score: 1 },
      { label: '(0,10%]', count: 3, score: 0.5 },
    ]);
    expect(summary.confusion).toEqual({
      truth_empty_pred_empty: 1,
      truth_empty_pred_non_empty: 0,
      truth_non_empty_pred_empty: 1,
      truth_non_empty_pred_non_empty: 2,
    });
    expect(summary.worst).toEqual([{ id: '<script>x</script>', score: 0, iou: 0.25 }]);
    expect(summary.submission).toEqual({ path: 'runs/a&b/submission.csv', rows: 10, images: 10, non_empty: 4 });
  });

  it('writes null for the score of a coverage bin without images', () => {
    const input = handInput();
    input.coverageBins.push({ coverageClass: 10, label: '(90%, 100%]', count: 0, meanScore: NaN });
    expect(buildSummary(input).coverage_bins[2]).toEqual({ label: '(90%, 100%]', count: 0, score: null });
  });

  it('survives a JSON round trip unchanged (no NaN, no undefined)', () => {
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

describe('summary.json', () => {
  it('accepts a diverged (NaN) training loss: that is a result to report', () => {
    const input = handInput();
    input.folds[0].history[1].loss = NaN;
    expect(() => buildSummary(input)).not.toThrow();
  });

  it('carries the warnings of a failed training and whether the submission is worthless, and the page shows them first', () => {
    const healthy = buildSummary(handInput());
    expect(healthy.warnings).toEqual([]);
    expect(healthy.worthless).toBe(false);
    const input: ReportInput = {
      ...handInput(),
      warnings: [
        { message: 'fold 0: the validation predictions collapsed to a constant', fatal: true },
        { message: 'the tuned OOF mAP 0.1900 is below the all-empty baseline 0.3500', fatal: true },
      ],
    };
    const bad = buildSummary(input);
    expect(bad.warnings).toEqual(['fold 0: the validation predictions collapsed to a constant', 'the tuned OOF mAP 0.1900 is below the all-empty baseline 0.3500']);
    expect(bad.worthless).toBe(true);
    const html = headlineSection(input);
    const at = html.indexOf('Worthless submission: the tuned OOF mAP 0.1900 is below the all-empty baseline 0.3500');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(html.indexOf('OOF mAP stage 1'));
  });
});

