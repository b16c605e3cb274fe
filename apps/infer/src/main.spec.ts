import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagDescription, flagTableMismatches, listedFlags, markdownTable } from '@segkit/cli';
import { UserError } from '@segkit/io';
import { FLAGS, HELP, main } from './main';

describe('npm run infer', () => {
  it('--help lists exactly the flags the parser accepts, each with its description and default', () => {
    expect(listedFlags(HELP).sort()).toEqual(Object.keys(FLAGS).sort());
    for (const spec of Object.values(FLAGS)) expect(HELP).toContain(flagDescription(spec));
  });

  it("is documented in the README flag by flag, with the code's defaults", () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    expect(flagTableMismatches(markdownTable(readme, '### Predict new images'), FLAGS)).toEqual([]);
  });

  it.each<[string[], string]>([
    [['--bundel', 'b', '--images', 'i'], 'unknown flag --bundel (did you mean --bundle?); see npm run infer -- --help'],
    [['--images', 'i'], '--bundle is required; see npm run infer -- --help'],
    [[], '--bundle and --images are required; see npm run infer -- --help'],
    [['--bundle', 'b', '--images'], '--images needs a value <dir>; see npm run infer -- --help'],
    [['--bundle', 'b', '--images', 'i', 'extra'], 'unexpected argument "extra"; see npm run infer -- --help'],
    [['--bundle', 'b', '--images', 'i', '--backend', 'gpu'], '--backend: unknown backend "gpu"; expected one of auto, tensorflow-gpu, tensorflow, wasm+native, wasm, cpu'],
  ])('%j is a one-line user error before any work', async (argv, message) => {
    const err = await main(argv).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(message);
  });
});
