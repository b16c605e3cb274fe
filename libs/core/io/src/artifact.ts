import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { atomicWriteFile } from './atomic';
import { UserError } from './errors';

/**
 * Reads and validates a JSON artifact. Every failure is a {@link UserError} naming the file and,
 * for a value of the wrong shape, the first offending field (`stage1.bestValScore: expected number`),
 * so a damaged, truncated or foreign file stops the step that reads it with one clear line.
 * `producedBy` names the step that writes the file, for the "missing" message.
 */
export function readJsonArtifact<S extends z.ZodTypeAny>(path: string, schema: S, producedBy: string): z.infer<S> {
  if (!existsSync(path)) throw new UserError(`${path} is missing: run the ${producedBy} step first`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message}); rerun the ${producedBy} step`);
  }
  return parseArtifact(path, schema, raw, producedBy);
}

/** Validates an already parsed value against an artifact schema (see {@link readJsonArtifact}). */
export function parseArtifact<S extends z.ZodTypeAny>(path: string, schema: S, raw: unknown, producedBy: string): z.infer<S> {
  const res = schema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new UserError(`${path}: ${field}: ${issue.message}; the file is damaged or from another version, rerun the ${producedBy} step`);
  }
  return res.data;
}

/** Fails with a {@link UserError} when a file another step writes does not exist. */
export function requireArtifact(path: string, producedBy: string): string {
  if (!existsSync(path)) throw new UserError(`${path} is missing: run the ${producedBy} step first`);
  return path;
}

/**
 * A writer produced a record its own reader rejects: a bug in the writing step (exit status 2),
 * caught before the file exists, so the next step never blames a "damaged" file.
 */
export class InvalidArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArtifactError';
  }
}

/**
 * Writes a JSON artifact atomically (see atomicWriteFile) after validating it, as serialised, with
 * the same zod schema its reader uses — so a writer can never leave a file its reader rejects.
 * An invalid record is an {@link InvalidArtifactError} naming the file, the first bad field and
 * `producedBy` (the writing step), and nothing is written.
 */
export function writeJsonArtifact<S extends z.ZodTypeAny>(path: string, schema: S, record: z.input<S> | z.infer<S>, producedBy: string): void {
  const text = JSON.stringify(record, null, 2) + '\n';
  // Validate what the reader will see: JSON turns NaN into null and drops undefined fields.
  const res = schema.safeParse(JSON.parse(text));
  if (!res.success) {
    const issue = res.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new InvalidArtifactError(`bug in the writer of ${path} (${producedBy}): ${field}: ${issue.message}; its own reader would reject the record, so nothing was written`);
  }
  atomicWriteFile(path, text);
}
