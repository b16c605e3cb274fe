/**
 * The flags and `--help` of the pipeline's entry points, each declared once (see @segkit/cli):
 * `npm run pipeline` (run.ts), the steps (main.ts, what each Nx target runs), `npm run doctor`
 * (doctor.ts) and the cluster stages (stage.ts). The step help reads what each step reads and
 * writes from the step table of @segkit/run, the same table the Nx targets are built from.
 */
import { relative } from 'node:path';
import { defineFlags, FlagSpecs, formatHelp, HELP_FLAG } from '@segkit/cli';
import { BACKEND_CHOICES, CLUSTER_STAGES, clusterStages, DEFAULT_PRESET, DEFAULT_WORK_DIR, presets, projectSteps, RUN_ENV, runLayout, STEP_ORDER, StepName, STEPS, WORKSPACE_PATHS, WORKSPACE_ROOT } from '@segkit/run';
import { parseConfig } from '@segkit/config';

/** How a user runs each entry point (for usage lines and the pointer to `--help` in errors). */
export const COMMANDS = {
  pipeline: 'npm run pipeline --',
  step: 'tsx apps/pipeline/src/main.ts',
  doctor: 'npm run doctor --',
  stage: 'tsx apps/pipeline/src/stage.ts',
} as const;

const env = (name: keyof typeof RUN_ENV) => `$${RUN_ENV[name]}`;

const CONFIG_FLAG = {
  value: '<preset|file>',
  description: `the experiment config: a preset in configs/ (${presets().join(', ')}), an experiment in experiments/, or a JSON file`,
  default: `${env('config')}, else ${DEFAULT_PRESET}`,
} as const;

/** Flags `npm run pipeline` and every step share, with the same meaning and default. */
const SHARED_FLAGS = defineFlags({
  config: CONFIG_FLAG,
  data: {
    value: '<dir>',
    description: 'the competition folder in the Kaggle layout, or <layout>-synthetic (tgs, airbus, carvana, siim, folders): the built-in synthetic competition in that layout',
    default: `${env('data')}, else the built-in synthetic competition`,
  },
  set: {
    value: '<key.path=value>',
    repeatable: true,
    description: 'override one config field (the value is JSON when it parses, else a string), applied after the file and $SEGKIT_SET',
    default: `${env('set')}, several separated by ;`,
  },
  backend: {
    value: '<name>',
    description: `force a compute backend: ${BACKEND_CHOICES.join(', ')}; one that cannot load is an error`,
    default: `${env('backend')}, else the config's backend`,
  },
});

// ---- npm run pipeline -------------------------------------------------------------------------

export const PIPELINE_RUN_FLAGS = defineFlags({
  data: SHARED_FLAGS.data,
  out: {
    value: '<dir>',
    description: 'receives submission.csv, report/ (index.html, summary.json, curves.csv) and bundle/',
    default: relative(WORKSPACE_ROOT, WORKSPACE_PATHS.output),
  },
  config: SHARED_FLAGS.config,
  set: SHARED_FLAGS.set,
  backend: SHARED_FLAGS.backend,
  parallel: {
    value: '<n>',
    description: 'Nx tasks at once (folds train in parallel, one process each)',
    default: 'the split of the cores with the shortest expected training time, as npm run doctor shows',
  },
  threads: {
    value: '<n>',
    description: 'native-kernel threads per fold process; parallel x threads never exceeds the cores',
    default: "the config's compute.threads when a number, else the cores divided between the fold processes",
  },
  gpus: {
    value: '<all|none|0,2,3>',
    description: 'GPUs the folds are spread over, one fold per GPU at a time',
    default: 'every GPU nvidia-smi -L lists with the tensorflow-gpu backend, else none',
  },
  wait: { description: 'queue behind a run already using the work directory', default: 'refuse to start' },
  'allow-worthless': { description: 'write submission.csv to --out even when training visibly failed', default: 'withhold it' },
});

