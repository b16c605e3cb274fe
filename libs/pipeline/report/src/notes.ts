import { metricInfo, sigmoid } from '@segkit/metrics';
import type { ReportInput } from './types';

/**
 * Internal inconsistencies worth a reader's attention but not worth losing a finished run's report
 * over (for example the confusion table not covering every OOF image). Each is one sentence.
 */
export function consistencyNotes(input: ReportInput): string[] {
  const notes: string[] = [];
  const c = input.confusion;
  const confusionTotal = c.truthEmptyPredEmpty + c.truthEmptyPredNonEmpty + c.truthNonEmptyPredEmpty + c.truthNonEmptyPredNonEmpty;
  const oofImages = input.folds.reduce((s, f) => s + f.nVal, 0);
  if (input.folds.length > 0 && confusionTotal !== oofImages) {
    notes.push(`The confusion table counts ${confusionTotal} images but the folds validate ${oofImages}.`);
  }
  const binTotal = input.coverageBins.reduce((s, b) => s + b.count, 0);
  if (input.coverageBins.length > 0 && binTotal !== confusionTotal) {
    notes.push(`The coverage bins count ${binTotal} images but the confusion table counts ${confusionTotal}.`);
  }
  if (Math.abs(sigmoid(input.logitThreshold) - input.probThreshold) > 1e-3) {
    notes.push(
      `The chosen logit threshold ${input.logitThreshold} is probability ${sigmoid(input.logitThreshold).toFixed(4)}, not the reported ${input.probThreshold}.`,
    );
  }
  if (input.thresholdCurve.length > 0 && !input.thresholdCurve.some((p) => Math.abs(p.probThreshold - input.probThreshold) < 1e-9)) {
    notes.push(`The chosen probability threshold ${input.probThreshold} is not a point of the threshold sweep.`);
  }
  if (input.minAreaCurve.length > 0 && !input.minAreaCurve.some((p) => p.minArea === input.minArea)) {
    notes.push(`The chosen min area ${input.minArea} is not a point of the min-area sweep.`);
  }
  if (input.oofScoreTuned < input.oofScoreStage2) {
    notes.push(`Tuning lowered the OOF ${metricInfo(input.metric).label} (${input.oofScoreStage2} at logit 0 to ${input.oofScoreTuned}); the sweep should include logit 0 and min area 0.`);
  }
  for (const f of input.folds) {
    const bad = f.history.filter((r) => !Number.isFinite(r.loss) || !Number.isFinite(r.val_loss));
    if (bad.length > 0) {
      const first = bad[0];
      notes.push(`Fold ${f.fold} has ${bad.length} epoch(s) with a non-finite loss, first at stage ${first.stage} epoch ${first.epoch}.`);
    }
  }
  return notes;
}
