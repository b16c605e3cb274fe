// Nx plugin: infers the pipeline's targets from the experiment config, one `train-fold-<k>` and
// `predict-fold-<k>` per fold, so each fold is its own cacheable task and folds run in parallel.
// The config is the one the run uses (TGS_CONFIG, a preset name or a path; default `cpu`).
const { dirname } = require('node:path');
const { configPath, configValue, defaultWorkDir } = require('./run-settings.cjs');

/** folds.k of the run's config ("extends" included); the schema's default 5 otherwise (the step reports a bad config). */
function foldCount() {
  const k = configValue(configPath(), ['folds', 'k']);
  return Number.isInteger(k) && k >= 2 ? k : 5;
}

// The run's artifact folder, relative to the workspace (Nx caches outputs inside the workspace only).
function workDir() {
  const rel = (process.env.TGS_WORK || defaultWorkDir()).replace(/\/+$/, '');
  if (rel.startsWith('/') || rel.split('/').includes('..')) {
    throw new Error(`TGS_WORK must be a folder inside the workspace, relative to its root; got "${rel}"`);
  }
  return rel;
}

function step(name, { extraInputs = [], ...extra } = {}) {
  return {
    executor: 'nx:run-commands',
    cache: true,
    options: { command: `tsx apps/pipeline/src/main.ts ${name}`, cwd: '{workspaceRoot}' },
    inputs: [
      'production',
      '^production',
      { runtime: 'node tools/nx/fingerprint.cjs' },
      { env: 'TGS_DATA' },
      { env: 'TGS_CONFIG' },
      { env: 'TGS_BACKEND' },
      { env: 'TGS_WORK' },
      { env: 'TGS_SET' },
      ...extraInputs,
    ],
    ...extra,
  };
}

const createNodesV2 = [
  'apps/pipeline/pipeline.targets.json',
  async (files) => {
    const k = foldCount();
    const work = `{workspaceRoot}/${workDir()}`;
    return files.map((file) => {
      const targets = {
        data: step('data', {
          outputs: ['{workspaceRoot}/data/tgs-synthetic', '{workspaceRoot}/data/tgs-synthetic-test-truth.csv', `${work}/timings/data.json`],
        }),
        folds: step('folds', { dependsOn: ['data'], outputs: [`${work}/folds.csv`, `${work}/timings/folds.json`] }),
        train: { executor: 'nx:noop', dependsOn: [] },
        predict: { executor: 'nx:noop', dependsOn: [] },
        ensemble: step('ensemble', { dependsOn: ['predict'], outputs: [`${work}/ensemble`, `${work}/timings/ensemble.json`] }),
        tune: step('tune', { dependsOn: ['ensemble'], outputs: [`${work}/tune`, `${work}/timings/tune.json`] }),
        submit: step('submit', { dependsOn: ['tune'], outputs: [`${work}/submission`, `${work}/timings/submit.json`] }),
        bundle: step('bundle', { dependsOn: ['tune'], outputs: [`${work}/bundle`, `${work}/timings/bundle.json`] }),
        report: step('report', { dependsOn: ['submit', 'bundle'], outputs: [`${work}/report`] }),
      };
      for (let f = 0; f < k; f++) {
        targets[`train-fold-${f}`] = step(`train --fold ${f}`, {
          dependsOn: ['folds'],
          extraInputs: [{ dependentTasksOutputFiles: '**/folds.csv' }],
          outputs: [`${work}/fold-${f}/stage1`, `${work}/fold-${f}/stage2`, `${work}/fold-${f}/result.json`, `${work}/fold-${f}/backend.json`, `${work}/fold-${f}/fingerprint.json`],
        });
        targets[`predict-fold-${f}`] = step(`predict --fold ${f}`, {
          dependsOn: [`train-fold-${f}`],
          extraInputs: [{ dependentTasksOutputFiles: '**/fingerprint.json' }],
          outputs: [`${work}/fold-${f}/predict`, `${work}/timings/predict-fold-${f}.json`],
        });
        targets.train.dependsOn.push(`train-fold-${f}`);
        targets.predict.dependsOn.push(`predict-fold-${f}`);
      }
      return [file, { projects: { [dirname(file)]: { targets } } }];
    });
  },
];

module.exports = { createNodesV2 };