export const PIPELINE_SLURM_FLAGS = defineFlags({
  slurm: { description: 'submit the run as Slurm jobs instead of running it here', default: 'run here' },
  partition: { value: '<P>', description: 'passed to every sbatch', default: "the cluster's default partition" },
  account: { value: '<A>', description: 'passed to every sbatch', default: 'your default account' },
  time: { value: '<T>', description: "time limit of every job, in sbatch's formats", default: "the partition's limit" },
  gres: { value: '<gpu:1>', description: 'generic resources of each fold task (the data and final jobs need none); with --emit k8s, gpu:<n> GPUs per fold pod', default: 'none' },
  'cpus-per-task': {
    value: '<n>',
    description: 'CPUs of each fold task; its native kernels then run n threads unless --threads says otherwise',
    default: "Slurm's default; threads: the CPUs Slurm allocated",
  },
  detach: { description: 'print the job ids, the logs and how to follow them, and return', default: 'follow the jobs' },
  follow: { description: 'follow the jobs of the last submission into this work directory again', default: 'submit' },
});

/** What --emit k8s writes without --image and --claim. */
export const K8S_DEFAULTS = { image: 'node:20-bookworm', claim: 'segkit-workspace' } as const;

export const PIPELINE_K8S_FLAGS = defineFlags({
  emit: { value: 'k8s', description: 'write the steps as Kubernetes Jobs to <out>/k8s/pipeline.yaml instead of running them', default: 'run here' },
  image: { value: '<I>', description: 'the container image of every Job', default: K8S_DEFAULTS.image },
  claim: { value: '<PVC>', description: 'the ReadWriteMany PersistentVolumeClaim holding this workspace, mounted at /workspace', default: K8S_DEFAULTS.claim },
});

/** Every flag `npm run pipeline` accepts. */
export const PIPELINE_FLAGS = defineFlags({ ...PIPELINE_RUN_FLAGS, ...PIPELINE_SLURM_FLAGS, ...PIPELINE_K8S_FLAGS, ...HELP_FLAG });

export function pipelineHelp(): string {
  return formatHelp({
    usage: [`${COMMANDS.pipeline} [flags]`, `${COMMANDS.pipeline} --slurm [flags]`, `${COMMANDS.pipeline} --emit k8s [flags]`],
    summary:
      `Runs every step as the Nx target pipeline:report (${projectSteps('experiment')
        .filter((s) => STEPS[s].rounds !== 'later')
        .join(' → ')}; with pseudo.rounds, each later round repeats ${PER_ROUND_STEPS.join(' → ')} after the ensemble; folds in parallel, unchanged steps restored ` +
      `from the Nx cache) in the work directory ${DEFAULT_WORK_DIR}/<config name> (${env('work')} overrides it), then copies ` +
      `submission.csv, report/ and bundle/ into --out. ${COMMANDS.step} --help lists the steps.`,
    flags: [
      { title: 'flags', flags: PIPELINE_RUN_FLAGS },
      { title: 'on a Slurm cluster (with --slurm)', flags: PIPELINE_SLURM_FLAGS },
      { title: 'on Kubernetes (with --emit k8s)', flags: PIPELINE_K8S_FLAGS },
      { title: 'help', flags: HELP_FLAG },
    ],
  });
}

// ---- the steps ---------------------------------------------------------------------------------

/** Flags every step accepts. */
export const STEP_FLAGS = defineFlags({
  config: SHARED_FLAGS.config,
  data: SHARED_FLAGS.data,
  work: {
    value: '<dir>',
    description: "the run's work directory, a folder inside the workspace",
    default: `${env('work')} (relative to the workspace), else ${DEFAULT_WORK_DIR}/<config name>`,
  },
  set: SHARED_FLAGS.set,
  backend: SHARED_FLAGS.backend,
  threads: {
    value: '<n>',
    description: 'native CPU kernel threads for this process',
    default: `${env('threads')}, else the config's compute.threads, else every core`,
  },
  ...HELP_FLAG,
});

/** What the per-fold steps add. */
export const FOLD_FLAG = defineFlags({ fold: { value: '<k>', description: 'the fold, 0 … folds.k − 1; required' } });

/** What the steps of the pseudo-label rounds add. */
export const ROUND_FLAG = defineFlags({
  round: { value: '<r>', description: 'the pseudo-label round, 1 … pseudo.rounds, in its own work directory round-<r>/ (train, predict, ensemble, pseudo only; pseudo needs it)', default: '0, the run without pseudo-labels' },
});

