/**
 * `npm run infer -- --bundle <dir> --images <dir> [--out <file.csv | logits.npy | mask folder>] [--backend <name>]`
 *
 * Predicts a folder of images with a pipeline run's bundle (its `--out`/bundle): the same TTA, fold
 * ensemble, logit threshold and minimum area as the run's submission. A `.csv` output is an RLE CSV
 * in the submission format, a `.npy` output the ensembled logits (ids in `<name>-ids.txt`); any
 * other path becomes a folder of `<id>.png` masks.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBackendChoice, setupBackend } from '@tgs/backend';
import { inferImages } from '@tgs/infer';
import { log, runCli, UserError } from '@tgs/io';

const USAGE = 'usage: npm run infer -- --bundle <dir> --images <dir> [--out <predictions.csv | logits.npy | mask folder>] [--backend <auto|tensorflow-gpu|tensorflow|wasm|cpu>]';

export async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        bundle: { type: 'string' },
        images: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (!values.bundle || !values.images) throw new UserError(`--bundle and --images are required\n${USAGE}`);
  const choice = values.backend === undefined ? undefined : parseBackendChoice(values.backend, '--backend');
  await setupBackend({ choice, log: (m) => log('backend', m) });
  await inferImages({
    bundleDir: resolve(values.bundle),
    imagesDir: resolve(values.images),
    out: resolve(values.out ?? 'predictions.csv'),
    log: (m) => log('infer', m),
  });
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
