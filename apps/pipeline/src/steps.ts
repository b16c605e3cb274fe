import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { leaseNativeCores, parseBackendChoice, setupBackend } from '@segkit/backend';
import { checkImageSizes, checkLayout, ImageSet, loadTestSet, loadTrainSet, LoadOptions, openTestSet, readTestIds, sampleSubmissionPath, TestImages, TrainSet } from '@segkit/data';
import { describeInput, InputSettings, maskRunsBytes, resolveInput } from '@segkit/resize';
import type { LayoutDescriptor } from '@segkit/layouts';
import { ensembleFolds, ensembleTestPath, readEnsembleGate, readEnsembleMeta, readEnsembleOof } from '@segkit/ensemble';
import { assignTrainFolds, foldSizes, groupsOf, readRunFolds, writeRunFolds } from '@segkit/folds';
import { bundleRun, CROP_BUNDLE_REFUSAL, MANIFEST_JSON } from '@segkit/infer';
import { log, Progress, UserError } from '@segkit/io';
import { metricInfo } from '@segkit/metrics';
import { predictFold, PredictionMeta, readPredictionMeta } from '@segkit/predict';
import { CONFIDENT_ABOVE, CONFIDENT_BELOW, PseudoLabels, readPseudoLabels, readPseudoRecord, selectConfidentFromNpy, writePseudoLabels } from '@segkit/pseudo';
import { assembleReport, type FoldSplit, writeReport } from '@segkit/report';
import { readFoldBackend, readStepSeconds, roundWorkDir, runLayout, syntheticPaths, timedStep, WORKSPACE_PATHS, writeFoldBackend } from '@segkit/run';
import { readSubmissionSummary, scoreSubmission, submitRun } from '@segkit/submit';
import { ensureSynthetic } from '@segkit/synthetic';
import { readFoldResult, trainFold } from '@segkit/train';
import { FullSizeTruths, fullSizeThresholdStats, readTuneRecord, tuneOof, tuneThreshold, writeTuneRecord } from '@segkit/tune';
import type { PseudoRound } from '@segkit/report';
import { acquireGpuSlot, pinFoldToGpu } from '@segkit/cluster';
import { competitionLayout, competitionMetric, StepContext, trainChannels } from './context';

const inputs = new WeakMap<StepContext, InputSettings>();
/** The config's input settings (once per context); `input.scale` reads the size the images share from their headers. */
function inputOf(ctx: StepContext): InputSettings {
  let input = inputs.get(ctx);
  if (!input) {
    const section = ctx.config.input;
    const shared = section.scale === undefined ? undefined : checkImageSizes(ctx.dataDir, layoutOf(ctx));
    if (section.scale !== undefined && !shared) throw new UserError(`input.scale: the size of the images in ${ctx.dataDir} cannot be read from their headers (PNG, JPEG, GIF); use input.size`);
    inputs.set(ctx, (input = resolveInput(section, shared)));
  }
  return input;
}

