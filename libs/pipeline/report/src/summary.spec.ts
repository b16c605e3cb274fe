import { headlineSection } from './sections';
import { buildSummary } from './summary';
import { handInput } from './testing';
import type { ReportInput } from './types';
import { ReportInputError } from './validate';

describe('buildSummary', () => {
  const summary = buildSummary(handInput());

  it('holds the required keys in snake_case (the metric written mAP, as in the training logs)', () => {
    for (const key of [
      'oof_mAP_stage1',
      'oof_mAP_stage2',
      'oof_mAP_tuned',
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

  it('copies the headline numbers as numbers', () => {
    expect(summary).toMatchObject({
      oof_mAP_stage1: 0.5,
      oof_mAP_stage2: 0.625,
      stage2_delta: 0.125,
      folds_improved_by_stage2: 1, // fold 0 went 0.5 -> 0.75, fold 1 went 0.5 -> 0.25
      oof_mAP_tuned: 0.75,
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
    expect(summary.test_mAP).toBeNull();
    expect(buildSummary({ ...handInput(), testMap: 0.8125 }).test_mAP).toBe(0.8125);
    expect(() => buildSummary({ ...handInput(), testMap: 1.5 })).toThrow('testMap');
  });

  it('lists folds with their best epochs and training curves', () => {
    expect(summary.folds[1].curve).toEqual([
      { epoch: 1, stage: 1, loss: 0.7, val_loss: 0.8, val_mAP: 0.5, lr: 0.001, seconds: 10 },
      { epoch: 1, stage: 2, loss: 0.6, val_loss: 0.7, val_mAP: 0.25, lr: 0.0001, seconds: 12 },
    ]);
    expect(summary.folds.map(({ curve: _c, ...rest }) => rest)).toEqual([
      {
        fold: 0,
        n_train: 2,
        n_val: 2,
        oof_mAP_stage1: 0.5,
        oof_mAP_stage2: 0.75,
        best_epoch_stage1: 2,
        best_epoch_stage2: 1,
        best_val_mAP_stage1: 0.5,
        best_val_mAP_stage2: 0.75,
        epochs_stage1: 2,
        epochs_stage2: 1,
        seconds: 40,
        device: 'GPU 1',
      },
      {
        fold: 1,
        n_train: 2,
        n_val: 2,
        oof_mAP_stage1: 0.5,
        oof_mAP_stage2: 0.25,
        best_epoch_stage1: 1,
        best_epoch_stage2: 1,
        best_val_mAP_stage1: 0.5,
        best_val_mAP_stage2: 0.25,
        epochs_stage1: 1,
        epochs_stage2: 1,
        seconds: 50,
        device: null,
      },
    ]);
  });

  it('converts coverage bins, confusion, worst ids and submission', () => {
    expect(summary.coverage_bins).toEqual([
      { label: 'empty', count: 1, mAP: 1 },
      { label: '(0,10%]', count: 3, mAP: 0.5 },
    ]);
    expect(summary.confusion).toEqual({
      truth_empty_pred_empty: 1,
      truth_empty_pred_non_empty: 0,
      truth_non_empty_pred_empty: 1,
      truth_non_empty_pred_non_empty: 2,
    });
    expect(summary.worst).toEqual([{ id: '<script>x</script>', score: 0, iou: 0.25 }]);
    expect(summary.submission).toEqual({ path: 'runs/a&b/submission.csv', rows: 10, non_empty: 4 });
  });

  it('writes null for the mAP of a coverage bin without images', () => {
    const input = handInput();
    input.coverageBins.push({ label: '(90%, 100%]', count: 0, map: NaN });
    expect(buildSummary(input).coverage_bins[2]).toEqual({ label: '(90%, 100%]', count: 0, mAP: null });
  });

  it('survives a JSON round trip unchanged (no NaN, no undefined)', () => {
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

describe('validation', () => {
  type Mutate = (i: ReportInput) => void;
  it.each<[string, Mutate, RegExp]>([
    ['NaN overall mAP', (i) => (i.oofMapStage2 = NaN), /oofMapStage2 must be a finite number, got NaN/],
    ['NaN fold mAP', (i) => (i.folds[1].oofMapStage1 = NaN), /folds\[1\]\.oofMapStage1/],
    ['mAP above 1', (i) => (i.oofMapTuned = 1.2), /oofMapTuned must be in \[0, 1\], got 1\.2/],
    ['NaN val mAP in history', (i) => (i.folds[0].history[2].val_mAP = NaN), /folds\[0\]\.history\[2\]\.val_mAP/],
    ['NaN threshold-curve mAP', (i) => (i.thresholdCurve[1].map = NaN), /thresholdCurve\[1\]\.map/],
    ['NaN coverage mAP of a bin with images', (i) => (i.coverageBins[0].map = NaN), /coverageBins\[0\]\.map/],
    ['stage 3', (i) => ((i.folds[0].history[0] as { stage: number }).stage = 3), /history\[0\]\.stage must be 1 or 2/],
    ['negative count', (i) => (i.confusion.truthEmptyPredEmpty = -1), /confusion\.truthEmptyPredEmpty must be a non-negative integer/],
    ['fractional count', (i) => (i.coverageBins[1].count = 2.5), /coverageBins\[1\]\.count/],
    ['negative timing', (i) => (i.timings.train = -1), /timings\.train must be >= 0/],
    ['image buffer too short', (i) => (i.worst[0].image = new Uint8Array(5)), /worst image "<script>x<\/script>": image has 5 values, expected height\*width = 3\*2 = 6/],
    ['truth buffer too long', (i) => (i.worst[0].truth = new Uint8Array(7)), /"<script>x<\/script>": truth has 7 values/],
    ['non-binary pred', (i) => (i.worst[0].pred = Uint8Array.from([0, 0, 0, 255, 0, 0])), /pred must be a 0\/1 mask, found 255 at row 1, column 1/],
    ['zero width', (i) => (i.worst[0].width = 0), /height and width must be positive integers/],
    ['IoU NaN', (i) => (i.worst[0].iou = NaN), /worst\[0\]\.iou/],
    ['more non-empty than rows', (i) => (i.submission.nonEmpty = 11), /submission\.nonEmpty \(11\) exceeds submission\.rows \(10\)/],
    ['infinite logit', (i) => (i.logitThreshold = Infinity), /logitThreshold must be a finite number/],
  ])('rejects %s, naming the field', (_name, mutate, message) => {
    const input = handInput();
    mutate(input);
    expect(() => buildSummary(input)).toThrow(ReportInputError);
    expect(() => buildSummary(input)).toThrow(message);
  });

  it('rejects a config that cannot be shown as JSON', () => {
    const input = handInput();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    input.config = cyclic;
    expect(() => buildSummary(input)).toThrow(/config cannot be shown as JSON/);
  });

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

