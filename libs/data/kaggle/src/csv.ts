import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UserError } from '@segkit/io';

/** One data row of a CSV file with its 1-based line number in the file (the header is line 1). */
export interface CsvRow {
  line: number;
  fields: string[];
}

/**
 * Reads a small Kaggle CSV (`id,...`) and checks its header exactly. Every error is a
 * {@link UserError} naming the file and, where there is one, the 1-based line. A UTF-8 byte order
 * mark and blank lines are tolerated; a row with the wrong number of fields is not.
 */
export function readCsv(file: string, header: readonly string[]): CsvRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (err) {
    throw new UserError(`${file}: not valid CSV (${(err as Error).message})`);
  }
  const expected = header.join(',');
  if (records.length === 0) throw new UserError(`${file}: empty file, expected the header "${expected}"`);
  const got = records[0].record.join(',');
  if (got !== expected) throw new UserError(`${file} line ${records[0].info.lines}: header must be "${expected}", got "${got}"`);
  const rows: CsvRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    if (record.length !== header.length) {
      throw new UserError(`${file} line ${info.lines}: expected ${header.length} fields (${expected}), got ${record.length}`);
    }
    rows.push({ line: info.lines, fields: record });
  }
  return rows;
}

/**
 * Rows keyed by their first field (`id`), rejecting empty and duplicate ids. `Map` keeps the
 * file's row order, which `sample_submission.csv` defines for the test set.
 */
export function rowsById(file: string, rows: CsvRow[]): Map<string, CsvRow> {
  const byId = new Map<string, CsvRow>();
  for (const row of rows) {
    const id = row.fields[0].trim();
    if (id === '') throw new UserError(`${file} line ${row.line}: empty id`);
    const prev = byId.get(id);
    if (prev) throw new UserError(`${file} line ${row.line}: duplicate id "${id}" (first seen on line ${prev.line})`);
    byId.set(id, row);
  }
  return byId;
}
