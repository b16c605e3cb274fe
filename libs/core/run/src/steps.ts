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

export type StepName = 'data' | 'folds' | 'train' | 'predict' | 'ensemble' | 'pseudo' | 'tune' | 'submit' | 'bundle' | 'report' | 'blend';

/**
 * How a step takes part in the pseudo-label rounds (`pseudo.rounds`, see @segkit/pseudo). `each`:
 * once per round, round 0 being the plain run (targets `train-fold-<k>`, `ensemble`, artifacts in
 * the work directory) and round r ≥ 1 in its own work directory (@segkit/run's roundWorkDir;
 * targets `train-round-<r>-fold-<k>`, `ensemble-round-<r>`). `later`: in rounds r ≥ 1 only
 * (`pseudo-round-<r>`). A step without it runs once and reads the last round's artifacts.
 */
export type StepRounds = 'each' | 'later';

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
  after: readonly {
    step: StepName;
    file: LayoutFile;
    /**
     * Which round of a per-round step it reads: a per-round step the same round by default (and
     * nothing where that step has no target: round 0 has no pseudo-labels), `previous` round r − 1;
     * a step that runs once the last round by default, `all` every round.
     */
    round?: 'previous' | 'all';
  }[];
  /** Its part in the pseudo-label rounds; absent: it runs once (see {@link StepRounds}). */
  rounds?: StepRounds;
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
  1: ['seed', 'folds', 'input', 'model', 'train', 'stage1'],
  2: ['stage2'],
};

