/**
 * The pipeline's steps and what each one reads and writes, as data: the config sections it uses,
 * the parts of the competition folder it reads, the steps whose artifacts it consumes (and which
 * of their files carry the fingerprint of what they hold), and its outputs in the run layout.
 * Meant as the one source for the Nx targets' `dependsOn`, `inputs` and `outputs` and for the
 * config sections each step keys its own artifacts with, so the Nx cache and the artifacts'
 * fingerprints agree on when a step must run again.
 */
import { basename, relative } from 'node:path';
import { CLUSTER_STAGES, ClusterStage, RunLayout, runLayout, Stage } from './layout';
import { SyntheticSettings, syntheticPaths } from './settings';

/** Parts of a Kaggle competition folder: train images, masks and depths; test images; the sample submission. */
export type DataPart = 'train' | 'test' | 'sample';

export type StepName = 'data' | 'folds' | 'train' | 'predict' | 'ensemble' | 'tune' | 'submit' | 'bundle' | 'report' | 'blend';

/**
 * Which configs a step runs for: every experiment (a preset, an experiment file; the `pipeline`
 * project), or a blend config (a file with a top-level `blend`), whose steps read its members'.
 */
export type StepProject = 'experiment' | 'blend';

/**
 * A file of the run layout, given the layout (fold folders as `fold-*`) and the config's
 * `synthetic` section; a file outside the work directory (the synthetic data's stamp) is matched
 * by its name.
 */
export type LayoutFile = (layout: RunLayout, synthetic: SyntheticSettings) => string;

export interface StepSpec {
  project: StepProject;
  /**
   * Top-level config sections the step reads (defaults filled in); `'*'`: the whole config. With
   * the built-in synthetic data, a step that reads any data part also reads the `synthetic` section.
   */
  config: readonly string[] | '*';
  /** Parts of the data folder it reads (for the built-in synthetic data: the `synthetic` section). */
  data: readonly DataPart[];
  /**
   * Steps whose artifacts it reads (for a blend: its members'), with the output file that
   * fingerprints them (a small metadata file that changes whenever the artifact does).
   */
  after: readonly { step: StepName; file: LayoutFile }[];
  /**
   * Config keys (dotted) whose value is a path to a file the step reads, hashed by content in its
   * Nx inputs (e.g. a pretrained encoder's weights).
   */
  files?: readonly string[];
  /** One target per fold (`train-fold-<k>`). */
  perFold: boolean;
  /** One line for `--help`. */
  summary: string;
  /** Its outputs, given the run layout, the fold (per-fold steps) and the config's `synthetic` section. */
  outputs: (layout: RunLayout, fold: number | '<k>', synthetic: SyntheticSettings) => string[];
  /** Steps of the other kind of project it stands for, so `nx run-many -t report` reaches every project. */
  standsFor?: readonly StepName[];
}

/**
 * Config sections a training stage's weights depend on (with the fold's validation ids and the
 * train pixels). Stage 1 trains from scratch; stage 2 continues from stage 1's best weights, so it
 * is keyed by its own section plus stage 1's fingerprint: a change to stage 2 alone retrains
 * stage 2 from the kept stage 1.
 */
export const TRAIN_STAGE_CONFIG: Record<Stage, readonly string[]> = {
  1: ['seed', 'folds', 'model', 'train', 'stage1'],
  2: ['stage2'],
};

