// Nx plugin: every experiment config — the presets in configs/ and the files a user adds to
// experiments/ — is an Nx project named after its file, with its own work directory
// (runs/work/<name>, as `npm run pipeline -- --config <name>` uses) and the pipeline's targets: `nx run cpu:train-fold-1`,
// `nx run my-exp:submit`, `nx run-many -t report`. A config with a top-level "blend" is a blend
// project instead: its `blend` target combines its members' ensembled logits (after their
// `ensemble` and `tune` targets), and `submit` / `report` stand for it.
//
// The targets are the `pipeline` project's (tools/nx/pipeline-targets.cjs), built with the
// experiment's config and work directory as their run settings, so every step,
// input and output stays defined in one place (the step table of @segkit/run). A target hashes its
// own config slice (tools/nx/fingerprint.cjs), never the config file, so renaming an experiment
// or changing a later step's section reruns only the steps that read it.
//
// A blend is checked here, from the configs (its members exist, one weight per member, one fold
// split): a faulty blend gets its own step alone, which reports the fault as one error line before
// any member's step runs.
const { readFileSync } = require('node:fs');
const { basename, join, relative } = require('node:path');
const pipeline = require('./pipeline-targets.cjs');
const settings = require('./run-settings.cjs');

const { run } = settings;

const root = run.WORKSPACE_ROOT;

/** An experiment's work directory, relative to the workspace (Nx caches outputs inside it only). */
function experimentWork(name) {
  return run.defaultWorkDir(`${name}.json`);
}

/** A blend config's targets: on their own when it fails its config check (its step then reports the fault). */
function blendProjectTargets(file, name, raw) {
  let invalid = false;
  try {
    settings.config().checkBlendConfig(join(root, file));
  } catch {
    invalid = true;
  }
  const members = raw.blend.members.filter((m) => typeof m === 'string');
  return pipeline.blendTargets({ config: file, work: experimentWork(name) }, members, { invalid });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(join(root, file), 'utf8'));
  } catch {
    return undefined; // the step itself reports a bad file
  }
}

/**
 * The pipeline's targets for one experiment: same steps, its config and work directory pinned
 * (other settings, such as overrides, from the environment Nx runs in).
 */
function experimentTargets(name, configFile, base) {
  const pinned = { config: configFile, work: experimentWork(name) };
  return pipeline.pipelineTargets({ ...base, ...pinned }, pinned);
}

const createNodesV2 = [
  '{configs,experiments}/*.json',
  async (files) => {
    const base = run.fromEnv(process.env);
    const out = [];
    for (const file of files) {
      const name = basename(file, '.json');
      const raw = readJson(file);
      const isBlend = raw && typeof raw === 'object' && raw.blend && Array.isArray(raw.blend.members);
      const targets = isBlend
        ? blendProjectTargets(file, name, raw)
        : experimentTargets(name, file, base);
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
