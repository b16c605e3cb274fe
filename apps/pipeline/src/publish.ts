import { copyFileSync, cpSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteDir, log, tempPathFor, UserError } from '@tgs/io';
import { workPaths } from './context';

/**
 * Copies the run's submission.csv, report/ and bundle/ from the work directory into `outDir` and
 * prints the headline numbers. A run whose report says training failed (see the tune step's
 * health checks) gets its warnings printed; a worthless one gets only its report copied, and
 * fails, unless `allowWorthless`.
 */
export async function publishOutputs(workDir: string, outDir: string, opts: { allowWorthless?: boolean } = {}): Promise<void> {
  const paths = workPaths(workDir);
  await atomicWriteDir(join(outDir, 'report'), (tmp) => cpSync(paths.report, tmp, { recursive: true }));
  const health = JSON.parse(readFileSync(join(outDir, 'report', 'summary.json'), 'utf8')) as { warnings?: string[]; worthless?: boolean };
  for (const w of health.warnings ?? []) log('pipeline', `WARNING: ${w}`);
  if (health.worthless && !opts.allowWorthless) {
    throw new UserError(
      `the submission is worthless (${(health.warnings ?? []).join('; ')}); not written to ${outDir} (the report is: ${join(outDir, 'report', 'index.html')}). ` +
        'Fix the training (usually a lower learning rate) or pass --allow-worthless to write it anyway',
    );
  }
  await atomicWriteDir(join(outDir, 'bundle'), (tmp) => cpSync(paths.bundle, tmp, { recursive: true }));
  const finalSub = join(outDir, 'submission.csv');
  const tmpSub = tempPathFor(finalSub);
  copyFileSync(paths.submission, tmpSub);
  renameSync(tmpSub, finalSub);
  const summary = JSON.parse(readFileSync(join(outDir, 'report', 'summary.json'), 'utf8')) as Record<string, unknown>;
  log('pipeline', `submission: ${join(outDir, 'submission.csv')}`);
  log('pipeline', `report:     ${join(outDir, 'report', 'index.html')}`);
  log('pipeline', `bundle:     ${join(outDir, 'bundle')} (npm run infer -- --bundle ${join(outDir, 'bundle')} --images <dir>)`);
  const fmt = (k: string) => (typeof summary[k] === 'number' ? (summary[k] as number).toFixed(4) : String(summary[k]));
  log('pipeline', `OOF mAP stage 1 ${fmt('oof_mAP_stage1')}, stage 2 ${fmt('oof_mAP_stage2')}, tuned ${fmt('oof_mAP_tuned')} at p=${fmt('prob_threshold')} (logit ${fmt('logit_threshold')}), min area ${summary.min_area}`);
  if (typeof summary.test_mAP === 'number') log('pipeline', `test mAP against the synthetic competition's hidden masks: ${fmt('test_mAP')}`);
}
