import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagDescription, flagTableMismatches, listedFlags, markdownTable } from '@segkit/cli';
import { UserError } from '@segkit/io';
import { FLAGS, HELP, main } from './main';

describe('npm run demo', () => {
  it('--help lists exactly the flags the parser accepts, each with its description and default', () => {
    expect(listedFlags(HELP).sort()).toEqual(Object.keys(FLAGS).sort());
    for (const spec of Object.values(FLAGS)) expect(HELP).toContain(flagDescription(spec));
  });

  it("is documented in the README flag by flag, with the code's defaults", () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    expect(flagTableMismatches(markdownTable(readme, '### The model in the browser'), FLAGS)).toEqual([]);
  });

  it.each<[string[], string | RegExp]>([
    [[], '--bundle is required; see npm run demo -- --help'],
    [['--bundle', 'b', '--port', '80', '--export', 'site'], '--export and --port exclude each other'],
    [['--bundle', 'b', '--port', '70000'], '--port must be at most 65535, got 70000'],
    [['--bundle', 'b', '--port', 'x'], /--port/],
    [['--bundle', join(__dirname, 'no-such-bundle')], `${join(__dirname, 'no-such-bundle')}: bundle folder not found`],
  ])('%j is a one-line user error before serving', async (argv, message) => {
    const err = await main(argv).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
  });
});
