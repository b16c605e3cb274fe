import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { leaseNativeCores, parseBackendChoice, setupBackend } from '@segkit/backend';
import { checkImageSizes, checkLayout, ImageSet, loadTestSet, loadTrainSet, readTestIds, sampleSubmissionPath, TrainSet } from '@segkit/data';
import type { LayoutDescriptor } from '@segkit/layouts';
import { ensembleFolds, readEnsembleOof } from '@segkit/ensemble';
import { assignTrainFolds, foldSizes, groupsOf, readRunFolds, writeRunFolds } from '@segkit/folds';
import { bundleRun, MANIFEST_JSON } from '@segkit/infer';
import { log, Progress, UserError } from '@segkit/io';
import { metricInfo } from '@segkit/metrics';
import { predictFold } from '@segkit/predict';
import { assembleReport, writeReport } from '@segkit/report';
import { readFoldBackend, readStepSeconds, runLayout, syntheticPaths, timedStep, WORKSPACE_PATHS, writeFoldBackend } from '@segkit/run';
import { readSubmissionSummary, scoreSubmission, submitRun } from '@segkit/submit';
import { ensureSynthetic } from '@segkit/synthetic';
import { readFoldResult, trainFold } from '@segkit/train';
import { readTuneRecord, tuneOof, writeTuneRecord } from '@segkit/tune';
import { acquireGpuSlot, pinFoldToGpu } from '@segkit/cluster';
import { competitionLayout, competitionMetric, StepContext } from './context';

function loadOptions(what: string) {
  let progress: Progress | undefined;
  let shown = 0;
  return {
    cacheDir: WORKSPACE_PATHS.cache,
    onProgress: (done: number, total: number) => {
      progress ??= new Progress(`load ${what}`, total);
      progress.tick(done - shown);
      shown = done;
    },
  };
}

const layouts = new WeakMap<StepContext, LayoutDescriptor>();
/** The data folder's layout: the config's data.layout, else recognised from its files (once per context). */
function layoutOf(ctx: StepContext): LayoutDescriptor {
  let layout = layouts.get(ctx);
  if (!layout) layouts.set(ctx, (layout = competitionLayout(ctx.dataDir, ctx.config.data.layout)));
  return layout;
}

async function loadTrain(ctx: StepContext): Promise<TrainSet> {
  return loadTrainSet(ctx.dataDir, { ...loadOptions('train'), layout: layoutOf(ctx) });
}
async function loadTest(ctx: StepContext): Promise<ImageSet> {
  return loadTestSet(ctx.dataDir, { ...loadOptions('test'), layout: layoutOf(ctx) });
}

function timed<T>(ctx: StepContext, step: string, fn: () => Promise<T>): Promise<T> {
  return timedStep(ctx.workDir, step, fn);
}

/** Folds 0..k-1. */
function foldNumbers(ctx: StepContext): number[] {
  return Array.from({ length: ctx.config.folds.k }, (_, k) => k);
}

/** Sets up the backend and returns its one-line description (e.g. `wasm+native (oneDNN 2.6.3, 2 threads)`). */
async function backendFor(ctx: StepContext): Promise<string> {
  const info = await setupBackend({
    choice: ctx.backend === undefined ? undefined : parseBackendChoice(ctx.backend, '--backend'),
    config: ctx.config.backend,
    threads: ctx.threads,
    configThreads: ctx.config.compute.threads,
    log: (m) => log('backend', m),
  });
  // In a run that leases its cores, the native kernels take this process's share of them as it changes.
  if (info.candidate === 'wasm+native' && ctx.settings.cores !== undefined) {
    leaseNativeCores({ dir: runLayout(ctx.workDir).run.cores, cores: ctx.settings.cores, log: (m) => log('backend', m) });
  }
  return info.description;
}

/** Generates the built-in synthetic competition when no data folder is given; checks the layout of a real one. */
export async function prepareData(ctx: StepContext): Promise<void> {
  await timed(ctx, 'data', () => prepareDataUntimed(ctx));
}

