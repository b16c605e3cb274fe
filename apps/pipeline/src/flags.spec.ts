import { FlagSpecs, flagDescription, listedFlags } from '@segkit/cli';
import { UserError } from '@segkit/io';
import { STEP_ORDER, STEPS } from '@segkit/run';
import { doctor } from './doctor';
import {
  ALL_STEP_FLAGS,
  DOCTOR_FLAGS,
  doctorHelp,
  PIPELINE_FLAGS,
  pipelineHelp,
  STAGE_FLAGS,
  stageHelp,
  stepFlags,
  stepHelp,
  stepsHelp,
} from './flags';
import { main } from './main';
import { run } from './run';
import { stage } from './stage';

const cases: [string, () => string, FlagSpecs][] = [
  ['npm run pipeline', pipelineHelp, PIPELINE_FLAGS],
  ['the steps', stepsHelp, ALL_STEP_FLAGS],
  ...STEP_ORDER.map((s): [string, () => string, FlagSpecs] => [`step ${s}`, () => stepHelp(s), stepFlags(s)]),
  ['npm run doctor', doctorHelp, DOCTOR_FLAGS],
  ['the cluster stages', stageHelp, STAGE_FLAGS],
];

describe('--help', () => {
  it.each(cases)('of %s lists exactly the flags its parser accepts, each with its description and default', (_, help, flags) => {
    const text = help();
    expect(listedFlags(text).sort()).toEqual(Object.keys(flags).sort());
    for (const spec of Object.values(flags)) expect(text).toContain(flagDescription(spec));
  });

  it('gives every value flag of npm run pipeline and the steps a default or says it is required', () => {
    const flags: FlagSpecs = { ...PIPELINE_FLAGS, ...ALL_STEP_FLAGS };
    for (const [name, spec] of Object.entries(flags)) {
      if (spec.value !== undefined) expect([name, spec.default !== undefined || spec.description.includes('required')]).toEqual([name, true]);
    }
  });

  it.each(STEP_ORDER)('of step %s says what it reads and writes, from the step table', (step) => {
    const text = stepHelp(step);
    expect(text.replace(/\s+/g, ' ')).toContain(STEPS[step].summary.slice(1));
    const reads = text.slice(text.indexOf('reads:'), text.indexOf('writes:'));
    const config = STEPS[step].config;
    if (config === '*') expect(reads).toMatch(/^ {2}(the blend )?config: all of it$/m);
    else for (const section of config) expect(reads).toContain(section);
    for (const { step: before } of STEPS[step].after) expect(reads).toMatch(new RegExp(`^  (each member's )?${before}(-round-\\*)?(-fold-\\*)?( \\((the previous|every) round\\))?: `, 'm'));
    expect(text.slice(text.indexOf('writes:'))).toMatch(/^ {2}<work>\/|^ {2}data\//m);
    expect(text.includes('--fold <k>')).toBe(STEPS[step].perFold);
    expect(text.includes('--round <r>')).toBe(STEPS[step].rounds !== undefined);
  });

  it('of the steps lists every step with its summary', () => {
    const text = stepsHelp();
    for (const step of STEP_ORDER) expect(text).toContain(STEPS[step].summary);
  });
});

describe('bad flags are one-line user errors before any work', () => {
  it.each<[string, () => Promise<void>, RegExp]>([
    ['npm run pipeline, a misspelt flag', () => run(['--parralel', '2']), /^unknown flag --parralel \(did you mean --parallel\?\); see npm run pipeline -- --help$/],
    ['npm run pipeline, a missing value', () => run(['--config']), /^--config needs a value <preset\|file>/],
    ['npm run pipeline, a non-integer', () => run(['--config', 'smoke', '--threads', '0']), /^--threads must be a positive integer, got "0"$/],
    ['a step, an unknown step', () => main(['tnue']), /^unknown step "tnue"; see tsx apps\/pipeline\/src\/main.ts --help$/],
    ['a step, no step', () => main([]), /^missing the step/],
    ['a step, --fold on a step without folds', () => main(['tune', '--fold', '1']), /^tune takes no --fold \(train and predict do\)/],
    ['a step, a negative fold', () => main(['train', '--fold', '-1']), /^--fold must be a non-negative integer, got "-1"$/],
    ['a step, an unknown flag', () => main(['tune', '--out', 'x']), /^unknown flag --out/],
    ['a step, --round on a step that runs once', () => main(['tune', '--round', '1']), /^tune takes no --round \(pseudo, train, predict and ensemble do\)/],
    ['a step, pseudo without --round', () => main(['pseudo', '--config', 'smoke']), /^pseudo needs --round <r> \(1 … pseudo\.rounds\)/],
    ['npm run doctor, a positional', () => doctor(['cpu']), /^unexpected argument "cpu"/],
    ['a cluster stage, an unknown stage', () => stage(['train']), /^unknown stage "train"/],
  ])('%s', async (_, call, message) => {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});
