/**
 * Command-line flags as data: each entry point declares its flags once (name, value or switch,
 * repeatable, one-line description, default) and gets from that one table both the parsed values
 * and its `--help`, so the two cannot disagree.
 *
 * Accepted forms: `--name value`, `--name=value`, `--switch`, `-h` (a flag's `short`), and `--`
 * ending the flags (everything after it is positional). Anything else that starts with `-` is an
 * error naming it, as is a value flag without a value, a value given to a switch, or a
 * non-repeatable flag given twice: a typo never silently changes a run.
 */
import { UserError } from '@segkit/io';

export interface FlagSpec {
  /** The value's placeholder in the help (`<dir>`); a flag without one is a switch (true when given). */
  readonly value?: string;
  /** May be given more than once; the values are collected in order. */
  readonly repeatable?: boolean;
  /** A one-letter alias (`h` for `-h`). */
  readonly short?: string;
  /** What the flag does, in one line. */
  readonly description: string;
  /** The default as the help states it: a value, or what happens without the flag. */
  readonly default?: string;
}

/** Flags by name (`'cpus-per-task'` for `--cpus-per-task`), in the order the help lists them. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The parsed values: a string per value flag, a string array per repeatable one, `true` per switch given. */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]?: S[K] extends { readonly repeatable: true } ? string[] : S[K] extends { readonly value: string } ? string : true;
};

export interface ParsedFlags<S extends FlagSpecs> {
  values: FlagValues<S>;
  positionals: string[];
}

export interface ParseOptions {
  /** How the user runs the command, for the pointer to its help in errors (`npm run infer --`). */
  command: string;
  /** How many positional arguments the command takes (default none), and what one is (`step`). */
  positionals?: { min: number; max: number; what?: string };
}

/** The `-h, --help` switch every entry point has. */
export const HELP_FLAG = { help: { short: 'h', description: 'print this help and exit' } } as const satisfies FlagSpecs;

/** Declares a flag table with its literal types kept, so {@link parseFlags} types each value. */
export function defineFlags<const S extends FlagSpecs>(flags: S): S {
  for (const [name, spec] of Object.entries(flags)) {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`flag name "${name}" must be lower-case words joined by -`);
    if (spec.repeatable && spec.value === undefined) throw new Error(`--${name}: a repeatable flag needs a value`);
  }
  return flags;
}

/** Levenshtein distance, for the "did you mean" of an unknown flag. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known flag closest to an unknown one, when it is close enough to be a typo. */
function closest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestDistance) [best, bestDistance] = [n, d];
  }
  const allowed = name.length <= 3 ? 1 : Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/**
 * Parses `argv` against a flag table. Errors are {@link UserError}s of one line naming the flag
 * and pointing at `<command> --help`.
 */
export function parseFlags<S extends FlagSpecs>(flags: S, argv: readonly string[], options: ParseOptions): ParsedFlags<S> {
  const seeHelp = `see ${options.command} --help`;
  const fail = (message: string): never => {
    throw new UserError(`${message}; ${seeHelp}`);
  };
  const byShort = new Map(Object.entries(flags).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));
  const values: Record<string, string | string[] | true> = {};
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const long = arg.length === 2 ? byShort.get(arg[1]) : undefined;
      if (long === undefined) fail(`unknown flag ${arg}`);
      name = long as string;
    }
    const spec = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (spec === undefined) {
      const guess = closest(name, Object.keys(flags));
      fail(`unknown flag --${name}${guess ? ` (did you mean --${guess}?)` : ''}`);
    }
    const s = spec as FlagSpec;
    if (s.value === undefined) {
      if (inline !== undefined) fail(`--${name} is a switch and takes no value (got "${inline}")`);
      if (values[name] !== undefined) fail(`--${name} is given twice`);
      values[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      // A flag where the value should be (`--data --out x`) is a forgotten value, not a value.
      if (next === undefined || next.startsWith('--')) fail(`--${name} needs a value ${s.value}`);
      value = next;
      i++;
    }
    if (s.repeatable) {
      values[name] = [...((values[name] as string[] | undefined) ?? []), value as string];
    } else {
      if (values[name] !== undefined) fail(`--${name} is given twice ("${values[name]}" and "${value}")`);
      values[name] = value as string;
    }
  }

  const { min, max, what } = options.positionals ?? { min: 0, max: 0 };
  // --help answers before any check of what else is missing.
  if (values.help === undefined) {
    if (positionals.length > max) fail(max === 0 ? `unexpected argument "${positionals[0]}"` : `unexpected argument "${positionals[max]}" (at most ${max})`);
    if (positionals.length < min) fail(what ? `missing the ${what}` : `missing argument (${min === 1 ? 'one is' : `${min} are`} needed)`);
  }
  return { values: values as FlagValues<S>, positionals };
}

/**
 * A flag's value as a whole number of at least `min` (1 unless given), or undefined when the flag
 * was not given. A UserError names the flag otherwise.
 */
export function integerFlag(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
    throw new UserError(`--${name} must be ${what}, got "${value}"`);
  }
  return Number(value);
}
