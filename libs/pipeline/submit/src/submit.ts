/**
 * The submit step: the ensembled test logits binarised at the tuned point into a submission in
 * the sample submission's order, validated row by row, and its summary recorded.
 */
import { EnsembleMeta, ensemblePaths, ensembleTestPath, readEnsembleGate, readEnsembleMeta } from '@segkit/ensemble';
import { UserError } from '@segkit/io';
import type { SubmissionFormat } from '@segkit/layouts';
import { readTuneRecord } from '@segkit/tune';
import { SubmissionSummary, submissionPaths, writeSubmissionSummary } from './artifacts';
import { validateSubmission, writeSubmission } from './submission';

/** Fails unless the sample submission lists exactly the predicted test ids, in the same order. */
export function checkSampleIds(samplePath: string, sampleIds: readonly string[], testIds: readonly string[]): void {
  if (sampleIds.length !== testIds.length) {
    throw new UserError(`${samplePath}: ${sampleIds.length} ids, the predicted test set has ${testIds.length}; rerun predict`);
  }
  const k = sampleIds.findIndex((id, i) => id !== testIds[i]);
  if (k !== -1) throw new UserError(`${samplePath}: ids differ from the predicted test ids (row ${k + 1}: ${sampleIds[k]}, predicted ${testIds[k]}); rerun predict`);
}

export interface SubmitRunInput {
  workDir: string;
  /** The work directory whose ensemble is submitted (a pseudo-label round's, see @segkit/run's roundWorkDir); default `workDir`. */
  ensembleDir?: string;
  /** The sample submission's ids, in its order, and its path (for messages). */
  sampleIds: readonly string[];
  samplePath: string;
  /** The competition's submission format (the layout descriptor's `submission`). */
  format: SubmissionFormat;
}

/** Reads the tune record and the ensemble, writes `submission.csv` and `summary.json`, returns the summary. */
export function submitRun(input: SubmitRunInput): SubmissionSummary {
  const { workDir } = input;
  const ensembleDir = input.ensembleDir ?? workDir;
  const tuned = readTuneRecord(workDir);
  const meta = readEnsembleMeta(ensembleDir);
  checkSampleIds(input.samplePath, input.sampleIds, meta.testIds);
  const paths = submissionPaths(workDir);
  const summary = writeSubmission({
    testIds: meta.testIds,
    testLogitsPath: ensembleTestPath(ensembleDir, meta),
    height: meta.height,
    width: meta.width,
    logitThreshold: tuned.logitThreshold,
    minArea: tuned.minArea,
    topLogitThreshold: tuned.topLogitThreshold,
    ...(tuned.gateLogitThreshold === undefined ? {} : { gate: { logits: requireGate(ensembleDir, meta), logitThreshold: tuned.gateLogitThreshold } }),
    outPath: paths.csv,
    format: input.format,
    ...(meta.testSizes ? { sizes: meta.testSizes } : {}),
  });
  validateSubmission(paths.csv, input.sampleIds, meta.height, meta.width, input.format, meta.testSizes);
  writeSubmissionSummary(workDir, summary);
  return summary;
}

/** The ensemble's test gate logits, which a tune record with a gate threshold needs. */
function requireGate(ensembleDir: string, meta: EnsembleMeta): Float32Array {
  const gate = readEnsembleGate(ensembleDir, 'test', meta);
  if (!gate) throw new UserError(`${ensemblePaths(ensembleDir).meta}: no empty-mask gate logits, but the tune record has a gate threshold; rerun the ensemble and tune steps`);
  return gate;
}