async function prepareDataUntimed(ctx: StepContext): Promise<void> {
  if (ctx.synthetic) {
    const s = ctx.config.synthetic;
    const progress = new Progress('synthetic', s.nTrain + s.nTest);
    const { summary, generated } = await ensureSynthetic({
      outDir: ctx.dataDir,
      truthPath: syntheticPaths(s).truth,
      nTrain: s.nTrain,
      nTest: s.nTest,
      size: s.size,
      seed: s.seed,
      layout: s.layout,
      onProgress: () => progress.tick(),
      log: (m) => log('data', m),
    });
    if (!generated) log('data', `synthetic data up to date in ${ctx.dataDir}`);
    else log('data', `generated synthetic ${s.layout}-like data (${s.nTrain} train, ${s.nTest} test, ${s.size}×${s.size}, seed ${s.seed}) in ${ctx.dataDir}: empty masks ${(summary.emptyFraction * 100).toFixed(1)} %, mean coverage ${(summary.meanCoverage * 100).toFixed(1)} %`);
  }
  const layout = checkLayout(ctx.dataDir, undefined, layoutOf(ctx));
  const how = ctx.config.data.layout === 'auto' ? 'recognised from its files' : 'from data.layout';
  log('data', `${ctx.dataDir}: the ${layout.name} layout${layout.title ? ` (${layout.title})` : ''}, ${how}`);
  checkImageSizes(ctx.dataDir, layout);
  const train = await loadTrain(ctx);
  const test = await loadTest(ctx);
  log('data', `${train.ids.length} train and ${test.ids.length} test images of ${train.height}×${train.width} from ${ctx.dataDir}`);
}

/** K folds from the seed, stratified as configured, saved once to folds.csv. */
export async function folds(ctx: StepContext): Promise<void> {
  await timed(ctx, 'folds', () => foldsUntimed(ctx));
}

async function foldsUntimed(ctx: StepContext): Promise<void> {
  const { k, seed, stratify } = ctx.config.folds;
  const groupBy = ctx.config.folds.groupBy ?? layoutOf(ctx).groupBy;
  const train = await loadTrain(ctx);
  const assignment = assignTrainFolds(train, { k, seed, stratify, groupBy }, ctx.dataDir);
  const path = writeRunFolds(ctx.workDir, assignment);
  const grouped = groupBy === undefined ? '' : `, ${new Set(groupsOf(train.ids, groupBy).values()).size} groups by ${groupBy} kept whole`;
  log('folds', `${k} folds stratified by ${stratify}${grouped} (seed ${seed}): ${foldSizes(assignment, k).join(' / ')} images → ${path}`);
}

function readFolds(ctx: StepContext, train: TrainSet): Map<string, number> {
  return readRunFolds(ctx.workDir, train.ids);
}

function checkFold(ctx: StepContext, fold: number): void {
  if (!Number.isInteger(fold) || fold < 0 || fold >= ctx.config.folds.k) {
    throw new UserError(`--fold must be an integer in 0..${ctx.config.folds.k - 1} (folds.k = ${ctx.config.folds.k}), got ${fold}`);
  }
}

/** Pins a fold process to its GPU (from the wrapper's --gpus plan) before the backend loads. */
function pinFold(fold: number, step: string): { gpu?: number; device?: string } {
  const pinned = pinFoldToGpu(fold);
  if (pinned.device) log(step, `fold ${fold} on ${pinned.device}`);
  return pinned;
}

export async function train(ctx: StepContext, fold: number): Promise<void> {
  checkFold(ctx, fold);
  const pinned = pinFold(fold, 'train');
  // At most one training fold per GPU at a time: more folds than GPUs wait for their device.
  const slot = pinned.gpu === undefined ? undefined : await acquireGpuSlot(pinned.gpu, fold, { log: (m) => log('train', m) });
  try {
    const backend = await backendFor(ctx);
    const data = await loadTrain(ctx);
    const result = await trainFold({
      config: ctx.config,
      train: data,
      folds: readFolds(ctx, data),
      fold,
      foldDir: runLayout(ctx.workDir).fold(fold).dir,
      log: (m) => log('train', m),
    });
    writeFoldBackend(ctx.workDir, fold, { backend, ...(pinned.device ? { device: pinned.device } : {}) });
    log('train', `fold ${fold}: best val mAP stage 1 ${result.stage1.bestValMap.toFixed(4)}, stage 2 ${result.stage2.bestValMap.toFixed(4)}`);
  } finally {
    slot?.release();
  }
}

export async function predict(ctx: StepContext, fold: number): Promise<void> {
  checkFold(ctx, fold);
  pinFold(fold, 'predict');
  await timed(ctx, `predict-fold-${fold}`, async () => {
    await backendFor(ctx);
    const data = await loadTrain(ctx);
    const test = await loadTest(ctx);
    await predictFold({ config: ctx.config, train: data, test, folds: readFolds(ctx, data), fold, foldDir: runLayout(ctx.workDir).fold(fold).dir, log: (m) => log('predict', m) });
  });
}

export async function ensemble(ctx: StepContext): Promise<void> {
  await timed(ctx, 'ensemble', async () => {
    const data = await loadTrain(ctx);
    ensembleFolds({ workDir: ctx.workDir, k: ctx.config.folds.k, trainIds: data.ids, mode: ctx.config.ensemble.mode, log: (m) => log('ensemble', m) });
  });
}

