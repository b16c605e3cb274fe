/**
 * The files @segkit/submit owns under `<work>/submission/` (paths from @segkit/run's layout):
 * `submission.csv` (see writeSubmission / readRleRows) and `summary.json`, what the submit step
 * made. Nobody else parses them; a damaged or foreign summary is a UserError naming the field.
 */
import { z } from 'zod';
import { readJsonArtifact, writeJsonArtifact } from '@segkit/io';
import { runLayout } from '@segkit/run';

/** The submission's paths under a work directory. */
export function submissionPaths(workDir: string) {
  return runLayout(workDir).submission;
}

export const submissionSummarySchema = z
  .object({
    /** Where the submission was written. */
    path: z.string().min(1),
    rows: z.number().int().nonnegative(),
    /** Test images (one row each, or one row per predicted object and one for an image without). */
    images: z.number().int().nonnegative(),
    /** Images with a non-empty mask. */
    nonEmpty: z.number().int().nonnegative(),
  })
  .strict()
  .refine((s) => s.images <= s.rows, { message: 'exceeds rows', path: ['images'] })
  .refine((s) => s.nonEmpty <= s.images, { message: 'exceeds images', path: ['nonEmpty'] });
export type SubmissionSummary = z.infer<typeof submissionSummarySchema>;

export function writeSubmissionSummary(workDir: string, summary: SubmissionSummary): void {
  writeJsonArtifact(submissionPaths(workDir).summary, submissionSummarySchema, summary, 'submit');
}

export function readSubmissionSummary(workDir: string): SubmissionSummary {
  return readJsonArtifact(submissionPaths(workDir).summary, submissionSummarySchema, 'submit');
}
