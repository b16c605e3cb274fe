import { readFileSync } from 'node:fs';
import { atomicWriteFile, requireArtifact, UserError } from '@segkit/io';
import { runLayout } from '@segkit/run';

const HEADER = 'id,fold';

/**
 * Writes `id,fold` rows sorted by id (code-unit order), atomically, so the same assignment always
 * gives the same bytes whatever the Map's insertion order.
 */
export function writeFoldsCsv(path: string, folds: Map<string, number>): void {
  const ids = [...folds.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [HEADER];
  for (const id of ids) {
    const fold = folds.get(id) as number;
    if (!Number.isInteger(fold) || fold < 0) throw new RangeError(`fold of "${id}" must be a non-negative integer, got ${fold}`);
    if (/[,"\r\n]/.test(id)) throw new RangeError(`id "${id}" cannot be written to a folds CSV (contains a comma, quote or newline)`);
    lines.push(`${id},${fold}`);
  }
  atomicWriteFile(path, lines.join('\n') + '\n');
}

/**
 * Reads a folds CSV written by {@link writeFoldsCsv} (or by hand). Rejects, with a UserError naming
 * the file and 1-based line: a wrong header, a row without exactly two fields, an empty or
 * duplicate id, a fold that is not a non-negative integer, an id not in `expectedIds`, ids of
 * `expectedIds` missing from the file, and folds not numbered 0..k−1 without gaps.
 */
export function readFoldsCsv(path: string, expectedIds?: readonly string[]): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  const expected = expectedIds ? new Set(expectedIds) : undefined;
  const folds = new Map<string, number>();
  const lineOf = new Map<string, number>();
  let sawHeader = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const where = `${path} line ${i + 1}`;
    if (line.trim() === '') continue;
    if (!sawHeader) {
      if (line.trim() !== HEADER) throw new UserError(`${where}: header must be "${HEADER}", got "${line}"`);
      sawHeader = true;
      continue;
    }
    const fields = line.split(',');
    if (fields.length !== 2) throw new UserError(`${where}: expected 2 fields (${HEADER}), got ${fields.length}`);
    const id = fields[0].trim();
    const foldText = fields[1].trim();
    if (id === '') throw new UserError(`${where}: empty id`);
    if (lineOf.has(id)) throw new UserError(`${where}: duplicate id "${id}" (first seen on line ${lineOf.get(id)})`);
    if (!/^\d+$/.test(foldText)) throw new UserError(`${where} (id ${id}): fold "${fields[1]}" is not a non-negative integer`);
    if (expected && !expected.has(id)) throw new UserError(`${where}: id "${id}" is not in the training set`);
    folds.set(id, Number(foldText));
    lineOf.set(id, i + 1);
  }
  if (!sawHeader) throw new UserError(`${path}: empty file, expected the header "${HEADER}"`);
  if (expected) {
    const missing = [...expected].filter((id) => !folds.has(id));
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).map((id) => `"${id}"`).join(', ');
      throw new UserError(`${path}: ${missing.length} training id(s) have no fold: ${shown}${missing.length > 5 ? ', ...' : ''}`);
    }
  }
  const used = new Set(folds.values());
  const k = used.size === 0 ? 0 : Math.max(...used) + 1;
  for (let f = 0; f < k; f++) {
    if (!used.has(f)) throw new UserError(`${path}: folds must be numbered 0..${k - 1} without gaps, but fold ${f} has no rows`);
  }
  return folds;
}

/** Saves a run's folds to its `folds.csv` (path from @segkit/run's layout). */
export function writeRunFolds(workDir: string, folds: ReadonlyMap<string, number>): string {
  const path = runLayout(workDir).folds;
  writeFoldsCsv(path, folds as Map<string, number>);
  return path;
}

/** A run's folds, checked against the train ids (see {@link readFoldsCsv}). */
export function readRunFolds(workDir: string, trainIds: readonly string[]): Map<string, number> {
  return readFoldsCsv(requireArtifact(runLayout(workDir).folds, 'folds'), trainIds);
}
