// Nx plugin: infers the pipeline's targets from the step table of @segkit/run (libs/core/run/src/steps.ts)
// and the run's settings (its config: a preset or experiment name or a path): one `train-fold-<k>`
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

// The code every step runs, as workspace globs: the same for a step whichever project runs it (the
// `pipeline` project or an experiment's, which has no folder of its own).
const CODE_INPUTS = [
  '{workspaceRoot}/apps/pipeline/src/**/*.ts',
  '{workspaceRoot}/libs/**/src/**/*.ts',
  '{workspaceRoot}/libs/**/*.cjs',
  '!{workspaceRoot}/**/*.spec.ts',
  '!{workspaceRoot}/**/jest.config.cjs',
  '{workspaceRoot}/tsconfig.base.json',
  '{workspaceRoot}/package-lock.json',
  '{workspaceRoot}/tools/nx/*.cjs',
];

/**
 * One step's target. `pinned`: the settings the target fixes for itself (an experiment's or a
 * blend's config and work directory), passed to its command and its fingerprint; without it they
 * come from the environment Nx runs in (as `npm run pipeline` sets it), and the work directory is
 * hashed. `members`: a blend step's experiments, whose targets it runs after.
 */
function target(step, fold, k, layout, synthetic, { pinned, members } = {}) {
  const spec = run.STEPS[step];
  const dependsOn = [];
  const prefix = pinned ? run.shellAssignments(pinned) : '';
  const inputs = [...CODE_INPUTS, { runtime: `${prefix}node tools/nx/fingerprint.cjs ${step}` }, ...(pinned ? [] : [{ env: run.RUN_ENV.work }])];
  for (const { step: before, file } of spec.after) {
    if (spec.project === 'blend') {
      if (members.length > 0) dependsOn.push({ projects: members, target: before });
    }
    // A per-fold step reads its own fold's artifacts; any other step reads every fold's.
    else dependsOn.push(...(spec.perFold && run.STEPS[before].perFold ? [`${before}-fold-${fold}`] : targetNames(before, k)));
    inputs.push({ dependentTasksOutputFiles: run.layoutFileGlob(file, synthetic) });
  }
  // The steps are CommonJS: tsx's CommonJS hook is all they need (no ESM loader thread, no tsx
  // launcher process), about half a second of CPU less per step.
  const command = `node --require tsx/cjs apps/pipeline/src/main.ts ${step}${spec.perFold ? ` --fold ${fold}` : ''}`;
  const outputs = spec.outputs(layout, fold, synthetic).map((p) => `{workspaceRoot}/${relative(run.WORKSPACE_ROOT, p)}`);
  const options = { command, cwd: '{workspaceRoot}', ...(pinned ? { env: run.toEnv(pinned) } : {}) };
  const unique = [...new Map(dependsOn.map((d) => [JSON.stringify(d), d])).values()];
  return { executor: 'nx:run-commands', cache: true, options, dependsOn: unique, inputs, outputs };
}

/**
 * The pipeline's targets for a run's settings (a RunSettings of @segkit/run: its config, overrides and
 * work directory): one per step of an experiment, per fold for the per-fold steps; `pinned` as in
 * {@link target}.
 */
function pipelineTargets(runSettings, pinned) {
  const parsed = settings.parsedConfig(runSettings);
  // An invalid config still gets targets (the defaults' folds and synthetic data): the data step reports it.
  const { config: cfg } = parsed.config ? parsed : { config: settings.config().parseConfig({}) };
  const k = cfg.folds.k;
  const layout = run.runLayout(`${run.WORKSPACE_ROOT}/${settings.workRel(runSettings)}`);
  const targets = {};
  for (const step of run.projectSteps('experiment')) {
    if (run.STEPS[step].perFold) {
      for (let f = 0; f < k; f++) targets[`${step}-fold-${f}`] = target(step, f, k, layout, cfg.synthetic, { pinned });
      // `nx run pipeline:train` trains every fold (an aggregate hashes nothing of its own).
      targets[step] = { executor: 'nx:noop', dependsOn: targetNames(step, k), inputs: [] };
    } else {
      targets[step] = target(step, 0, k, layout, cfg.synthetic, { pinned });
    }
  }
  return targets;
}

/**
 * A blend config's targets: its steps after its members' (`pinned`: its config and work
 * directory), and the steps each stands for, so `nx run-many -t report` reaches blends too.
 * `invalid`: the blend failed its config check; its step runs first and alone, and reports it.
 */
function blendTargets(pinned, members, { invalid = false } = {}) {
  const layout = run.runLayout(`${run.WORKSPACE_ROOT}/${settings.workRel(pinned)}`);
  const synthetic = settings.config().parseConfig({}).synthetic;
  const targets = {};
  for (const step of run.projectSteps('blend')) {
    targets[step] = target(step, 0, 0, layout, synthetic, { pinned, members: invalid ? [] : members });
    // A blend that fails its config check: every target is its step alone, which reports the fault
    // (a task skipped after a failed one would make Nx exit 130, as if interrupted, not 1).
    for (const alias of run.STEPS[step].standsFor ?? []) targets[alias] = invalid ? targets[step] : { executor: 'nx:noop', dependsOn: [step], inputs: [] };
  }
  return targets;
}

const createNodesV2 = [
  'apps/pipeline/pipeline.targets.json',
  // The run's settings as `npm run pipeline` passes them to Nx.
  async (files) => files.map((file) => [file, { projects: { [dirname(file)]: { targets: pipelineTargets(run.fromEnv(process.env)) } } }]),
];

module.exports = { createNodesV2, pipelineTargets, blendTargets };