export type StepCommand = StepName;

export function isStepCommand(name: string): name is StepCommand {
  return (STEP_ORDER as readonly string[]).includes(name);
}

/** Every flag a step may take; --fold only a per-fold step, --round only a step of the pseudo-label rounds. */
export const ALL_STEP_FLAGS = defineFlags({ ...FOLD_FLAG, ...ROUND_FLAG, ...STEP_FLAGS });

/** True for a step run once per fold (train-fold-<k>, predict-fold-<k>). */
export function isPerFold(step: StepCommand): boolean {
  return STEPS[step].perFold;
}

/** True for a step of the pseudo-label rounds (it takes --round). */
export function isPerRound(step: StepCommand): boolean {
  return STEPS[step].rounds !== undefined;
}

/**
 * A step's Nx target: `pipeline:<step>` (per fold `pipeline:<step>-fold-<k>`, only in later
 * pseudo-label rounds `pipeline:<step>-round-<r>`), a blend's `<blend>:<step>`.
 */
export function stepTarget(step: StepName): string {
  const project = STEPS[step].project === 'blend' ? '<blend>' : 'pipeline';
  return `${project}:${step}${STEPS[step].rounds === 'later' ? '-round-<r>' : ''}${STEPS[step].perFold ? '-fold-<k>' : ''}`;
}

/** A step as a command line shows it: `train --fold <k>`, `pseudo --round <r>`. */
export function stepCommandLine(step: StepName): string {
  return `${step}${STEPS[step].perFold ? ' --fold <k>' : ''}${STEPS[step].rounds === 'later' ? ' --round <r>' : ''}`;
}

export const PER_FOLD_STEPS: readonly StepName[] = STEP_ORDER.filter((s) => STEPS[s].perFold);
export const PER_ROUND_STEPS: readonly StepName[] = STEP_ORDER.filter((s) => STEPS[s].rounds !== undefined);

/** The flags one step accepts: the shared ones, --fold for a per-fold step, --round for a step of the rounds. */
export function stepFlags(step: StepCommand): FlagSpecs {
  return defineFlags({ ...(isPerFold(step) ? FOLD_FLAG : {}), ...(isPerRound(step) ? ROUND_FLAG : {}), ...STEP_FLAGS });
}

const DATA_PARTS = {
  train: 'train/images, train/masks or train.csv, depths.csv',
  test: 'test/images',
  sample: 'sample_submission.csv',
} as const;

/** A path of the run layout or the workspace as the help shows it: `<work>/…`, or relative to the workspace. */
function shown(path: string): string {
  return path.startsWith('<work>') ? path : relative(WORKSPACE_ROOT, path);
}

/** Outputs of a step for the help, fold folders as `fold-<k>`, without its timing file. */
function outputsOf(step: StepName): string[] {
  // A step of the later pseudo-label rounds only ever writes into a round's work directory.
  const layout = runLayout(STEPS[step].rounds === 'later' ? '<work>/round-<r>' : '<work>');
  // The fold index only names folders, so a placeholder spells `fold-<k>`.
  return STEPS[step]
    .outputs(layout, '<k>', parseConfig({}).synthetic)
    .filter((p) => !p.startsWith(layout.timings.dir))
    .map((p) => (p.startsWith(WORKSPACE_PATHS.synthetic) ? p.replace(/\d+-train-\d+-test-\d+px-seed-\d+/, '<synthetic setting>') : p))
    .map(shown);
}

