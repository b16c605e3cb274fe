import { sigmoid } from '@tgs/metrics';
import type { ReportInput, WorstImage } from './types';

/**
 * The report input is produced by the pipeline, not typed by a user, so an invalid value is a bug
 * upstream; the error names the offending field (`folds[2].oofMapStage1`) or image id.
 */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(`report input: ${message}`);
    this.name = 'ReportInputError';
  }
}

function fail(message: string): never {
  throw new ReportInputError(message);
}

function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

function finite(v: unknown, field: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field} must be a finite number, got ${describe(v)}`);
}

/** An mAP, IoU or per-image score: a number in [0, 1]. */
function unitInterval(v: unknown, field: string): void {
  finite(v, field);
  if ((v as number) < 0 || (v as number) > 1) fail(`${field} must be in [0, 1], got ${describe(v)}`);
}

function count(v: unknown, field: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${field} must be a non-negative integer, got ${describe(v)}`);
}

function nonNegative(v: unknown, field: string): void {
  finite(v, field);
  if ((v as number) < 0) fail(`${field} must be >= 0, got ${describe(v)}`);
}

function text(v: unknown, field: string): void {
  if (typeof v !== 'string') fail(`${field} must be a string, got ${describe(v)}`);
}

function list(v: unknown, field: string): void {
  if (!Array.isArray(v)) fail(`${field} must be an array, got ${describe(v)}`);
}

function validateWorst(w: WorstImage, i: number): void {
  const field = `worst[${i}]`;
  text(w.id, `${field}.id`);
  const who = `worst image ${JSON.stringify(w.id)}`;
  unitInterval(w.score, `${field}.score (${who})`);
  unitInterval(w.iou, `${field}.iou (${who})`);
  if (!Number.isInteger(w.height) || w.height <= 0 || !Number.isInteger(w.width) || w.width <= 0) {
    fail(`${who}: height and width must be positive integers, got ${describe(w.height)}x${describe(w.width)}`);
  }
  const n = w.height * w.width;
  for (const key of ['image', 'truth', 'pred'] as const) {
    const buf = w[key];
    if (!(buf instanceof Uint8Array)) fail(`${who}: ${key} must be a Uint8Array`);
    if (buf.length !== n) fail(`${who}: ${key} has ${buf.length} values, expected height*width = ${w.height}*${w.width} = ${n}`);
  }
  for (const key of ['truth', 'pred'] as const) {
    const buf = w[key];
    for (let j = 0; j < n; j++) {
      if (buf[j] > 1) fail(`${who}: ${key} must be a 0/1 mask, found ${buf[j]} at row ${Math.floor(j / w.width)}, column ${j % w.width}`);
    }
  }
}

/** Throws a `ReportInputError` naming the first invalid field; returns normally otherwise. */
export function validateReportInput(input: ReportInput): void {
  if (input === null || typeof input !== 'object') fail('expected an object');
  text(input.title, 'title');
  text(input.createdAt, 'createdAt');
  text(input.backend, 'backend');
  for (const key of ['oofMapStage1', 'oofMapStage2', 'oofMapTuned', 'allEmptyBaseline', 'probThreshold'] as const) {
    unitInterval(input[key], key);
  }
  if (input.testMap !== undefined) unitInterval(input.testMap, 'testMap');
  finite(input.logitThreshold, 'logitThreshold');
  nonNegative(input.minArea, 'minArea');

  if (input.timings === null || typeof input.timings !== 'object') fail('timings must be an object of seconds per step');
  for (const [step, seconds] of Object.entries(input.timings)) nonNegative(seconds, `timings.${step}`);

  list(input.folds, 'folds');
  input.folds.forEach((f, i) => {
    const field = `folds[${i}]`;
    count(f.fold, `${field}.fold`);
    count(f.nTrain, `${field}.nTrain`);
    count(f.nVal, `${field}.nVal`);
    unitInterval(f.oofMapStage1, `${field}.oofMapStage1`);
    unitInterval(f.oofMapStage2, `${field}.oofMapStage2`);
    nonNegative(f.seconds, `${field}.seconds`);
    if (f.device !== undefined) text(f.device, `${field}.device`);
    for (const stage of ['stage1', 'stage2'] as const) {
      const s = f[stage];
      if (s === null || typeof s !== 'object') fail(`${field}.${stage} must be an object`);
      count(s.bestEpoch, `${field}.${stage}.bestEpoch`);
      count(s.epochs, `${field}.${stage}.epochs`);
      unitInterval(s.bestValMap, `${field}.${stage}.bestValMap`);
    }
    list(f.history, `${field}.history`);
    f.history.forEach((row, j) => {
      const rf = `${field}.history[${j}]`;
      if (row.stage !== 1 && row.stage !== 2) fail(`${rf}.stage must be 1 or 2, got ${describe(row.stage)}`);
      count(row.epoch, `${rf}.epoch`);
      unitInterval(row.val_mAP, `${rf}.val_mAP`);
      // A diverged run has NaN losses; that is a result to show, not a reason to lose the report.
      for (const k of ['loss', 'val_loss'] as const) {
        if (typeof row[k] !== 'number') fail(`${rf}.${k} must be a number, got ${describe(row[k])}`);
      }
      nonNegative(row.lr, `${rf}.lr`);
      nonNegative(row.seconds, `${rf}.seconds`);
    });
  });

  list(input.thresholdCurve, 'thresholdCurve');
  input.thresholdCurve.forEach((p, i) => {
    unitInterval(p.probThreshold, `thresholdCurve[${i}].probThreshold`);
    finite(p.logitThreshold, `thresholdCurve[${i}].logitThreshold`);
    unitInterval(p.map, `thresholdCurve[${i}].map`);
  });
  list(input.minAreaCurve, 'minAreaCurve');
  input.minAreaCurve.forEach((p, i) => {
    nonNegative(p.minArea, `minAreaCurve[${i}].minArea`);
    unitInterval(p.map, `minAreaCurve[${i}].map`);
  });
  list(input.coverageBins, 'coverageBins');
  input.coverageBins.forEach((b, i) => {
    text(b.label, `coverageBins[${i}].label`);
    count(b.count, `coverageBins[${i}].count`);
    // An empty bin has no mean; NaN is the honest value there and nowhere else.
    if (!(b.count === 0 && Number.isNaN(b.map))) unitInterval(b.map, `coverageBins[${i}].map`);
  });

  if (input.confusion === null || typeof input.confusion !== 'object') fail('confusion must be an object');
  for (const key of ['truthEmptyPredEmpty', 'truthEmptyPredNonEmpty', 'truthNonEmptyPredEmpty', 'truthNonEmptyPredNonEmpty'] as const) {
    count(input.confusion[key], `confusion.${key}`);
  }

  list(input.worst, 'worst');
  input.worst.forEach(validateWorst);

  if (input.submission === null || typeof input.submission !== 'object') fail('submission must be an object');
  text(input.submission.path, 'submission.path');
  count(input.submission.rows, 'submission.rows');
  count(input.submission.nonEmpty, 'submission.nonEmpty');
  if (input.submission.nonEmpty > input.submission.rows) {
    fail(`submission.nonEmpty (${input.submission.nonEmpty}) exceeds submission.rows (${input.submission.rows})`);
  }

  try {
    JSON.stringify(input.config);
  } catch (err) {
    fail(`config cannot be shown as JSON: ${(err as Error).message}`);
  }
}

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
  if (input.oofMapTuned < input.oofMapStage2) {
    notes.push(`Tuning lowered the OOF mAP (${input.oofMapStage2} at logit 0 to ${input.oofMapTuned}); the sweep should include logit 0 and min area 0.`);
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