export async function tune(ctx: StepContext): Promise<void> {
  await timed(ctx, 'tune', async () => {
    const data = await loadTrain(ctx);
    const assignment = readFolds(ctx, data);
    const record = tuneOof({
      oofStage1: readEnsembleOof(ctx.workDir, 1, data.ids).logits,
      oofStage2: readEnsembleOof(ctx.workDir, 2, data.ids).logits,
      truths: data.masks,
      pixels: data.height * data.width,
      foldOf: data.ids.map((id) => assignment.get(id)),
      k: ctx.config.folds.k,
      options: ctx.config.tune,
      scoring: { metric: competitionMetric(ctx.config, ctx.dataDir), width: data.width },
    });
    writeTuneRecord(ctx.workDir, record);
    for (const w of record.warnings) log('tune', `WARNING: ${w.message}`);
    log(
      'tune',
      `OOF ${metricInfo(record.metric).label} at p=0.5: stage 1 ${record.oofScoreStage1.toFixed(4)}, stage 2 ${record.oofScoreStage2.toFixed(4)}; ` +
        `tuned p=${record.probThreshold.toFixed(4)} (logit ${record.logitThreshold.toFixed(4)}), min area ${record.minArea}: ${record.score.toFixed(4)} ` +
        `(all-empty baseline ${record.allEmptyBaseline.toFixed(4)})`,
    );
  });
}

export async function submit(ctx: StepContext): Promise<void> {
  await timed(ctx, 'submit', async () => {
    const layout = layoutOf(ctx);
    const samplePath = sampleSubmissionPath(ctx.dataDir, layout) ?? join(ctx.dataDir, layout.test.images.dir);
    const summary = submitRun({ workDir: ctx.workDir, sampleIds: readTestIds(ctx.dataDir, layout), samplePath, format: layout.submission });
    log('submit', `${summary.rows} rows for ${summary.images} images (${summary.nonEmpty} non-empty) → ${summary.path}`);
  });
}

/** The portable bundle `infer` reads: every fold's exported models, the tuned threshold and min area, the settings and config. */
export async function bundle(ctx: StepContext): Promise<void> {
  await timed(ctx, 'bundle', async () => {
    const info = await bundleRun({ workDir: ctx.workDir, config: ctx.config, tuned: readTuneRecord(ctx.workDir) });
    const layout = runLayout(ctx.workDir);
    log('bundle', `${info.folds.length} folds × ${info.folds[0].models.length} model(s), logit threshold ${info.logitThreshold.toFixed(4)}, min area ${info.minArea} → ${layout.bundle.dir}`);
  });
}

export async function report(ctx: StepContext): Promise<void> {
  const data = await loadTrain(ctx);
  const layout = runLayout(ctx.workDir);
  const tuned = readTuneRecord(ctx.workDir);
  const competition = layoutOf(ctx);
  const truth = syntheticPaths(ctx.config.synthetic).truth;
  const input = assembleReport({
    name: ctx.config.name,
    config: ctx.config,
    train: data,
    tuned,
    oofLogits: readEnsembleOof(ctx.workDir, 2, data.ids).logits,
    folds: foldNumbers(ctx).map((k) => readFoldResult(layout.fold(k).dir)),
    devices: foldNumbers(ctx).map((k) => readFoldBackend(ctx.workDir, k)),
    stepSeconds: (step) => readStepSeconds(ctx.workDir, step),
    submission: readSubmissionSummary(ctx.workDir),
    testScore: ctx.synthetic && existsSync(truth) ? scoreSubmission(layout.submission.csv, truth, data.height, data.width, tuned.metric, competition.submission) : undefined,
    // report/ and bundle/ are siblings in the work directory and in --out.
    demoBundle: existsSync(join(layout.bundle.dir, MANIFEST_JSON)) ? relative(layout.report.dir, layout.bundle.dir) : undefined,
  });
  await writeReport(layout.report.dir, input);
  const label = metricInfo(tuned.metric).label;
  log('report', `OOF ${label} stage 1 ${tuned.oofScoreStage1.toFixed(4)} → stage 2 ${tuned.oofScoreStage2.toFixed(4)} → tuned ${tuned.score.toFixed(4)} (all-empty ${tuned.allEmptyBaseline.toFixed(4)})`);
  if (input.testScore !== undefined) log('report', `test ${label} against the synthetic hidden truth: ${input.testScore.toFixed(4)}`);
  log('report', `→ ${layout.report.html}`);
}
