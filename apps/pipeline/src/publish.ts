import { cpSync, rmSync } from 'node:fs';
import { atomicCopyFile, atomicWriteDir, log, UserError } from '@segkit/io';
import { CROP_BUNDLE_REFUSAL } from '@segkit/infer';
import { metricInfo } from '@segkit/metrics';
import { readSummary } from '@segkit/report';
import { outLayout, runLayout } from '@segkit/run';

/**
 * Copies the run's submission.csv, report/ and bundle/ from the work directory into `outDir` and
 * prints the headline numbers. A run whose report says training failed (see the tune step's
 * health checks) gets its warnings printed; a worthless one gets only its report copied, and
 * fails, unless `allowWorthless`.
 */
export async function publishOutputs(workDir: string, outDir: string, opts: { allowWorthless?: boolean; noBundle?: boolean } = {}): Promise<void> {
  const layout = runLayout(workDir);
  // Through the report's reader: a damaged summary stops here, naming the file and the field.
  const summary = readSummary(layout.report.summary);
  const out = outLayout(outDir);
  await atomicWriteDir(out.report, (tmp) => cpSync(layout.report.dir, tmp, { recursive: true }));
  for (const w of summary.warnings) log('pipeline', `WARNING: ${w}`);
  if (summary.worthless && !opts.allowWorthless) {
    throw new UserError(
      `the submission is worthless (${summary.warnings.join('; ')}); not written to ${outDir} (the report is: ${out.reportHtml}). ` +
        'Fix the training (usually a lower learning rate) or pass --allow-worthless to write it anyway',
    );
  }
  // input.mode "crop" writes no bundle (CROP_BUNDLE_REFUSAL): none is published, and no older one kept.
  if (opts.noBundle) rmSync(out.bundle, { recursive: true, force: true });
  else await atomicWriteDir(out.bundle, (tmp) => cpSync(layout.bundle.dir, tmp, { recursive: true }));
  atomicCopyFile(layout.submission.csv, out.submission);
  log('pipeline', `submission: ${out.submission}`);
  log('pipeline', `report:     ${out.reportHtml}`);
  log('pipeline', opts.noBundle ? `bundle:     none (${CROP_BUNDLE_REFUSAL})` : `bundle:     ${out.bundle} (npm run infer -- --bundle ${out.bundle} --images <dir>)`);
  const f = (v: number) => v.toFixed(4);
  log(
    'pipeline',
    `OOF ${metricInfo(summary.metric).label} stage 1 ${f(summary.oof_score_stage1)}, stage 2 ${f(summary.oof_score_stage2)}, tuned ${f(summary.oof_score_tuned)} at p=${f(summary.prob_threshold)} (logit ${f(summary.logit_threshold)}), min area ${summary.min_area}`,
  );
  if (summary.test_score !== null) log('pipeline', `test ${metricInfo(summary.metric).label} against the synthetic competition's hidden masks: ${f(summary.test_score)}`);
}
