import { join } from 'node:path';
import { atomicWriteFile, writeJsonArtifact } from '@segkit/io';
import { curvesCsv } from '@segkit/train';
import { renderHtml, renderPictures } from './render';
import { buildSummary, summarySchema } from './summary';
import type { ReportInput } from './types';

/** Every fold's training curve in one CSV: `fold` then the columns of the trainer's log.csv. */
export function foldCurvesCsv(input: ReportInput): string {
  const rows = input.folds.flatMap((f) => f.history);
  const folds = input.folds.flatMap((f) => f.history.map(() => f.fold));
  return curvesCsv(rows, { name: 'fold', values: folds });
}

/**
 * Writes `outDir/index.html`, `outDir/summary.json` and `outDir/curves.csv`. Everything is rendered in memory first, so
 * invalid input writes nothing; each file is then written atomically (temp file + rename), which
 * leaves any other files in `outDir` (models, submission) untouched and replaces a previous report.
 */
export async function writeReport(outDir: string, input: ReportInput): Promise<void> {
  const summary = buildSummary(input);
  const html = renderHtml(input, await renderPictures(input));
  writeJsonArtifact(join(outDir, 'summary.json'), summarySchema, summary, 'report');
  atomicWriteFile(join(outDir, 'curves.csv'), foldCurvesCsv(input));
  atomicWriteFile(join(outDir, 'index.html'), html);
}
