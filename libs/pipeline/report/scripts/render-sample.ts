/**
 * Renders the sample report to a directory for a visual check:
 *   npx tsx libs/pipeline/report/scripts/render-sample.ts <outDir>
 */
import { runCli, UserError } from '@segkit/io';
import { writeReport } from '../src';
import { sampleReportInput } from '../fixtures/sample';

runCli(async () => {
  const outDir = process.argv[2];
  if (!outDir) throw new UserError('usage: render-sample.ts <outDir>');
  const started = Date.now();
  await writeReport(outDir, sampleReportInput());
  process.stdout.write(`wrote ${outDir}/index.html and summary.json in ${Date.now() - started} ms\n`);
});
