// Nx plugin: infers the pipeline's targets from the step table of @segkit/run (libs/core/run/src/steps.ts)
// and the run's settings (its config: a preset or experiment name or a path): one `train-fold-<k>`
// and `predict-fold-<k>` per fold, so each fold is its own cacheable task and folds run in
// parallel. Every target's inputs are the code, the fingerprint of exactly the config sections
// and data parts its step reads (`node tools/nx/fingerprint.cjs <step>`) and the fingerprinting
// files of the steps it reads (`after`); its outputs are its artifacts in the run layout. So a
// step reruns only when what it reads changed. With pseudo-label rounds (`pseudo.rounds`) each
// later round has its own targets (`pseudo-round-<r>`, `train-round-<r>-fold-<k>`, …) after the
// previous round's ensemble, writing into the round's work directory.
const { dirname, relative } = require('node:path');
const settings = require('./run-settings.cjs');

const { run } = settings;

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
  '{workspaceRoot}/tools/nx/*.ts',
  '{workspaceRoot}/tools/run/*.cjs',
];

/** A target's inputs: the code, its step's fingerprint, the work directory unless pinned, the files it reads of the targets it runs after. */
function targetInputs(step, pinned, globs) {
  const prefix = pinned ? run.shellAssignments(pinned) : '';
  return [
    ...CODE_INPUTS,
    { runtime: `${prefix}node tools/nx/fingerprint.cjs ${step}` },
    ...(pinned ? [] : [{ env: run.RUN_ENV.work }]),
    ...[...new Set(globs)].map((glob) => ({ dependentTasksOutputFiles: glob })),
  ];
}

function runCommands(command, pinned, dependsOn, inputs, outputs) {
  // Each step starts from one bundle of its TypeScript (tools/run/bundled.cjs), kept until a source
  // changes: about a second of CPU less per step than compiling its modules through tsx.
  const options = { command: `node --require ./tools/run/bundled.cjs apps/pipeline/src/main.ts ${command}`, cwd: '{workspaceRoot}', ...(pinned ? { env: run.toEnv(pinned) } : {}) };
  return { executor: 'nx:run-commands', cache: true, options, dependsOn: [...new Set(dependsOn)], inputs, outputs };
}

/**
 * One experiment target (a StepTarget of @segkit/run's experimentTargets: a step in a round, per
 * fold when per fold), writing into its round's work directory. `pinned`: the settings the target
 * fixes for itself (an experiment's config and work directory), passed to its command and its
 * fingerprint; without it they come from the environment Nx runs in (as `npm run pipeline` sets
 * it), and the work directory is hashed.
 */
function experimentTarget(t, workDir, synthetic, pinned) {
  const spec = run.STEPS[t.step];
  const layout = run.runLayout(run.roundWorkDir(workDir, t.round));
  const command = `${t.step}${spec.perFold ? ` --fold ${t.fold}` : ''}${t.round > 0 ? ` --round ${t.round}` : ''}`;
  const outputs = spec.outputs(layout, t.fold ?? 0, synthetic).map((p) => `{workspaceRoot}/${relative(run.WORKSPACE_ROOT, p)}`);
  const inputs = targetInputs(t.step, pinned, t.after.map((a) => run.layoutFileGlob(a.file, synthetic)));
  return runCommands(command, pinned, t.after.map((a) => a.target), inputs, outputs);
}

/** A blend's step, after its members' targets (`members`). */
function blendTarget(step, layout, synthetic, pinned, members) {
  const spec = run.STEPS[step];
  const dependsOn = members.length > 0 ? spec.after.map(({ step: before }) => ({ projects: members, target: before })) : [];
  const inputs = targetInputs(step, pinned, spec.after.map(({ file }) => run.layoutFileGlob(file, synthetic)));
  const outputs = spec.outputs(layout, 0, synthetic).map((p) => `{workspaceRoot}/${relative(run.WORKSPACE_ROOT, p)}`);
  const target = runCommands(step, pinned, [], inputs, outputs);
  const unique = [...new Map(dependsOn.map((d) => [JSON.stringify(d), d])).values()];
  return { ...target, dependsOn: unique };
}

/**
 * The pipeline's targets for a run's settings (a RunSettings of @segkit/run: its config, overrides and
 * work directory): those of @segkit/run's experimentTargets for the config's folds and
 * pseudo-label rounds, and per step with targets in several rounds or folds an aggregate
 * (`nx run pipeline:train` trains every fold of every round); `pinned` as in {@link experimentTarget}.
 */
function pipelineTargets(runSettings, pinned) {
  const parsed = settings.parsedConfig(runSettings);
  // An invalid config still gets targets (the defaults' folds and synthetic data): the data step reports it.
  const { config: cfg } = parsed.config ? parsed : { config: settings.config().parseConfig({}) };
  const workDir = `${run.WORKSPACE_ROOT}/${settings.workRel(runSettings)}`;
  const targets = {};
  const byStep = new Map();
  for (const t of run.experimentTargets(cfg.folds.k, cfg.pseudo.rounds)) {
    targets[t.name] = experimentTarget(t, workDir, cfg.synthetic, pinned);
    byStep.set(t.step, [...(byStep.get(t.step) ?? []), t.name]);
  }
  // An aggregate hashes nothing of its own.
  for (const [step, names] of byStep) if (!(step in targets)) targets[step] = { executor: 'nx:noop', dependsOn: names, inputs: [] };
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
    targets[step] = blendTarget(step, layout, synthetic, pinned, invalid ? [] : members);
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
