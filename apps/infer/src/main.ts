/**
 * `npm run infer -- --bundle <dir> --images <dir> [--out <file.csv | logits.npy | mask folder>] [--backend <name>]`
 *
 * Predicts a folder of images with a pipeline run's bundle (its `--out`/bundle): the same TTA, fold
 * ensemble, logit threshold and minimum area as the run's submission. A `.csv` output is an RLE CSV
 * in the submission format, a `.npy` output the ensembled logits (ids in `<name>-ids.txt`); any
 * other path becomes a folder of `<id>.png` masks.
 */
import { resolve } from 'node:path';
import { defineFlags, formatHelp, HELP_FLAG, parseFlags } from '@segkit/cli';
import { BACKEND_CHOICES, parseBackendChoice, setupBackend } from '@segkit/backend';
import { inferImages } from '@segkit/infer';
import { log, runCli, UserError } from '@segkit/io';
import { RUN_ENV } from '@segkit/run';

export const COMMAND = 'npm run infer --';

export const FLAGS = defineFlags({
  bundle: { value: '<dir>', description: 'a pipeline run\'s bundle folder (<out>/bundle of npm run pipeline); required' },
  images: { value: '<dir>', description: 'the folder of images to predict (.png, .jpg, .tif, .dcm), all of the bundle\'s image size; required' },
  out: {
    value: '<path>',
    description: '.csv: RLE masks in the submission format; .npy: the ensembled logits (ids in <name>-ids.txt); else a folder of <id>.png masks',
    default: 'predictions.csv',
  },
  backend: {
    value: '<name>',
    description: `the compute backend: ${BACKEND_CHOICES.join(', ')}; the run's own gives bit-identical logits`,
    default: `$${RUN_ENV.backend}, else auto`,
  },
  ...HELP_FLAG,
});

export const HELP = formatHelp({
  usage: `${COMMAND} --bundle <dir> --images <dir> [--out <path>] [--backend <name>]`,
  summary:
    'Predicts a folder of images exactly as the run predicted its test set: the bundle\'s models, TTA, fold-logit ensemble, ' +
    'tuned logit threshold and minimum area. Reads the bundle (every file checked against its manifest) and the images; ' +
    'writes only --out, and nothing when any input is bad.',
  flags: FLAGS,
});

export async function main(argv: string[]): Promise<void> {
  const { values } = parseFlags(FLAGS, argv, { command: COMMAND });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const missing = (['bundle', 'images'] as const).filter((f) => values[f] === undefined);
  if (missing.length > 0) throw new UserError(`${missing.map((f) => `--${f}`).join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required; see ${COMMAND} --help`);
  const choice = values.backend === undefined ? undefined : parseBackendChoice(values.backend, '--backend');
  await setupBackend({ choice, log: (m) => log('backend', m) });
  await inferImages({
    bundleDir: resolve(values.bundle as string),
    imagesDir: resolve(values.images as string),
    out: resolve(values.out ?? 'predictions.csv'),
    log: (m) => log('infer', m),
  });
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