/** What a step reads and writes, from the step table. */
export function stepIo(step: StepName): { reads: string[]; writes: string[] } {
  const spec = STEPS[step];
  const reads: string[] = [];
  const config = spec.project === 'blend' ? 'the blend config' : 'config';
  reads.push(spec.config === '*' ? `${config}: all of it` : spec.config.length > 0 ? `${config}: ${spec.config.join(', ')}` : `${config}: nothing`);
  if (spec.data.length > 0) reads.push(`data: ${spec.data.map((d) => DATA_PARTS[d]).join('; ')}`);
  for (const { step: before, round } of spec.after) {
    const target = `${before}${STEPS[before].rounds === 'later' || round === 'previous' ? '-round-*' : ''}${STEPS[before].perFold ? '-fold-*' : ''}${round === 'previous' ? ' (the previous round)' : round === 'all' ? ' (every round)' : ''}`;
    reads.push(`${spec.project === 'blend' ? "each member's " : ''}${target}: ${outputsOf(before).join(', ')}`);
  }
  return { reads, writes: outputsOf(step) };
}

function stepUsage(step: StepCommand): string {
  return `${COMMANDS.step} ${stepCommandLine(step)} [flags]`;
}

export function stepsHelp(): string {
  const lines = STEP_ORDER.map((s) => [stepCommandLine(s), STEPS[s].summary] as const);
  const width = Math.max(...lines.map(([s]) => s.length));
  return formatHelp({
    usage: [`${COMMANDS.step} <step> [flags]`, `${COMMANDS.step} <step> --help`],
    summary:
      'Runs one step of the pipeline in this process. Each step is also an Nx target of the pipeline project (pipeline:<step>, ' +
      'per fold pipeline:<step>-fold-<k>), which runs this command with the run\'s settings in the environment and after the steps it reads.',
    sections: [{ title: 'steps, in order', lines: lines.map(([s, summary]) => `${s.padEnd(width)}  ${summary}`) }],
    flags: ALL_STEP_FLAGS,
    footer: [
      `--fold is for ${PER_FOLD_STEPS.join(' and ')} only, --round for ${PER_ROUND_STEPS.join(', ')} (pseudo-label rounds, pseudo.rounds). ` +
        `${COMMANDS.step} <step> --help says what a step reads and writes.`,
    ],
  });
}

export function stepHelp(step: StepCommand): string {
  const spec = STEPS[step];
  const io = stepIo(step);
  const after = [...new Set(spec.after.map((a) => a.step))];
  const afterText = after.length === 0 ? '' : `, after ${spec.project === 'blend' ? "its members' " : ''}${after.join(', ')}`;
  return formatHelp({
    usage: stepUsage(step),
    summary: `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}. Nx target: ${stepTarget(step)}${afterText}; it reruns only when what it reads, or its code, changed.`,
    sections: [
      { title: 'reads', lines: io.reads },
      { title: 'writes', lines: io.writes },
    ],
    flags: stepFlags(step),
  });
}

// ---- npm run doctor, the cluster stages --------------------------------------------------------

export const DOCTOR_FLAGS = defineFlags({ config: CONFIG_FLAG, ...HELP_FLAG });

export function doctorHelp(): string {
  return formatHelp({
    usage: `${COMMANDS.doctor} [--config <preset|file>]`,
    summary:
      'Says what this machine gives the pipeline: which backends load and why the others do not, the native CPU kernels, ' +
      'the GPUs nvidia-smi -L lists, the CUDA 11 / cuDNN 8 libraries the loader finds, threads, and what npm run pipeline ' +
      'would choose for the config. Reads nothing of a run; writes nothing.',
    flags: DOCTOR_FLAGS,
  });
}

export const STAGE_FLAGS = defineFlags({
  fold: { value: '<k>', description: 'the fold of the fold stage', default: '$SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX' },
  out: { value: '<dir>', description: 'where the final stage copies submission.csv, report/ and bundle/; required by final' },
  'allow-worthless': { description: 'final: write submission.csv to --out even when training visibly failed', default: 'withhold it' },
  ...HELP_FLAG,
});

export function stageHelp(): string {
  const steps = clusterStages();
  return formatHelp({
    usage: `${COMMANDS.stage} <${CLUSTER_STAGES.join('|')}> [flags]`,
    summary:
      `What a cluster job runs, with the run's settings in the environment its job script exports: prepare (${steps.prepare.join(' + ')}), ` +
      `fold (${steps.fold.map((s) => `${s}-fold-k`).join(' + ')}), final (checks every fold, then ${steps.final.join(' → ')}, and copies the results to --out).`,
    flags: STAGE_FLAGS,
  });
}