export const STEPS: Record<StepName, StepSpec> = {
  data: {
    project: 'experiment',
    config: ['synthetic', 'data', 'input'],
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
    config: ['folds', 'data', 'input'],
    data: ['train'],
    after: [{ step: 'data', file: (_l, s) => syntheticPaths(s).stamp }],
    perFold: false,
    summary: 'assigns every train image to one of folds.k stratified folds, saved to folds.csv',
    outputs: (l) => [l.folds, l.timings.step('folds')],
  },
  pseudo: {
    project: 'experiment',
    // `pseudo`: minConfidence (the selection); `data`: the layout the test images are read with.
    config: ['pseudo', 'data', 'input'],
    data: ['test'],
    after: [{ step: 'ensemble', file: (l) => l.ensemble.meta, round: 'previous' }],
    perFold: false,
    rounds: 'later',
    summary: "selects the test images the previous round's ensemble is confident on, with their masks, as the round's extra training images",
    outputs: (l) => [l.pseudo.dir, l.timings.step('pseudo')],
  },
  train: {
    project: 'experiment',
    // With the metric that picks each stage's best epoch: tune.metric, else the layout's (data).
    config: [...TRAIN_STAGE_CONFIG[1], ...TRAIN_STAGE_CONFIG[2], 'data', 'tune.metric'],
    files: ['model.encoderWeights'],
    data: ['train'],
    // In round r ≥ 1, also the round's pseudo-labels (added to the fold's training images).
    after: [
      { step: 'folds', file: (l) => l.folds },
      { step: 'pseudo', file: (l) => l.pseudo.record },
    ],
    perFold: true,
    rounds: 'each',
    summary: 'trains one fold: stage 1 (BCE) from scratch, stage 2 (Lovász) from stage 1\'s best weights; resumes after a kill',
    outputs: (l, k) => [l.fold(k).stage(1).dir, l.fold(k).stage(2).dir, l.fold(k).result, l.fold(k).backend, l.fold(k).fingerprint],
  },
  predict: {
    project: 'experiment',
    config: ['predict', 'data', 'input'],
    data: ['train', 'test'],
    // The fold's fingerprint.json names what its final weights were trained from (see @segkit/train).
    after: [{ step: 'train', file: (l) => l.fold('*').fingerprint }],
    perFold: true,
    rounds: 'each',
    summary: 'exports one fold\'s stage-2 models and writes its OOF logits (after each stage) and test logits, with TTA',
    outputs: (l, k) => [l.fold(k).predict.dir, l.timings.step(`predict-fold-${k}`)],
  },
  ensemble: {
    project: 'experiment',
    // `folds`: folds.k, the number of folds it combines.
    config: ['ensemble', 'folds', 'data', 'input'],
    data: ['train'],
    after: [{ step: 'predict', file: (l) => l.fold('*').predict.meta }],
    perFold: false,
    rounds: 'each',
    summary: 'combines the folds\' test logits and places each fold\'s OOF logits in train order',
    outputs: (l) => [l.ensemble.dir, l.timings.step('ensemble')],
  },
  tune: {
    project: 'experiment',
    // `folds`: folds.k, for the per-fold OOF scores.
    config: ['tune', 'folds', 'data', 'input'],
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
    // `data`: the layout, whose submission format it writes; `input`: whether masks are brought back to each image's size.
    config: ['data', 'input'],
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
    // Every round's ensemble and pseudo-labels: the report scores each round's OOF.
    after: [
      { step: 'train', file: (l) => l.fold('*').result },
      // Which TTA each stage's OOF logits had.
      { step: 'predict', file: (l) => l.fold('*').predict.meta },
      { step: 'ensemble', file: (l) => l.ensemble.meta, round: 'all' },
      { step: 'pseudo', file: (l) => l.pseudo.record, round: 'all' },
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

/**
 * Steps in pipeline order (a blend's step after the experiments' steps it reads). A step reads
 * only steps before it, except the previous round's (`round: 'previous'`): a pseudo-label round
 * starts with its pseudo-labels, read from the ensemble of the round before.
 */
export const STEP_ORDER: readonly StepName[] = ['data', 'folds', 'pseudo', 'train', 'predict', 'ensemble', 'tune', 'submit', 'bundle', 'report', 'blend'];

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
 * The rounds a step has a target in, for `rounds` pseudo-label rounds after the plain run (round
 * 0); [0] for a step that runs once.
 */
export function stepRounds(step: StepName, rounds: number): number[] {
  const all = Array.from({ length: rounds + 1 }, (_, r) => r);
  const how = STEPS[step].rounds;
  return how === 'each' ? all : how === 'later' ? all.slice(1) : [0];
}

/**
 * The Nx target of a step in a round (and fold, for a per-fold step): `train-fold-1`, `ensemble`
 * in round 0 or for a step that runs once; `train-round-2-fold-1`, `pseudo-round-1` in later rounds.
 */
export function stepTargetName(step: StepName, round: number, fold?: number): string {
  const inRound = STEPS[step].rounds !== undefined && round > 0 ? `-round-${round}` : '';
  return `${step}${inRound}${STEPS[step].perFold ? `-fold-${fold}` : ''}`;
}

/** One target of an experiment: a step in a round, for one fold when per fold. */
export interface StepTarget {
  name: string;
  step: StepName;
  /**
   * The pseudo-label round whose work directory it writes (@segkit/run's roundWorkDir): 0, the
   * run's work directory, for a step that runs once (it reads the last round's artifacts).
   */
  round: number;
  fold?: number;
  /** The targets it runs after, each with the file of the layout that fingerprints what it reads of them. */
  after: { target: string; step: StepName; round: number; file: LayoutFile }[];
}

/** The rounds of `before` that `step` in round `round` reads (see StepSpec's `after`). */
function roundsRead(step: StepName, round: number, before: StepName, how: 'previous' | 'all' | undefined, rounds: number): number[] {
  const available = stepRounds(before, rounds);
  if (STEPS[before].rounds === undefined) return available;
  const wanted = STEPS[step].rounds === undefined ? (how === 'all' ? available : [rounds]) : [how === 'previous' ? round - 1 : round];
  return wanted.filter((r) => available.includes(r));
}

/**
 * Every target of an experiment with `k` folds and `rounds` pseudo-label rounds, in an order that
 * runs each after what it reads: round 0 as without pseudo-labels, then per later round its
 * pseudo-labels (from the previous round's ensemble), training, prediction and ensemble, then the
 * steps that run once on the last round. A per-fold step reads its own fold of a per-fold step,
 * every fold of any other.
 */
export function experimentTargets(k: number, rounds: number): StepTarget[] {
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`pseudo.rounds must be an integer ≥ 0, got ${rounds}`);
  const folds = Array.from({ length: k }, (_, f) => f);
  const make = (step: StepName, round: number, fold?: number): StepTarget => {
    const after = STEPS[step].after.flatMap(({ step: before, file, round: how }) =>
      roundsRead(step, round, before, how, rounds).flatMap((r) => {
        const beforeFolds = !STEPS[before].perFold ? [undefined] : STEPS[step].perFold ? [fold] : folds;
        return beforeFolds.map((f) => ({ target: stepTargetName(before, r, f), step: before, round: r, file }));
      }),
    );
    return { name: stepTargetName(step, round, fold), step, round, ...(fold === undefined ? {} : { fold }), after };
  };
  const out: StepTarget[] = [];
  const add = (step: StepName, round: number) => {
    if (STEPS[step].perFold) for (const f of folds) out.push(make(step, round, f));
    else out.push(make(step, round));
  };
  const steps = projectSteps('experiment');
  const first = steps.findIndex((s) => STEPS[s].rounds !== undefined);
  const last = steps.length - [...steps].reverse().findIndex((s) => STEPS[s].rounds !== undefined);
  for (const step of steps.slice(0, first)) add(step, 0);
  for (let round = 0; round <= rounds; round++) for (const step of steps.slice(first, last)) if (stepRounds(step, rounds).includes(round)) add(step, round);
  for (const step of steps.slice(last)) add(step, 0);
  return out;
}

/**
 * The experiment's steps each cluster stage runs: the steps before the per-fold ones (one job),
 * the per-fold ones (one job per fold), the rest (one job, after every fold). Pseudo-label rounds
 * after the first (`pseudo.rounds`) run in the final job, before the steps that run once (see
 * {@link experimentTargets}).
 */
export function clusterStages(): Record<ClusterStage, StepName[]> {
  const steps = projectSteps('experiment').filter((s) => STEPS[s].rounds !== 'later');
  const first = steps.findIndex((s) => STEPS[s].perFold);
  const end = steps.length - [...steps].reverse().findIndex((s) => STEPS[s].perFold);
  const byStage = [steps.slice(0, first), steps.slice(first, end), steps.slice(end)];
  return Object.fromEntries(CLUSTER_STAGES.map((stage, i) => [stage, byStage[i]])) as Record<ClusterStage, StepName[]>;
}
