import { UserError } from '@segkit/io';
import { exportedNames, flagTableMismatches, markdownTable, undocumentedExports } from './docs';
import { defineFlags, HELP_FLAG, integerFlag, parseFlags } from './flags';
import { flagLines, formatHelp, listedFlags, wrap } from './help';

const FLAGS = defineFlags({
  data: { value: '<dir>', description: 'the competition folder', default: 'the synthetic one' },
  fold: { value: '<k>', description: 'the fold' },
  set: { value: '<key=value>', repeatable: true, description: 'a config override' },
  wait: { description: 'queue behind a run' },
  'allow-worthless': { description: 'write it anyway' },
  ...HELP_FLAG,
});
const opts = { command: 'tool' };

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('parseFlags', () => {
  it.each<[string, string[], Record<string, unknown>, string[]]>([
    ['nothing', [], {}, []],
    ['a value after a space', ['--data', 'd'], { data: 'd' }, []],
    ['a value after =', ['--data=a=b'], { data: 'a=b' }, []],
    ['an empty value after =', ['--data='], { data: '' }, []],
    ['a value that starts with one dash', ['--fold', '-1'], { fold: '-1' }, []],
    ['switches', ['--wait', '--allow-worthless'], { wait: true, 'allow-worthless': true }, []],
    ['a short alias', ['-h'], { help: true }, []],
    ['a repeatable flag, in order', ['--set', 'a=1', '--set=b=2'], { set: ['a=1', 'b=2'] }, []],
    ['-- ending the flags', ['--', '--data'], {}, ['--data']],
  ])('%s', (_, argv, values, positionals) => {
    const parsed = parseFlags(FLAGS, argv, { ...opts, positionals: { min: 0, max: 1 } });
    expect(parsed.values).toEqual(values);
    expect(parsed.positionals).toEqual(positionals);
  });

  it('keeps positionals between flags in order', () => {
    const parsed = parseFlags(FLAGS, ['train', '--fold', '1', 'x'], { ...opts, positionals: { min: 1, max: 2 } });
    expect(parsed.positionals).toEqual(['train', 'x']);
    expect(parsed.values.fold).toBe('1');
  });

  it.each<[string, string[], string]>([
    ['an unknown flag, with the nearest known one', ['--dta', 'x'], 'unknown flag --dta (did you mean --data?); see tool --help'],
    ['an unknown flag far from any', ['--bogus'], 'unknown flag --bogus; see tool --help'],
    ['a swapped pair of letters', ['--fodl', '1'], 'unknown flag --fodl (did you mean --fold?); see tool --help'],
    ['an unknown short flag', ['-x'], 'unknown flag -x; see tool --help'],
    ['a value flag at the end', ['--data'], '--data needs a value <dir>; see tool --help'],
    ['a value flag followed by a flag', ['--data', '--wait'], '--data needs a value <dir>; see tool --help'],
    ['a value given to a switch', ['--wait=yes'], '--wait is a switch and takes no value (got "yes"); see tool --help'],
    ['a flag given twice', ['--data', 'a', '--data', 'b'], '--data is given twice ("a" and "b"); see tool --help'],
    ['a switch given twice', ['--wait', '--wait'], '--wait is given twice; see tool --help'],
    ['a positional to a command without any', ['train'], 'unexpected argument "train"; see tool --help'],
    ['an inherited property name', ['--constructor'], 'unknown flag --constructor; see tool --help'],
  ])('refuses %s', (_, argv, message) => {
    expect(errorOf(() => parseFlags(FLAGS, argv, opts))).toBe(message);
  });

  it('counts positionals, except when --help is asked for', () => {
    const two = { ...opts, positionals: { min: 1, max: 1 } };
    expect(errorOf(() => parseFlags(FLAGS, [], two))).toBe('missing argument (one is needed); see tool --help');
    expect(errorOf(() => parseFlags(FLAGS, ['a', 'b'], two))).toBe('unexpected argument "b" (at most 1); see tool --help');
    expect(parseFlags(FLAGS, ['--help'], two).values.help).toBe(true);
    expect(errorOf(() => parseFlags(FLAGS, [], { ...opts, positionals: { min: 1, max: 1, what: 'step' } }))).toBe('missing the step; see tool --help');
  });

  it('types values by the table', () => {
    const { values } = parseFlags(FLAGS, ['--set', 'a=1'], opts);
    const set: string[] | undefined = values.set;
    const wait: true | undefined = values.wait;
    const data: string | undefined = values.data;
    expect([set, wait, data]).toEqual([['a=1'], undefined, undefined]);
  });

  it('rejects a malformed table', () => {
    expect(() => defineFlags({ Data: { value: '<d>', description: '' } })).toThrow(/lower-case/);
    expect(() => defineFlags({ set: { repeatable: true, description: '' } })).toThrow(/needs a value/);
  });
});

describe('integerFlag', () => {
  it.each<[string | undefined, number, number | undefined]>([
    [undefined, 1, undefined],
    ['1', 1, 1],
    ['12', 1, 12],
    ['0', 0, 0],
    ['007', 1, 7],
  ])('%s (min %d) is %s', (value, min, expected) => {
    expect(integerFlag('n', value, min)).toBe(expected);
  });

  it.each<[string, number, string]>([
    ['0', 1, '--n must be a positive integer, got "0"'],
    ['-1', 0, '--n must be a non-negative integer, got "-1"'],
    ['1.5', 1, '--n must be a positive integer, got "1.5"'],
    ['two', 1, '--n must be a positive integer, got "two"'],
    ['', 1, '--n must be a positive integer, got ""'],
    ['1', 2, '--n must be an integer of at least 2, got "1"'],
    ['99999999999999999999', 1, '--n must be a positive integer, got "99999999999999999999"'],
  ])('refuses %j (min %d)', (value, min, message) => {
    expect(errorOf(() => integerFlag('n', value, min))).toBe(message);
  });
});

