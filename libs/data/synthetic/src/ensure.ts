/**
 * The stamp a generated competition carries, `<data>/synthetic.json` (owner: this lib): the
 * options it was generated from and its summary, so the data step regenerates only when the
 * configured options change.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { readJsonArtifact, UserError, writeJsonArtifact } from '@segkit/io';
import { syntheticStampPath } from '@segkit/run';
import { SyntheticSummary } from './generate';
import { generateLayoutSynthetic, type LayoutSyntheticOptions } from './layout-generate';

const count = z.number().int().nonnegative();
const stampSchema = z
  .object({
    options: z.object({ nTrain: count, nTest: count, size: z.number().int().positive(), seed: z.number().int(), layout: z.string().optional() }).strict(),
    summary: z.object({ nTrain: count, nTest: count, emptyFraction: z.number().min(0).max(1), meanCoverage: z.number().min(0).max(1) }).strict(),
  })
  .strict();
export type SyntheticStamp = z.infer<typeof stampSchema>;

export { syntheticStampPath };

/** A folder's stamp, validated (a UserError naming the file and field when damaged), or undefined when it has none. */
export function readSyntheticStamp(outDir: string): SyntheticStamp | undefined {
  const path = syntheticStampPath(outDir);
  return existsSync(path) ? readJsonArtifact(path, stampSchema, 'data') : undefined;
}

export interface EnsureSyntheticOptions extends LayoutSyntheticOptions {
  size: number;
  /** Told why the competition is (re)generated. */
  log?: (message: string) => void;
}

/**
 * Generates the synthetic competition into `outDir` unless the folder already holds one generated
 * from the same options (per its stamp) and its hidden test truth exists. A damaged stamp means
 * regenerating, not failing: the folder is this lib's to rewrite. Returns the summary and whether
 * it was generated now.
 */
export async function ensureSynthetic(opts: EnsureSyntheticOptions): Promise<{ summary: SyntheticSummary; generated: boolean }> {
  // A TGS stamp keeps its old shape (no layout), so folders generated before layouts stay current.
  const layout = opts.layout === undefined || opts.layout === 'tgs' ? {} : { layout: opts.layout };
  const wanted = { nTrain: opts.nTrain, nTest: opts.nTest, size: opts.size, seed: opts.seed, ...layout };
  let previous: SyntheticStamp | undefined;
  try {
    previous = readSyntheticStamp(opts.outDir);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    opts.log?.(`${err.message.split(';')[0]}: regenerating`);
  }
  if (previous && existsSync(opts.truthPath) && JSON.stringify(previous.options) === JSON.stringify(wanted)) return { summary: previous.summary, generated: false };
  const summary = await generateLayoutSynthetic(opts);
  writeJsonArtifact(syntheticStampPath(opts.outDir), stampSchema, { options: wanted, summary } satisfies SyntheticStamp, 'data');
  return { summary, generated: true };
}
