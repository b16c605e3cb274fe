/**
 * The pipeline's steps and what each one reads and writes, as data: the config sections it uses,
 * the parts of the competition folder it reads, the steps whose artifacts it consumes (and which
 * of their files carry the fingerprint of what they hold), and its outputs in the run layout.
 * Meant as the one source for the Nx targets' `dependsOn`, `inputs` and `outputs` and for the
 * config sections each step keys its own artifacts with, so the Nx cache and the artifacts'
 * fingerprints agree on when a step must run again.
 */
import { RunLayout, Stage } from './layout';
import { SyntheticSettings, syntheticPaths } from './settings';

/** Parts of a Kaggle competition folder: train images, masks and depths; test images; the sample submission. */
export type DataPart = 'train' | 'test' | 'sample';

export type StepName = 'data' | 'folds' | 'train' | 'predict' | 'ensemble' | 'tune' | 'submit' | 'bundle' | 'report';

export interface StepSpec {
  /**
   * Top-level config sections the step reads (defaults filled in); `'*'`: the whole config. With
   * the built-in synthetic data, a step that reads any data part also reads the `synthetic` section.
   */
  config: readonly string[] | '*';
  /** Parts of the data folder it reads (for the built-in synthetic data: the `synthetic` section). */
  data: readonly DataPart[];
  /**
   * Steps whose artifacts it reads, with the glob of their output files that fingerprints them
   * (small metadata files that change whenever the artifact does).
   */
  after: readonly { step: StepName; files: string }[];
  /** One target per fold (`train-fold-<k>`). */
  perFold: boolean;
  /** One line for `--help`. */
  summary: string;
  /** Its outputs, given the run layout, the fold (per-fold steps) and the config's `synthetic` section. */
  outputs: (layout: RunLayout, fold: number, synthetic: SyntheticSettings) => string[];
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
    config: ['synthetic'],
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
    config: ['folds'],
    data: ['train'],
    after: [{ step: 'data', files: '**/synthetic.json' }],
    perFold: false,
    summary: 'assigns every train image to one of folds.k stratified folds, saved to folds.csv',
    outputs: (l) => [l.folds, l.timings.step('folds')],
  },
  train: {
    config: [...TRAIN_STAGE_CONFIG[1], ...TRAIN_STAGE_CONFIG[2]],
    data: ['train'],
    after: [{ step: 'folds', files: '**/folds.csv' }],
    perFold: true,
    summary: 'trains one fold: stage 1 (BCE) from scratch, stage 2 (Lovász) from stage 1\'s best weights; resumes after a kill',
    outputs: (l, k) => [l.fold(k).stage(1).dir, l.fold(k).stage(2).dir, l.fold(k).result, l.fold(k).backend, l.fold(k).fingerprint],
  },
  predict: {
    config: ['predict'],
    data: ['train', 'test'],
    // The fold's fingerprint.json names what its final weights were trained from (see @tgs/train).
    after: [{ step: 'train', files: '**/fold-*/fingerprint.json' }],
    perFold: true,
    summary: 'exports one fold\'s stage-2 models and writes its OOF logits (after each stage) and test logits, with TTA',
    outputs: (l, k) => [l.fold(k).predict.dir, l.timings.step(`predict-fold-${k}`)],
  },
  ensemble: {
    // `folds`: folds.k, the number of folds it combines.
    config: ['ensemble', 'folds'],
    data: ['train'],
    after: [{ step: 'predict', files: '**/predict/meta.json' }],
    perFold: false,
    summary: 'combines the folds\' test logits and places each fold\'s OOF logits in train order',
    outputs: (l) => [l.ensemble.dir, l.timings.step('ensemble')],
  },
  tune: {
    // `folds`: folds.k, for the per-fold OOF scores.
    config: ['tune', 'folds'],
    data: ['train'],
    after: [
      { step: 'folds', files: '**/folds.csv' },
      { step: 'ensemble', files: '**/ensemble/meta.json' },
    ],
    perFold: false,
    summary: 'tunes the logit threshold and minimum area on the OOF logits; scores stage 1, stage 2 and each fold',
    outputs: (l) => [l.tune.dir, l.timings.step('tune')],
  },
  submit: {
    config: [],
    data: ['sample'],
    after: [
      { step: 'ensemble', files: '**/ensemble/meta.json' },
      { step: 'tune', files: '**/tune.json' },
    ],
    perFold: false,
    summary: 'writes submission.csv in the sample submission\'s order and validates it row by row',
    outputs: (l) => [l.submission.dir, l.timings.step('submit')],
  },
  bundle: {
    // bundle.json and config.json hold the whole config, name included.
    config: '*',
    data: [],
    after: [
      { step: 'predict', files: '**/predict/meta.json' },
      { step: 'tune', files: '**/tune.json' },
    ],
    perFold: false,
    summary: 'writes the portable bundle npm run infer reads: every fold\'s exported models, the tuned threshold and min area, the config',
    outputs: (l) => [l.bundle.dir, l.timings.step('bundle')],
  },
  report: {
    // The report shows the whole config, name included.
    config: '*',
    data: ['train'],
    after: [
      { step: 'train', files: '**/result.json' },
      { step: 'ensemble', files: '**/ensemble/meta.json' },
      { step: 'tune', files: '**/tune.json' },
      { step: 'submit', files: '**/submission/summary.json' },
      { step: 'bundle', files: '**/bundle/bundle.json' },
    ],
    perFold: false,
    summary: 'writes the OOF evaluation report (index.html, summary.json)',
    outputs: (l) => [l.report.dir],
  },
};

/** Steps in pipeline order. */
export const STEP_ORDER: readonly StepName[] = ['data', 'folds', 'train', 'predict', 'ensemble', 'tune', 'submit', 'bundle', 'report'];
