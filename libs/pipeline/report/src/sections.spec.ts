import { averagingSection, pseudoSection, confusionSection, coverageSection, epochAxis, failureKind, foldsSection, headlineSection, logitAxisTicks, splitLine, stage2Verdict, thresholdSection, trainingSection, ttaLabel } from './sections';
import { buildSummary, summarySchema } from './summary';
import { handInput } from '../fixtures/hand-input';
import type { EpochRow } from './types';

describe('stage2Verdict', () => {
  it('says stage 2 helped, with the delta and the fold count', () => {
    expect(stage2Verdict(handInput())).toEqual({
      text: 'Stage 2 (Lovász fine-tuning) helped: +0.1250 OOF mAP at logit 0; better in 1 of 2 folds.',
      tone: 'good',
    });
  });

  it('says stage 2 hurt when the OOF mAP fell', () => {
    const input = handInput();
    input.oofScoreStage2 = 0.49;
    expect(stage2Verdict(input)).toEqual({ text: 'Stage 2 (Lovász fine-tuning) hurt: \u22120.0100 OOF mAP at logit 0; better in 1 of 2 folds.', tone: 'bad' });
  });

  it('says so when no fold trained a stage 2', () => {
    const input = handInput();
    for (const f of input.folds) f.stage2 = { bestEpoch: 0, bestValScore: f.stage1.bestValScore, epochs: 0 };
    expect(stage2Verdict(input)).toEqual({ text: 'Stage 2 (Lovász fine-tuning) was not run: the stage-2 numbers repeat stage 1.', tone: 'neutral' });
  });

  it('calls a change under 0.0005 no clear difference', () => {
    const input = handInput();
    input.oofScoreStage2 = 0.5004;
    expect(stage2Verdict(input).tone).toBe('neutral');
    expect(stage2Verdict(input).text).toContain('made no clear difference: +0.0004');
  });
});

describe("the competition's metric", () => {
  it.each([
    ['dice', 'Dice'],
    ['f2-objects', 'F2'],
  ] as const)('%s: every OOF score is labelled %s, never mAP', (metric, label) => {
    const input = { ...handInput(), metric, testScore: 0.5 };
    const html = [headlineSection(input), foldsSection(input), thresholdSection(input), coverageSection(input)].join('\n');
    for (const text of [`OOF ${label} stage 1`, `OOF ${label} tuned`, `Test ${label}`, `val ${label} stage 1`, `${label} by coverage`]) expect(html).toContain(text);
    expect(html).not.toContain('mAP');
    expect(stage2Verdict(input).text).toContain(`OOF ${label} at logit 0`);
  });
});

describe('failureKind', () => {
  it.each([
    [0, 30, 0, 'false positive on an empty image'],
    [40, 0, 0, 'missed: predicted empty'],
    [0, 0, 1, 'correct empty'],
    [100, 300, 0.3, 'over-segmented (3.0× the true area)'],
    [100, 40, 0.4, 'under-segmented (0.40× the true area)'],
    [100, 100, 0.2, 'right size, wrong place'],
    [100, 110, 0.7, 'boundary error'],
  ])('truth %d px, pred %d px, IoU %d -> %s', (truth, pred, iou, expected) => {
    expect(failureKind(truth, pred, iou)).toBe(expected);
  });
});

describe('logitAxisTicks', () => {
  it('places integer logits at sigmoid(logit) across p 0.05..0.95 (logit ±2.94)', () => {
    const ticks = logitAxisTicks(0.05, 0.95);
    expect(ticks.map((t) => t.label)).toEqual(['-2', '-1', '0', '1', '2']);
    // sigmoid(-2) = 1 / (1 + e^2) = 0.11920292..., sigmoid(1) = 0.73105857...
    expect(ticks[0].x).toBeCloseTo(0.1192029, 6);
    expect(ticks[2].x).toBe(0.5);
    expect(ticks[3].x).toBeCloseTo(0.7310586, 6);
  });

  it('uses finer logit steps on a narrow sweep', () => {
    // logit ±0.405: span 0.81 over 6 ticks is 0.135, which rounds to a step of 0.1.
    const ticks = logitAxisTicks(0.4, 0.6);
    expect(ticks.map((t) => t.label)).toEqual(['-0.4', '-0.3', '-0.2', '-0.1', '0.0', '0.1', '0.2', '0.3', '0.4']);
  });

  it('survives thresholds of exactly 0 and 1', () => {
    const ticks = logitAxisTicks(0, 1);
    expect(ticks.length).toBeGreaterThan(1);
    for (const t of ticks) expect(Number.isFinite(t.x)).toBe(true);
  });
});

