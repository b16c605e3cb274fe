// Nx plugin: infers the pipeline's targets from the step table of @tgs/run (libs/core/run/src/steps.ts)
// and the run's config (TGS_CONFIG, a preset or experiment name or a path): one `train-fold-<k>`
// and `predict-fold-<k>` per fold, so each fold is its own cacheable task and folds run in
// parallel. Every target's inputs are the code, the fingerprint of exactly the config sections
// and data parts its step reads (`node tools/nx/fingerprint.cjs <step>`) and the fingerprinting
// files of the steps it reads (`after`); its outputs are its artifacts in the run layout. So a
// step reruns only when what it reads changed.
const { dirname, relative } = require('node:path');
const settings = require('./run-settings.cjs');

const { run } = settings;

function targetNames(step, k) {
  return run.STEPS[step].perFold ? Array.from({ length: k }, (_, f) => `${step}-fold-${f}`) : [step];
}

function target(step, fold, k, layout, synthetic) {
  const spec = run.STEPS[step];
  const dependsOn = [];
  const inputs = ['production', '^production', { runtime: `node tools/nx/fingerprint.cjs ${step}` }, { env: run.RUN_ENV.work }];
  for (const { step: before, files } of spec.after) {
    // A per-fold step reads its own fold's artifacts; any other step reads every fold's.
    dependsOn.push(...(spec.perFold && run.STEPS[before].perFold ? [`${before}-fold-${fold}`] : targetNames(before, k)));
    inputs.push({ dependentTasksOutputFiles: files });
  }
  const command = `tsx apps/pipeline/src/main.ts ${step}${spec.perFold ? ` --fold ${fold}` : ''}`;
  const outputs = spec.outputs(layout, fold, synthetic).map((p) => `{workspaceRoot}/${relative(run.WORKSPACE_ROOT, p)}`);
  return { executor: 'nx:run-commands', cache: true, options: { command, cwd: '{workspaceRoot}' }, dependsOn: [...new Set(dependsOn)], inputs, outputs };
}

/** The pipeline's targets for the run described by the environment (TGS_CONFIG, TGS_WORK, TGS_SET). */
function pipelineTargets() {
  const parsed = settings.parsedConfig();
  // An invalid config still gets targets (the defaults' folds and synthetic data): the data step reports it.
  const { config: cfg } = parsed.config ? parsed : { config: settings.config().parseConfig({}) };
  const k = cfg.folds.k;
  const layout = run.runLayout(`${run.WORKSPACE_ROOT}/${settings.workRel()}`);
  const targets = {};
  for (const step of run.STEP_ORDER) {
    if (run.STEPS[step].perFold) {
      for (let f = 0; f < k; f++) targets[`${step}-fold-${f}`] = target(step, f, k, layout, cfg.synthetic);
      // `nx run pipeline:train` trains every fold.
      targets[step] = { executor: 'nx:noop', dependsOn: targetNames(step, k) };
    } else {
      targets[step] = target(step, 0, k, layout, cfg.synthetic);
    }
  }
  return targets;
}

const createNodesV2 = [
  'apps/pipeline/pipeline.targets.json',
  async (files) => files.map((file) => [file, { projects: { [dirname(file)]: { targets: pipelineTargets() } } }]),
];

module.exports = { createNodesV2, pipelineTargets };
