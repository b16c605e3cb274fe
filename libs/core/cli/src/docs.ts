/**
 * Checks of a README's flag tables against the flag tables the parser reads, so the documentation
 * cannot drift from the code: every flag documented, no flag documented that does not exist, and
 * each one's default as the code states it.
 */
import { FlagSpecs } from './flags';

/** The cells of a Markdown table row, trimmed (`\|` inside a cell is a literal `|`). */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/**
 * The body rows of the first Markdown table after the first line containing `marker`, as cells
 * (header and rule left out); an empty list when there is no such line or table.
 */
export function markdownTable(markdown: string, marker: string): string[][] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.includes(marker));
  if (at < 0) return [];
  let start = at + 1;
  while (start < lines.length && !lines[start].startsWith('|')) start++;
  const rows: string[][] = [];
  for (let i = start; i < lines.length && lines[i].startsWith('|'); i++) rows.push(cells(lines[i]));
  return rows.slice(2);
}

/** Text of a cell as plain words: code spans unwrapped. */
export function plainCell(cell: string): string {
  return cell.replace(/`/g, '');
}

/**
 * What a Markdown flag table (first cell: the flags, as `` `--name <value>` ``; last cell: the
 * default) gets wrong about a flag table: flags it lacks or has in excess, and defaults that differ
 * from the code's (a row of several flags gives their distinct defaults joined by ", "). `--help`
 * may be left out.
 */
export function flagTableMismatches(rows: readonly string[][], flags: FlagSpecs): string[] {
  const problems: string[] = [];
  const documented = new Set<string>();
  for (const row of rows) {
    const names = [...row[0].matchAll(/`--([a-z][a-z0-9-]*)[ `]/g)].map((m) => m[1]);
    if (names.length === 0) continue;
    for (const name of names) {
      if (!Object.hasOwn(flags, name)) problems.push(`--${name} is documented but not a flag`);
      documented.add(name);
    }
    const known = names.filter((n) => Object.hasOwn(flags, n));
    const expected = [...new Set(known.map((n) => flags[n].default ?? ''))].join(', ');
    const actual = plainCell(row[row.length - 1]);
    if (known.length > 0 && actual !== expected) problems.push(`${names.map((n) => `--${n}`).join(', ')}: the default reads "${actual}", the code's is "${expected}"`);
  }
  for (const name of Object.keys(flags)) if (name !== 'help' && !documented.has(name)) problems.push(`--${name} is not documented`);
  return problems;
}

/**
 * The names a module's source exports: `export { a, b as c } from …`, `export type { … }`, and
 * `export const|let|function|class|interface|type|enum name`. An `export *` cannot be listed from
 * the text, so it is an error: an index that re-exports everything has no API a README can name.
 */
export function exportedNames(source: string): string[] {
  if (/^\s*export\s+\*/m.test(source)) throw new Error('export * hides the exported names; list them');
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const names: string[] = [];
  for (const m of code.matchAll(/\bexport\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()?.trim();
      if (name) names.push(name);
    }
  }
  for (const m of code.matchAll(/\bexport\s+(?:declare\s+)?(?:async\s+)?(?:const|let|function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) names.push(m[1]);
  return [...new Set(names)];
}

/** The exported names a README does not mention as a word. */
export function undocumentedExports(names: readonly string[], readme: string): string[] {
  return names.filter((n) => !new RegExp(`(?<![\\w$])${n.replace(/\$/g, '\\$')}(?![\\w$])`).test(readme));
}
