/**
 * The pipeline's command line: one subcommand per step, each also an Nx target.
 *
 *   tsx apps/pipeline/src/main.ts <step> [--config <preset|file>] [--data <dir>] [--work <dir>] [--fold <k>] [--backend <name>]
 *
 * Steps: data, folds, train --fold k, predict --fold k, ensemble, tune, submit, bundle, report.
 */
import { parseArgs } from 'node:util';
import { runCli, UserError } from '@tgs/io';
import { resolveContext } from './context';
import * as steps from './steps';

const USAGE = `usage: pipeline <data|folds|train|predict|ensemble|tune|submit|bundle|report> [--config <preset|file>] [--data <dir>] [--work <dir>] [--fold <k>] [--backend <auto|tensorflow-gpu|tensorflow|wasm+native|wasm|cpu>] [--threads <n>] [--set <key.path=value>]...`;

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        work: { type: 'string' },
        fold: { type: 'string' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (positionals.length !== 1) throw new UserError(USAGE);
  const ctx = resolveContext(values);
  const fold = () => {
    if (values.fold === undefined) throw new UserError(`${positionals[0]} needs --fold <k>`);
    const k = Number(values.fold);
    if (!/^\d+$/.test(values.fold)) throw new UserError(`--fold must be a non-negative integer, got "${values.fold}"`);
    return k;
  };
  switch (positionals[0]) {
    case 'data':
      return steps.prepareData(ctx);
    case 'folds':
      return steps.folds(ctx);
    case 'train':
      return steps.train(ctx, fold());
    case 'predict':
      return steps.predict(ctx, fold());
    case 'ensemble':
      return steps.ensemble(ctx);
    case 'tune':
      return steps.tune(ctx);
    case 'submit':
      return steps.submit(ctx);
    case 'bundle':
      return steps.bundle(ctx);
    case 'report':
      return steps.report(ctx);
    default:
      throw new UserError(`unknown step "${positionals[0]}"\n${USAGE}`);
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