describe('help', () => {
  it.each<[string, number, string[]]>([
    ['', 10, []],
    ['one two three', 7, ['one two', 'three']],
    ['one  two\nthree', 20, ['one two three']],
    ['a verylongword b', 5, ['a', 'verylongword', 'b']],
  ])('wraps %j at %d', (text, width, lines) => {
    expect(wrap(text, width)).toEqual(lines);
  });

  it('gives every flag one aligned line with its default, short aliases first', () => {
    expect(flagLines({ data: FLAGS.data, wait: FLAGS.wait, ...HELP_FLAG })).toEqual([
      '      --data <dir>  the competition folder (default: the synthetic one)',
      '      --wait        queue behind a run',
      '  -h, --help        print this help and exit',
    ]);
  });

  it('marks repeatable flags and moves a too-wide flag\'s description to its own line', () => {
    const wide = { 'a-very-long-flag-name-indeed': { value: '<some-value>', description: 'd' } };
    expect(flagLines({ set: FLAGS.set })).toEqual(['      --set <key=value> ...  a config override']);
    expect(flagLines(wide)).toEqual(['      --a-very-long-flag-name-indeed <some-value>', `  ${' '.repeat(32)}  d`]);
  });

  it('lays out usage, summary, sections, flag groups aligned across groups, and footer', () => {
    const text = formatHelp({
      usage: ['tool <step> [flags]', 'tool --help'],
      summary: 'Does things.',
      sections: [{ title: 'steps', lines: ['a  first'] }],
      flags: [
        { title: 'flags', flags: { wait: FLAGS.wait } },
        { title: 'more', flags: { data: FLAGS.data } },
      ],
      footer: ['See the README.'],
    });
    expect(text).toBe(
      [
        'usage: tool <step> [flags]',
        '       tool --help',
        '',
        'Does things.',
        '',
        'steps:',
        '  a  first',
        '',
        'flags:',
        '      --wait        queue behind a run',
        '',
        'more:',
        '      --data <dir>  the competition folder (default: the synthetic one)',
        '',
        'See the README.',
        '',
      ].join('\n'),
    );
    expect(listedFlags(text)).toEqual(['wait', 'data']);
  });

  it('lists the flags of a generated help, wide ones included', () => {
    const flags = { ...FLAGS, 'a-very-long-flag-name-indeed': { value: '<some-value>', description: 'd' } };
    expect(listedFlags(formatHelp({ usage: 'tool', summary: 'Takes --data and -h.', flags }))).toEqual(Object.keys(flags));
  });
});

describe('README flag tables', () => {
  const md = [
    '## Other',
    '| a | b |',
    '| --- | --- |',
    '| x | y |',
    '',
    '## Running it',
    '',
    'Some text.',
    '',
    '| flag | meaning | default |',
    '| --- | --- | --- |',
    '| `--data <dir>` | where `a\\|b` | the synthetic one |',
    '| `--fold <k>` | the fold | |',
    '| `--set <key=value>` | overrides | |',
    '| `--wait`, `--allow-worthless` | switches | |',
    '| `-h`, `--help` | help | |',
    '',
    'after',
  ].join('\n');

  it('finds the first table after a marker, body rows only, escaped pipes kept in cells', () => {
    expect(markdownTable(md, '## Running it')).toEqual([
      ['`--data <dir>`', 'where `a|b`', 'the synthetic one'],
      ['`--fold <k>`', 'the fold', ''],
      ['`--set <key=value>`', 'overrides', ''],
      ['`--wait`, `--allow-worthless`', 'switches', ''],
      ['`-h`, `--help`', 'help', ''],
    ]);
    expect(markdownTable(md, '## Missing')).toEqual([]);
  });

  it('accepts a table that matches the flags', () => {
    expect(flagTableMismatches(markdownTable(md, '## Running it'), FLAGS)).toEqual([]);
  });

  it('names missing and unknown flags and wrong defaults', () => {
    const rows = markdownTable(md, '## Running it').filter((r) => !r[0].includes('--fold'));
    rows.push(['`--bogus <x>`', 'gone', ''], ['`--wait`', 'again', 'refuse']);
    rows[0][2] = '`$SEGKIT_DATA`';
    expect(flagTableMismatches(rows, FLAGS)).toEqual([
      '--data: the default reads "$SEGKIT_DATA", the code\'s is "the synthetic one"',
      '--bogus is documented but not a flag',
      '--wait: the default reads "refuse", the code\'s is ""',
      '--fold is not documented',
    ]);
  });
});

describe('README API checks', () => {
  it('lists the names an index exports, renamed and type-only ones included', () => {
    const source = [
      '// export { commented } from "./x";',
      "export { a, b as c } from './x';",
      "export type { T, U as V } from './y';",
      'export {',
      '  multi,',
      '  line, // trailing comment',
      "} from './z';",
      'export const K = 1;',
      'export async function run() {}',
      'export interface Shape {}',
      'export class Thing {}',
    ].join('\n');
    expect(exportedNames(source)).toEqual(['a', 'c', 'T', 'V', 'multi', 'line', 'K', 'run', 'Shape', 'Thing']);
    expect(() => exportedNames("export * from './x';")).toThrow(/export \*/);
  });

  it('finds names a README does not mention as whole words', () => {
    expect(undocumentedExports(['readNpy', 'readNpyInfo', 'NpyWriter', 'log', '$x'], 'Use `readNpyInfo(path)` or the NpyWriter; $x.')).toEqual(['readNpy', 'log']);
  });
});
