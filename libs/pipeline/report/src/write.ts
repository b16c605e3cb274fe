import { join } from 'node:path';
import { atomicWriteFile } from '@tgs/io';
import { renderHtml, renderPictures } from './render';
import { buildSummary } from './summary';
import type { ReportInput } from './types';

/**
 * Writes `outDir/index.html` and `outDir/summary.json`. Everything is rendered in memory first, so
 * invalid input writes nothing; each file is then written atomically (temp file + rename), which
 * leaves any other files in `outDir` (models, submission) untouched and replaces a previous report.
 */
export async function writeReport(outDir: string, input: ReportInput): Promise<void> {
  const summary = buildSummary(input);
  const html = renderHtml(input, await renderPictures(input));
  atomicWriteFile(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  atomicWriteFile(join(outDir, 'index.html'), html);
}