describe('epochAxis', () => {
  const row = (stage: 1 | 2, epoch: number): EpochRow => ({ stage, epoch, loss: 1, val_loss: 1, val_score: 0.5, lr: 0.001, seconds: 1 });

  it('numbers epochs 1.. through both stages whatever order and numbering the trainer used', () => {
    const { rows, x, stage1Epochs } = epochAxis([row(2, 0), row(1, 1), row(2, 1), row(1, 0), row(1, 2)]);
    expect(rows.map((r) => `${r.stage}:${r.epoch}`)).toEqual(['1:0', '1:1', '1:2', '2:0', '2:1']);
    expect(x).toEqual([1, 2, 3, 4, 5]);
    expect(stage1Epochs).toBe(3);
  });
});

describe('averagingSection', () => {
  it('is absent when no stage averaged its weights', () => {
    expect(averagingSection(handInput())).toBe('');
  });

  it('compares each averaged stage with its best epoch and its snapshot ensemble', () => {
    const input = handInput();
    input.folds[0].stage2 = { ...input.folds[0].stage2, bestValScore: 0.5, averaged: { kind: 'swa', members: 3, valScore: 0.5625, snapshotsValScore: 0.53 } };
    input.folds[1].stage1 = { ...input.folds[1].stage1, bestValScore: 0.75, averaged: { kind: 'ema', members: 120, valScore: 0.6875 } };
    const html = averagingSection(input);
    const rows = [...html.matchAll(/<tr><td>(\d)<\/td><td>(\d)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td class="(\w*)">([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([
      [String(input.folds[0].fold), '2', 'SWA, 3 epochs', '0.5000', '0.5625', 'good', '+0.0625', '0.5300'],
      [String(input.folds[1].fold), '1', 'EMA, 120 steps', '0.7500', '0.6875', 'bad', '\u22120.0625', '–'],
    ]);
  });
});

describe('pseudoSection', () => {
  it('is absent without pseudo-label rounds', () => {
    expect(pseudoSection(handInput())).toBe('');
  });

  it('shows each round with its pseudo-labels, its OOF scores and the change from the round before', () => {
    const input = { ...handInput(), rounds: [
      { round: 0, pseudoLabels: 0, oofScore: 0.5, oofScoreAtZero: 0.25 },
      { round: 1, pseudoLabels: 120, oofScore: 0.5625, oofScoreAtZero: 0.5 },
      { round: 2, pseudoLabels: 130, oofScore: 0.5, oofScoreAtZero: 0.5 },
    ] };
    const rows = [...pseudoSection(input).matchAll(/<tr><td>(\d)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td class="(\w*)">([^<]+)<\/td><\/tr>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([
      ['0', '–', '0.2500', '0.5000', '', '–'],
      ['1', '120', '0.5000', '0.5625', 'good', '+0.0625'],
      ['2', '130', '0.5000', '0.5000', 'bad', '\u22120.0625'],
    ]);
  });
});

describe('which OOF numbers are with and without TTA', () => {
  it.each([
    [undefined, ''],
    [['identity'], ', no TTA'],
    [['identity', 'hflip'], ', TTA identity + hflip'],
  ] as const)('ttaLabel(%j) is %j', (ttas, label) => {
    expect(ttaLabel(ttas)).toBe(label);
  });

  it('labels stage 1 without TTA and stage 2 and the tuned score with it, in the page and summary.json', () => {
    const input = { ...handInput(), oofTta: { stage1: ['identity'], stage2: ['identity', 'hflip'] } };
    const html = headlineSection(input);
    expect(html).toContain('at logit 0, no TTA');
    expect(html).toContain('vs stage 1, TTA identity + hflip');
    expect(html).toContain('from threshold + min area, TTA identity + hflip');
    expect(html).toContain("Stage 1's OOF logits are training's own validation pass of its kept model (no TTA)");
    const summary = buildSummary(input);
    expect(summary.oof_tta).toEqual({ stage1: ['identity'], stage2: ['identity', 'hflip'] });
    expect(summarySchema.parse(JSON.parse(JSON.stringify(summary)))).toEqual(summary);
    // Without it (a report from before it was recorded) nothing is claimed.
    expect(headlineSection(handInput())).not.toContain('TTA');
    expect(buildSummary(handInput())).not.toHaveProperty('oof_tta');
  });
});

describe('how the folds were split', () => {
  it.each([
    [{ k: 5, seed: 42, stratify: 'coverage' as const }, 'Split: 5 folds stratified by coverage class (seed 42); no grouping (each image on its own).'],
    [
      { k: 3, seed: 7, stratify: 'depth' as const, groupBy: '^(.+)_\\d+\\.jpg$', groups: 12 },
      'Split: 3 folds stratified by depth quantile (seed 7); ids grouped by ^(.+)_\\d+\\.jpg$: 12 groups, each kept whole in one fold.',
    ],
  ])('%j reads as one sentence under the folds table and in summary.json', (split, sentence) => {
    expect(splitLine(split)).toBe(sentence);
    const input = { ...handInput(), split };
    expect(foldsSection(input)).toContain(sentence.replace(/</g, '&lt;'));
    expect(buildSummary(input).folds_split).toEqual({ k: split.k, seed: split.seed, stratify: split.stratify, group_by: 'groupBy' in split ? split.groupBy : null, groups: 'groups' in split ? split.groups : null });
  });

  it('is left out when the input does not say', () => {
    expect(foldsSection(handInput())).not.toContain('Split:');
    expect(buildSummary(handInput())).not.toHaveProperty('folds_split');
  });
});

describe('training curves in the run\'s metric', () => {
  it('labels the validation score with the metric, never mAP for another', () => {
    const html = trainingSection({ ...handInput(), metric: 'dice' });
    expect(html).toContain('val Dice');
    expect(html).not.toContain('mAP');
  });
});

describe('the empty-mask gate table', () => {
  const row = (p: number, emptied: number, kept: number, score: number) => ({
    probThreshold: p,
    logitThreshold: Math.log(p / (1 - p)),
    score,
    truthEmptyGateEmpty: emptied,
    truthEmptyGateKept: 4 - emptied,
    truthNonEmptyGateEmpty: 6 - kept,
    truthNonEmptyGateKept: kept,
  });

  it('shows each gate threshold’s split and marks the kept one', () => {
    const input = { ...handInput(), gate: { probThreshold: 0.5, scoreWithoutGate: 0.6, table: [row(0.1, 1, 6, 0.6), row(0.5, 3, 5, 0.7)] } };
    const html = confusionSection(input);
    expect(html).toContain('Empty-mask gate');
    // p 0.5: 3 of 4 empty images emptied (75 %), 1 of 6 with a mask emptied (17 %), accuracy (3 + 5) / 10.
    expect(html).toContain('<tr class="good"><td>0.500</td><td>0.000</td><td>75.0%</td><td>16.7%</td><td>80.0%</td><td>0.7000</td></tr>');
    expect(html).toContain('The gate is applied at p 0.500');
    expect(confusionSection({ ...input, gate: { ...input.gate, probThreshold: undefined } })).toContain('The gate is not applied');
    expect(confusionSection(handInput())).not.toContain('Empty-mask gate');
  });
});