export const STEPS: Record<StepName, StepSpec> = {
  data: {
    project: 'experiment',
    config: ['synthetic', 'data'],
    data: ['train', 'test', 'sample'],
    after: [],
    perFold: false,
    summary: 'generates the built-in synthetic competition (no --data) or checks and decodes a real one',
    outputs: (l, _k, s) => {
      const synthetic = syntheticPaths(s);
      return [synthetic.dataDir, synthetic.truth, l.timings.step('data')];
    },
  },
  folds: {
    project: 'experiment',
    config: ['folds', 'data'],
    data: ['train'],
    after: [{ step: 'data', file: (_l, s) => syntheticPaths(s).stamp }],
    perFold: false,
    summary: 'assigns every train image to one of folds.k stratified folds, saved to folds.csv',
    outputs: (l) => [l.folds, l.timings.step('folds')],
  },
  train: {
    project: 'experiment',
    config: [...TRAIN_STAGE_CONFIG[1], ...TRAIN_STAGE_CONFIG[2]],
    files: ['model.encoderWeights'],
    data: ['train'],
    after: [{ step: 'folds', file: (l) => l.folds }],
    perFold: true,
    summary: 'trains one fold: stage 1 (BCE) from scratch, stage 2 (Lovász) from stage 1\'s best weights; resumes after a kill',
    outputs: (l, k) => [l.fold(k).stage(1).dir, l.fold(k).stage(2).dir, l.fold(k).result, l.fold(k).backend, l.fold(k).fingerprint],
  },
  predict: {
    project: 'experiment',
    config: ['predict', 'data'],
    data: ['train', 'test'],
    // The fold's fingerprint.json names what its final weights were trained from (see @segkit/train).
    after: [{ step: 'train', file: (l) => l.fold('*').fingerprint }],
    perFold: true,
    summary: 'exports one fold\'s stage-2 models and writes its OOF logits (after each stage) and test logits, with TTA',
    outputs: (l, k) => [l.fold(k).predict.dir, l.timings.step(`predict-fold-${k}`)],
  },
  ensemble: {
    project: 'experiment',
    // `folds`: folds.k, the number of folds it combines.
    config: ['ensemble', 'folds', 'data'],
    data: ['train'],
    after: [{ step: 'predict', file: (l) => l.fold('*').predict.meta }],
    perFold: false,
    summary: 'combines the folds\' test logits and places each fold\'s OOF logits in train order',
    outputs: (l) => [l.ensemble.dir, l.timings.step('ensemble')],
  },
  tune: {
    project: 'experiment',
    // `folds`: folds.k, for the per-fold OOF scores.
    config: ['tune', 'folds', 'data'],
    data: ['train'],
    after: [
      { step: 'folds', file: (l) => l.folds },
      { step: 'ensemble', file: (l) => l.ensemble.meta },
    ],
    perFold: false,
    summary: 'tunes the logit threshold and minimum area on the OOF logits; scores stage 1, stage 2 and each fold',
    outputs: (l) => [l.tune.dir, l.timings.step('tune')],
  },
  submit: {
    project: 'experiment',
    // `data`: the layout, whose submission format it writes.
    config: ['data'],
    data: ['sample'],
    after: [
      { step: 'ensemble', file: (l) => l.ensemble.meta },
      { step: 'tune', file: (l) => l.tune.record },
    ],
    perFold: false,
    summary: 'writes submission.csv in the sample submission\'s order and validates it row by row',
    outputs: (l) => [l.submission.dir, l.timings.step('submit')],
  },
  bundle: {
    project: 'experiment',
    // bundle.json and config.json hold the whole config, name included.
    config: '*',
    data: [],
    after: [
      { step: 'predict', file: (l) => l.fold('*').predict.meta },
      { step: 'tune', file: (l) => l.tune.record },
    ],
    perFold: false,
    summary: 'writes the portable bundle npm run infer reads: every fold\'s exported models, the tuned threshold and min area, the config',
    outputs: (l) => [l.bundle.dir, l.timings.step('bundle')],
  },
  report: {
    project: 'experiment',
    // The report shows the whole config, name included.
    config: '*',
    data: ['train'],
    after: [
      { step: 'train', file: (l) => l.fold('*').result },
      { step: 'ensemble', file: (l) => l.ensemble.meta },
      { step: 'tune', file: (l) => l.tune.record },
      { step: 'submit', file: (l) => l.submission.summary },
      { step: 'bundle', file: (l) => l.bundle.record },
    ],
    perFold: false,
    summary: 'writes the OOF evaluation report (index.html, summary.json)',
    outputs: (l) => [l.report.dir],
  },
  blend: {
    project: 'blend',
    // The blend config: its members, weights and tune section.
    config: '*',
    data: ['train', 'sample'],
    after: [
      { step: 'folds', file: (l) => l.folds },
      { step: 'ensemble', file: (l) => l.ensemble.meta },
      { step: 'tune', file: (l) => l.tune.record },
    ],
    perFold: false,
    summary: "a blend config's step: combines its members' ensembled OOF and test logits, tunes the threshold, writes the blend's submission and report",
    outputs: (l) => [l.blend.dir, l.submission.dir, l.report.dir],
    standsFor: ['submit', 'report'],
  },
};

/** Steps in pipeline order (a blend's step after the experiments' steps it reads). */
export const STEP_ORDER: readonly StepName[] = ['data', 'folds', 'train', 'predict', 'ensemble', 'tune', 'submit', 'bundle', 'report', 'blend'];

/** The steps one kind of project runs, in order. */
export function projectSteps(project: StepProject): StepName[] {
  return STEP_ORDER.filter((s) => STEPS[s].project === project);
}

/**
 * The glob the Nx targets of a step match a file of the steps it reads with: the file's path in
 * the work directory under any folder (`**\/fold-*\/predict/meta.json`), or its name for a file
 * outside it.
 */
export function layoutFileGlob(file: LayoutFile, synthetic: SyntheticSettings): string {
  const work = '/<work>';
  const path = file(runLayout(work), synthetic);
  const rel = relative(work, path);
  return `**/${rel.startsWith('..') ? basename(path) : rel}`;
}

/**
 * The experiment's steps each cluster stage runs: the steps before the per-fold ones (one job),
 * the per-fold ones (one job per fold), the rest (one job, after every fold).
 */
export function clusterStages(): Record<ClusterStage, StepName[]> {
  const steps = projectSteps('experiment');
  const first = steps.findIndex((s) => STEPS[s].perFold);
  const end = steps.length - [...steps].reverse().findIndex((s) => STEPS[s].perFold);
  const byStage = [steps.slice(0, first), steps.slice(first, end), steps.slice(end)];
  return Object.fromEntries(CLUSTER_STAGES.map((stage, i) => [stage, byStage[i]])) as Record<ClusterStage, StepName[]>;
}