function loadOptions(ctx: StepContext, what: string, onCache?: LoadOptions['onCache']): LoadOptions {
  let progress: Progress | undefined;
  let shown = 0;
  const input = inputOf(ctx);
  return {
    cacheDir: WORKSPACE_PATHS.cache,
    layout: layoutOf(ctx),
    ...(input.mode === 'resize' ? { resize: { height: input.height, width: input.width } } : {}),
    ...(onCache ? { onCache } : {}),
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

/** The training images, with the layout's channels (see trainChannels). */
async function loadTrain(ctx: StepContext, onCache?: LoadOptions['onCache']): Promise<TrainSet> {
  return loadTrainSet(ctx.dataDir, { ...loadOptions(ctx, 'train', onCache), channels: trainChannels(layoutOf(ctx)) });
}
/** The test images with the channels the model trained on (the training images'). */
async function loadTest(ctx: StepContext, train: TrainSet, onCache?: LoadOptions['onCache']): Promise<ImageSet> {
  return loadTestSet(ctx.dataDir, { ...loadOptions(ctx, 'test', onCache), channels: train.channels ?? 1 });
}

/** How a split's channels read in the log: `RGB`, `grey`, or `grey (a colour layout whose every pixel has R = G = B)`. */
function channelsWord(ctx: StepContext, set: ImageSet): string {
  if (set.channels === 3) return 'RGB';
  return layoutOf(ctx).channels === 3 ? 'grey (a colour layout whose every pixel has R = G = B)' : 'grey';
}
/** The test set for streaming: its cache, built a chunk at a time if needed, opened for chunked reads (close it). */
async function openTest(ctx: StepContext, train: TrainSet, onCache?: LoadOptions['onCache']): Promise<TestImages> {
  return openTestSet(ctx.dataDir, { ...loadOptions(ctx, 'test', onCache), channels: train.channels ?? 1 });
}

/** A resized train set's full-size truths, for scoring at each image's own size (undefined when not resized). */
function fullSizeOf(data: TrainSet): FullSizeTruths | undefined {
  return data.sizes && data.fullMasks ? { height: data.height, width: data.width, sizes: data.sizes, masks: data.fullMasks } : undefined;
}

/** Bytes in kB below 1 MB, else MB, with one decimal. */
const mb = (bytes: number) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** The smallest and largest own size of a resized set's images, e.g. `1280×1918` or `80×120 … 1280×1918`. */
function sizeRange(sizes: Uint32Array): string {
  let min = [Infinity, Infinity];
  let max = [0, 0];
  for (let i = 0; i < sizes.length; i += 2) {
    const [h, w] = [sizes[i], sizes[i + 1]];
    if (h * w < min[0] * min[1]) min = [h, w];
    if (h * w > max[0] * max[1]) max = [h, w];
  }
  return min[0] === max[0] && min[1] === max[1] ? `${min[0]}×${min[1]}` : `${min[0]}×${min[1]} … ${max[0]}×${max[1]}`;
}

function timed<T>(ctx: StepContext, step: string, fn: () => Promise<T>, round = 0): Promise<T> {
  return timedStep(roundDir(ctx, round), step, fn);
}

/**
 * The work directory of a pseudo-label round (@segkit/run's roundWorkDir): the run's own for round
 * 0, `round-<r>/` for a later one, checked against the config's `pseudo.rounds`.
 */
function roundDir(ctx: StepContext, round: number): string {
  if (round > ctx.config.pseudo.rounds) throw new UserError(`--round ${round}: the config has pseudo.rounds = ${ctx.config.pseudo.rounds} (rounds 1 … ${ctx.config.pseudo.rounds} after the plain run)`);
  return roundWorkDir(ctx.workDir, round);
}

/** The work directory of the last pseudo-label round, whose predictions the steps after the rounds read. */
function lastRoundDir(ctx: StepContext): string {
  return roundWorkDir(ctx.workDir, ctx.config.pseudo.rounds);
}

/** ` (round r)` in a log line of a later round, nothing in round 0. */
function inRound(round: number): string {
  return round > 0 ? ` (pseudo-label round ${round})` : '';
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
  const input = inputOf(ctx);
  // pad and crop read every image of a split at its own size: one size per split.
  if (input.mode !== 'resize') checkImageSizes(ctx.dataDir, layout);
  const caches: string[] = [];
  const onCache: LoadOptions['onCache'] = (c) => caches.push(`${mb(c.bytes)} ${c.hit ? 'read from' : 'written to'} ${c.file}`);
  const train = await loadTrain(ctx, onCache);
  const test = await openTest(ctx, train, onCache);
  test.close();
  if (train.sizes && test.sizes) {
    const full = train.fullMasks ? ` (full-size masks as runs: ${mb(maskRunsBytes(train.fullMasks))})` : '';
    log('data', `${train.ids.length} train images of ${sizeRange(train.sizes)} and ${test.ids.length} test images of ${sizeRange(test.sizes)}, ${channelsWord(ctx, train)}, from ${ctx.dataDir}, ${describeInput(input)}${full}`);
  } else log('data', `${train.ids.length} train and ${test.ids.length} test images of ${train.height}×${train.width}, ${channelsWord(ctx, train)}, from ${ctx.dataDir}`);
  log('data', `decoded cache: train ${caches[0]}; test ${caches[1]}`);
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

export async function train(ctx: StepContext, fold: number, round = 0): Promise<void> {
  checkFold(ctx, fold);
  const dir = roundDir(ctx, round);
  const pinned = pinFold(fold, 'train');
  // At most one training fold per GPU at a time: more folds than GPUs wait for their device.
  const slot = pinned.gpu === undefined ? undefined : await acquireGpuSlot(pinned.gpu, fold, { log: (m) => log('train', m) });
  try {
    const backend = await backendFor(ctx);
    const data = await loadTrain(ctx);
    const pseudo = round > 0 ? readPseudoLabels(dir) : undefined;
    const metric = competitionMetric(ctx.config, ctx.dataDir);
    const result = await trainFold({
      config: ctx.config,
      metric,
      train: data,
      folds: readFolds(ctx, data),
      fold,
      foldDir: runLayout(dir).fold(fold).dir,
      ...(pseudo ? { pseudo: { labels: pseudo.labels, fingerprint: pseudo.record.fingerprint } } : {}),
      log: (m) => log('train', m),
    });
    writeFoldBackend(dir, fold, { backend, ...(pinned.device ? { device: pinned.device } : {}) });
    log('train', `fold ${fold}${inRound(round)}: best validation ${metricInfo(metric).label} stage 1 ${result.stage1.bestValScore.toFixed(4)}, stage 2 ${result.stage2.bestValScore.toFixed(4)}`);
  } finally {
    slot?.release();
  }
}

export async function predict(ctx: StepContext, fold: number, round = 0): Promise<void> {
  checkFold(ctx, fold);
  const dir = roundDir(ctx, round);
  pinFold(fold, 'predict');
  await timed(
    ctx,
    `predict-fold-${fold}`,
    async () => {
      await backendFor(ctx);
      const data = await loadTrain(ctx);
      const test = await openTest(ctx, data);
      try {
        await predictFold({ config: ctx.config, train: data, test, folds: readFolds(ctx, data), fold, foldDir: runLayout(dir).fold(fold).dir, log: (m) => log('predict', m) });
      } finally {
        test.close();
      }
    },
    round,
  );
}

export async function ensemble(ctx: StepContext, _fold?: number, round = 0): Promise<void> {
  const dir = roundDir(ctx, round);
  await timed(
    ctx,
    'ensemble',
    async () => {
      const data = await loadTrain(ctx);
      ensembleFolds({ workDir: dir, k: ctx.config.folds.k, trainIds: data.ids, mode: ctx.config.ensemble.mode, log: (m) => log('ensemble', `${m}${inRound(round)}`) });
    },
    round,
  );
}

/**
 * A pseudo-label round's extra training images: the test images the previous round's ensemble is
 * confident on (pseudo.minConfidence of their pixels with p < 0.2 or p > 0.8), with its masks
 * p > 0.5, written to the round's `pseudo/` (@segkit/pseudo).
 */
export async function pseudo(ctx: StepContext, _fold: number | undefined, round: number): Promise<void> {
  const dir = roundDir(ctx, round);
  await timed(
    ctx,
    'pseudo',
    async () => {
      const previous = roundWorkDir(ctx.workDir, round - 1);
      const meta = readEnsembleMeta(previous);
      const { minConfidence } = ctx.config.pseudo;
      const pixels = meta.height * meta.width;
      const selection = selectConfidentFromNpy(ensembleTestPath(previous, meta), pixels, minConfidence);
      const test = await loadTest(ctx, await loadTrain(ctx));
      if (test.height !== meta.height || test.width !== meta.width) throw new UserError(`${runLayout(previous).ensemble.meta}: test logits of ${meta.height}×${meta.width}, the test images are ${test.height}×${test.width}; rerun the ensemble step`);
      const position = new Map(test.ids.map((id, i) => [id, i]));
      const channels = test.channels ?? 1;
      const size = pixels * channels;
      const ids = selection.indices.map((i) => meta.testIds[i]);
      const images = new Uint8Array(ids.length * size);
      ids.forEach((id, j) => {
        const i = position.get(id);
        if (i === undefined) throw new UserError(`${runLayout(previous).ensemble.testIds}: id ${id} is not a test image of ${ctx.dataDir}; rerun the predict and ensemble steps`);
        images.set(test.images.subarray(i * size, (i + 1) * size), j * size);
      });
      const labels: PseudoLabels = { ids, height: meta.height, width: meta.width, channels, images, masks: selection.masks };
      const meanShare = selection.shares.reduce((a, b) => a + b, 0) / Math.max(1, selection.shares.length);
      const record = writePseudoLabels(dir, labels, {
        round,
        minConfidence,
        confidentBelow: CONFIDENT_BELOW,
        confidentAbove: CONFIDENT_ABOVE,
        nTest: meta.testIds.length,
        meanShare,
        source: meta.fingerprint,
      });
      log(
        'pseudo',
        `round ${round}: ${record.nSelected} of ${record.nTest} test images have ≥ ${(minConfidence * 100).toFixed(0)} % of their pixels at p < ${CONFIDENT_BELOW} or p > ${CONFIDENT_ABOVE} ` +
          `in round ${round - 1}'s ensemble (${record.nEmpty} of them empty; mean share ${meanShare.toFixed(3)}) → ${runLayout(dir).pseudo.dir}`,
      );
    },
    round,
  );
}

export async function tune(ctx: StepContext): Promise<void> {
  await timed(ctx, 'tune', async () => {
    const data = await loadTrain(ctx);
    const assignment = readFolds(ctx, data);
    const oof2 = readEnsembleOof(lastRoundDir(ctx), 2, data.ids);
    const gate = readEnsembleGate(lastRoundDir(ctx), 'oof', oof2.meta);
    const record = tuneOof({
      oofStage1: readEnsembleOof(lastRoundDir(ctx), 1, data.ids).logits,
      oofStage2: oof2.logits,
      ...(gate ? { gate } : {}),
      truths: data.masks,
      pixels: data.height * data.width,
      foldOf: data.ids.map((id) => assignment.get(id)),
      k: ctx.config.folds.k,
      options: ctx.config.tune,
      scoring: { metric: competitionMetric(ctx.config, ctx.dataDir), width: data.width },
      // Resized: every score at each image's own size, against its full-size true mask.
      ...(fullSizeOf(data) ? { fullSize: fullSizeOf(data) } : {}),
    });
    writeTuneRecord(ctx.workDir, record);
    for (const w of record.warnings) log('tune', `WARNING: ${w.message}`);
    log(
      'tune',
      `OOF ${metricInfo(record.metric).label} at p=0.5: stage 1 ${record.oofScoreStage1.toFixed(4)}, stage 2 ${record.oofScoreStage2.toFixed(4)}; ` +
        `tuned p=${record.probThreshold.toFixed(4)} (logit ${record.logitThreshold.toFixed(4)}), min area ${record.minArea}: ${record.score.toFixed(4)} ` +
        `(all-empty baseline ${record.allEmptyBaseline.toFixed(4)})`,
    );
    if (record.scoreWithoutGate !== undefined) {
      log(
        'tune',
        record.gateLogitThreshold === undefined
          ? `empty-mask gate not kept: no gate threshold beats ${record.scoreWithoutGate.toFixed(4)} without it`
          : `empty-mask gate kept at p=${(record.gateProbThreshold as number).toFixed(4)} (logit ${record.gateLogitThreshold.toFixed(4)}): ${record.score.toFixed(4)} vs ${record.scoreWithoutGate.toFixed(4)} without it`,
      );
    }
  });
}

export async function submit(ctx: StepContext): Promise<void> {
  await timed(ctx, 'submit', async () => {
    const layout = layoutOf(ctx);
    const samplePath = sampleSubmissionPath(ctx.dataDir, layout) ?? join(ctx.dataDir, layout.test.images.dir);
    const summary = submitRun({ workDir: ctx.workDir, ensembleDir: lastRoundDir(ctx), sampleIds: readTestIds(ctx.dataDir, layout), samplePath, format: layout.submission });
    log('submit', `${summary.rows} rows for ${summary.images} images (${summary.nonEmpty} non-empty) → ${summary.path}`);
  });
}

/** The portable bundle `infer` reads: every fold's exported models, the tuned threshold and min area, the settings and config. */
export async function bundle(ctx: StepContext): Promise<void> {
  await timed(ctx, 'bundle', async () => {
    if (inputOf(ctx).mode === 'crop') {
      // No stale bundle of an earlier run may stand beside this run's submission.
      rmSync(runLayout(ctx.workDir).bundle.dir, { recursive: true, force: true });
      log('bundle', `skipped: ${CROP_BUNDLE_REFUSAL}`);
      return;
    }
    const competition = layoutOf(ctx);
    const info = await bundleRun({
      workDir: ctx.workDir,
      predictionsDir: lastRoundDir(ctx),
      config: ctx.config,
      tuned: readTuneRecord(ctx.workDir),
      submission: { format: competition.submission, id: competition.test.images.id },
    });
    const layout = runLayout(ctx.workDir);
    log('bundle', `${info.folds.length} folds × ${info.folds[0].models.length} model(s), logit threshold ${info.logitThreshold.toFixed(4)}, min area ${info.minArea} → ${layout.bundle.dir}`);
  });
}

/**
 * Every pseudo-label round's ensembled OOF score, tuned as the tune step tunes the last round's
 * (whose record gives it), with its number of pseudo-labels; none without rounds.
 */
function pseudoRounds(ctx: StepContext, data: TrainSet, tuned: ReturnType<typeof readTuneRecord>): PseudoRound[] {
  const rounds = ctx.config.pseudo.rounds;
  if (rounds === 0) return [];
  return Array.from({ length: rounds + 1 }, (_, round) => {
    const pseudoLabels = round === 0 ? 0 : readPseudoRecord(roundWorkDir(ctx.workDir, round)).nSelected;
    if (round === rounds) return { round, pseudoLabels, oofScore: tuned.score, oofScoreAtZero: tuned.oofScoreStage2 };
    const oof = readEnsembleOof(roundWorkDir(ctx.workDir, round), 2, data.ids).logits;
    const scoring = { metric: tuned.metric, width: data.width };
    const full = fullSizeOf(data);
    const r = tuneThreshold(oof, data.masks, data.height * data.width, ctx.config.tune, scoring, full && ((l, t) => fullSizeThresholdStats(l, full, t, scoring)));
    return { round, pseudoLabels, oofScore: r.score, oofScoreAtZero: r.scoreAtZero };
  });
}

/** Resized test images: each id's own size, from the ensemble's record (undefined when the images were not resized). */
function testSizeOf(ctx: StepContext): ((id: string) => readonly [number, number]) | undefined {
  const meta = readEnsembleMeta(lastRoundDir(ctx));
  if (!meta.testSizes) return undefined;
  const byId = new Map(meta.testIds.map((id, i) => [id, meta.testSizes![i]]));
  return (id) => {
    const size = byId.get(id);
    if (!size) throw new UserError(`the synthetic test truth names ${id}, which is not a predicted test id`);
    return size;
  };
}

/** The TTA pairs behind each stage's OOF logits, over every fold (a pair any fold used, in first-seen order). */
function oofTta(metas: readonly PredictionMeta[]): { stage1: string[]; stage2: string[] } {
  const union = (lists: string[][]) => [...new Set(lists.flat())];
  return { stage1: union(metas.map((m) => m.oofStage1Tta)), stage2: union(metas.map((m) => m.tta)) };
}

/** How the folds step split the train images (its settings, and the groups its pattern found), for the report. */
function foldSplit(ctx: StepContext, train: TrainSet): FoldSplit {
  const { k, seed, stratify } = ctx.config.folds;
  const groupBy = ctx.config.folds.groupBy ?? layoutOf(ctx).groupBy;
  return { k, seed, stratify, ...(groupBy === undefined ? {} : { groupBy, groups: new Set(groupsOf(train.ids, groupBy).values()).size }) };
}

export async function report(ctx: StepContext): Promise<void> {
  const cacheBytes: number[] = [];
  const data = await loadTrain(ctx, (c) => cacheBytes.push(c.bytes));
  const test = await openTest(ctx, data, (c) => cacheBytes.push(c.bytes));
  test.close();
  const layout = runLayout(ctx.workDir);
  const last = runLayout(lastRoundDir(ctx));
  const tuned = readTuneRecord(ctx.workDir);
  const rounds = pseudoRounds(ctx, data, tuned);
  const competition = layoutOf(ctx);
  const truth = syntheticPaths(ctx.config.synthetic).truth;
  const input = assembleReport({
    name: ctx.config.name,
    config: ctx.config,
    train: data,
    tuned,
    oofLogits: readEnsembleOof(last.workDir, 2, data.ids).logits,
    folds: foldNumbers(ctx).map((k) => readFoldResult(last.fold(k).dir)),
    devices: foldNumbers(ctx).map((k) => readFoldBackend(last.workDir, k)),
    stepSeconds: (step) => readStepSeconds(ctx.workDir, step),
    oofTta: oofTta(foldNumbers(ctx).map((k) => readPredictionMeta(last.fold(k).dir, k))),
    submission: readSubmissionSummary(ctx.workDir),
    rounds,
    split: foldSplit(ctx, data),
    testScore: ctx.synthetic && existsSync(truth) ? scoreSubmission(layout.submission.csv, truth, data.height, data.width, tuned.metric, competition.submission, testSizeOf(ctx)) : undefined,
    // report/ and bundle/ are siblings in the work directory and in --out.
    dataCache: { input: describeInput(inputOf(ctx)), trainBytes: cacheBytes[0], testBytes: cacheBytes[1] },
    demoBundle: existsSync(join(layout.bundle.dir, MANIFEST_JSON)) ? relative(layout.report.dir, layout.bundle.dir) : undefined,
  });
  await writeReport(layout.report.dir, input);
  const label = metricInfo(tuned.metric).label;
  log('report', `OOF ${label} stage 1 ${tuned.oofScoreStage1.toFixed(4)} → stage 2 ${tuned.oofScoreStage2.toFixed(4)} → tuned ${tuned.score.toFixed(4)} (all-empty ${tuned.allEmptyBaseline.toFixed(4)})`);
  for (const r of rounds) log('report', `pseudo-label round ${r.round}: ${r.pseudoLabels} pseudo-labels, OOF ${label} ${r.oofScoreAtZero.toFixed(4)} at p=0.5, tuned ${r.oofScore.toFixed(4)}`);
  if (input.testScore !== undefined) log('report', `test ${label} against the synthetic hidden truth: ${input.testScore.toFixed(4)}`);
  log('report', `→ ${layout.report.html}`);
}
