// Nx plugin: every experiment config — the presets in configs/ and the files a user adds to
// experiments/ — is an Nx project named after its file, with its own work directory
// (runs/work/<name>, as `npm run pipeline -- --config <name>` uses) and the pipeline's targets: `nx run cpu:train-fold-1`,
// `nx run my-exp:submit`, `nx run-many -t report`. A config with a top-level "blend" is a blend
// project instead: its `blend` target combines its members' ensembled logits (after their
// `ensemble` and `tune` targets), and `submit` / `report` stand for it.
//
// The targets are the `pipeline` project's (tools/nx/pipeline-targets.cjs), built with the
// experiment's config and work directory in place of TGS_CONFIG and TGS_WORK, so every step,
// input and output stays defined in one place (the step table of @tgs/run). A target hashes its
// own config slice (tools/nx/fingerprint.cjs), never the config file, so renaming an experiment
// or changing a later step's section reruns only the steps that read it.
const { readFileSync } = require('node:fs');
const { basename, join, relative } = require('node:path');
const pipeline = require('./pipeline-targets.cjs');
const { run } = require('./run-settings.cjs');

const root = run.WORKSPACE_ROOT;

/** An experiment's work directory, relative to the workspace (Nx caches outputs inside it only). */
function experimentWork(name) {
  return run.defaultWorkDir(`${name}.json`);
}

// The code every step runs, as workspace globs (these projects have no folder of their own, so the
// usual `production` / `^production` named inputs do not apply).
const CODE_INPUTS = [
  '{workspaceRoot}/apps/pipeline/src/**/*.ts',
  '{workspaceRoot}/libs/**/src/**/*.ts',
  '{workspaceRoot}/libs/**/*.cjs',
  '!{workspaceRoot}/**/*.spec.ts',
  '{workspaceRoot}/tsconfig.base.json',
  '{workspaceRoot}/package-lock.json',
  '{workspaceRoot}/tools/nx/*.cjs',
];

function readJson(file) {
  try {
    return JSON.parse(readFileSync(join(root, file), 'utf8'));
  } catch {
    return undefined; // the step itself reports a bad file
  }
}

/** The pipeline's targets for one experiment: same steps, its config and work directory. */
async function experimentTargets(name, configFile) {
  const work = experimentWork(name);
  const saved = { config: process.env.TGS_CONFIG, work: process.env.TGS_WORK };
  process.env.TGS_CONFIG = join(root, configFile);
  process.env.TGS_WORK = work;
  let targets;
  try {
    targets = pipeline.pipelineTargets();
  } finally {
    for (const [key, value] of [['TGS_CONFIG', saved.config], ['TGS_WORK', saved.work]]) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const env = { TGS_CONFIG: configFile, TGS_WORK: work };
  const prefix = `TGS_CONFIG=${configFile} TGS_WORK=${work} `;
  for (const t of Object.values(targets)) {
    // Aggregates hash nothing of their own (the default inputs would name this project's folder).
    if (t.executor === 'nx:noop') t.inputs = [];
    if (t.executor !== 'nx:run-commands') continue;
    t.options = { ...t.options, env: { ...(t.options.env || {}), ...env } };
    t.inputs = [
      ...CODE_INPUTS,
      ...t.inputs
        .filter((i) => i !== 'production' && i !== '^production' && !(i && (i.env === 'TGS_CONFIG' || i.env === 'TGS_WORK')))
        .map((i) => (i && typeof i.runtime === 'string' ? { runtime: prefix + i.runtime } : i)),
    ];
  }
  return targets;
}

/** A blend's targets: `blend` after its members' `ensemble` and `tune`, then `submit` and `report` for it. */
function blendTargets(name, configFile, members) {
  const work = experimentWork(name);
  const outputs = ['blend', 'submission', 'report'].map((d) => `{workspaceRoot}/${work}/${d}`);
  return {
    blend: {
      executor: 'nx:run-commands',
      cache: true,
      options: { command: 'tsx apps/pipeline/src/main.ts blend', cwd: '{workspaceRoot}', env: { TGS_CONFIG: configFile, TGS_WORK: work } },
      dependsOn: [{ projects: members, target: 'ensemble' }, { projects: members, target: 'tune' }],
      inputs: [
        ...CODE_INPUTS,
        { runtime: `TGS_CONFIG=${configFile} node tools/nx/fingerprint.cjs blend` },
        { dependentTasksOutputFiles: '**/ensemble/*' },
        { dependentTasksOutputFiles: '**/folds.csv' },
      ],
      outputs,
    },
    submit: { executor: 'nx:noop', dependsOn: ['blend'], inputs: [] },
    report: { executor: 'nx:noop', dependsOn: ['blend'], inputs: [] },
  };
}

const createNodesV2 = [
  '{configs,experiments}/*.json',
  async (files) => {
    const out = [];
    for (const file of files) {
      const name = basename(file, '.json');
      const raw = readJson(file);
      const isBlend = raw && typeof raw === 'object' && raw.blend && Array.isArray(raw.blend.members);
      const targets = isBlend ? blendTargets(name, file, raw.blend.members.filter((m) => typeof m === 'string')) : await experimentTargets(name, file);
      const projectRoot = `experiments/${name}`;
      out.push([
        file,
        {
          projects: {
            [projectRoot]: {
              name,
              root: projectRoot,
              tags: [isBlend ? 'type:blend' : 'type:experiment'],
              metadata: { description: `${isBlend ? 'blend' : 'experiment'} ${relative(root, join(root, file))} → ${experimentWork(name)}` },
              targets,
            },
          },
        },
      ]);
    }
    return out;
  },
];

module.exports = { createNodesV2, experimentWork };
