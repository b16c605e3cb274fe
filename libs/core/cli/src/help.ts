/**
 * `--help` text from the same flag tables the parser reads: one line per flag with what it does
 * and its default, so the help lists exactly the flags a command accepts.
 */
import { FlagSpec, FlagSpecs } from './flags';

/** A titled group of flags (`flags:`, `Slurm (with --slurm):`). */
export interface FlagGroup {
  title: string;
  flags: FlagSpecs;
}

export interface HelpText {
  /** The usage line(s), without the leading `usage: `. */
  usage: string | readonly string[];
  /** What the command does, in a sentence or two (wrapped to 100 columns). */
  summary?: string;
  /** Sections before the flags, e.g. the steps of a command with subcommands. */
  sections?: readonly { title: string; lines: readonly string[] }[];
  /** The flags, in the order they are listed; one table, or titled groups. */
  flags: FlagSpecs | readonly FlagGroup[];
  /** Lines after the flags (environment variables, pointers to more help). */
  footer?: readonly string[];
}

/** Widest left column before a description moves to a line of its own. */
const MAX_LEFT = 32;
/** Width the summary is wrapped to. */
const WRAP = 100;

/** Words of a paragraph in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width = WRAP): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** `-h, --help` / `    --data <dir>`: a flag as the help's left column shows it. */
export function flagSyntax(name: string, spec: FlagSpec): string {
  const long = `--${name}${spec.value === undefined ? '' : ` ${spec.value}`}${spec.repeatable ? ' ...' : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

/** A flag's description with its default, as one line. */
export function flagDescription(spec: FlagSpec): string {
  return spec.default === undefined ? spec.description : `${spec.description} (default: ${spec.default})`;
}

/** One line per flag (two when the flag's syntax is too wide), the descriptions aligned. */
export function flagLines(flags: FlagSpecs, width?: number): string[] {
  const entries = Object.entries(flags).map(([name, spec]) => [flagSyntax(name, spec), flagDescription(spec)] as const);
  const left = width ?? Math.min(MAX_LEFT, Math.max(0, ...entries.map(([s]) => s.length)));
  return entries.flatMap(([syntax, description]) =>
    syntax.length <= left ? [`  ${syntax.padEnd(left)}  ${description}`] : [`  ${syntax}`, `  ${' '.repeat(left)}  ${description}`],
  );
}

function groups(flags: HelpText['flags']): readonly FlagGroup[] {
  return Array.isArray(flags) ? (flags as readonly FlagGroup[]) : [{ title: 'flags', flags: flags as FlagSpecs }];
}

/** The full help: usage, summary, sections, the flags (aligned across groups), footer. */
export function formatHelp(help: HelpText): string {
  const usage = typeof help.usage === 'string' ? [help.usage] : help.usage;
  const out: string[] = usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}${u}`);
  if (help.summary) out.push('', ...wrap(help.summary));
  for (const section of help.sections ?? []) out.push('', `${section.title}:`, ...section.lines.map((l) => `  ${l}`));
  const all = groups(help.flags);
  const width = Math.min(MAX_LEFT, Math.max(0, ...all.flatMap((g) => Object.entries(g.flags).map(([n, s]) => flagSyntax(n, s).length))));
  for (const group of all) out.push('', `${group.title}:`, ...flagLines(group.flags, width));
  if (help.footer && help.footer.length > 0) out.push('', ...help.footer);
  return out.join('\n') + '\n';
}


/** The names of the flags a help text lists (its flag lines), for checking it against a flag table. */
export function listedFlags(help: string): string[] {
  return help
    .split('\n')
    .map((l) => /^ {2}(?:-\w, | {4})--([a-z][a-z0-9-]*)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}
