import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBackendChoice, setupBackend } from '@tgs/backend';
import { ImageSet, loadTestSet, loadTrainSet, maskCoverage, readSampleSubmissionIds, TrainSet, checkImageSizes, checkLayout } from '@tgs/data';
import { ensembleFolds, ensembleTestPath, readEnsembleMeta, readEnsembleOof } from '@tgs/ensemble';
import { makeFolds, readFoldsCsv, writeFoldsCsv } from '@tgs/folds';
import { atomicWriteJson, log, Progress, UserError } from '@tgs/io';
import { iou, tgsMeanAP } from '@tgs/metrics';
import { predictFold, predictionPaths, PredictionMeta } from '@tgs/predict';
import { BundleInfo, writeBundle } from '@tgs/infer';
import { readInferenceSpec } from '@tgs/models';
import { ReportInput, writeReport } from '@tgs/report';
import { validateSubmission, writeSubmission, binarize } from '@tgs/submit';
import { foldResultPath, FoldTrainResult, trainFold } from '@tgs/train';
import { readTuneRecord, tuneOof, writeTuneRecord } from '@tgs/tune';
import { generateSynthetic } from '@tgs/synthetic';
import { decodeRle } from '@tgs/rle';
import { acquireGpuSlot, pinFoldToGpu } from '@tgs/cluster';
import { CACHE_DIR, requireFile, StepContext, SYNTHETIC_TRUTH, workPaths } from './context';

function loadOptions(what: string) {
  let progress: Progress | undefined;
  let shown = 0;
  return {
    cacheDir: CACHE_DIR,
    onProgress: (done: number, total: number) => {
      progress ??= new Progress(`load ${what}`, total);
      progress.tick(done - shown);
      shown = done;
    },
  };
}

async function loadTrain(ctx: StepContext): Promise<TrainSet> {
  return loadTrainSet(ctx.dataDir, loadOptions('train'));
}
async function loadTest(ctx: StepContext): Promise<ImageSet> {
  return loadTestSet(ctx.dataDir, loadOptions('test'));
}

async function timed<T>(ctx: StepContext, step: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const out = await fn();
  atomicWriteJson(workPaths(ctx.workDir).timing(step), { step, seconds: (Date.now() - started) / 1000 });
  return out;
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
  return info.description;
}

/** Generates the built-in synthetic competition when no data folder is given; checks the layout of a real one. */
export async function prepareData(ctx: StepContext): Promise<void> {
  await timed(ctx, 'data', () => prepareDataUntimed(ctx));
}

async function prepareDataUntimed(ctx: StepContext): Promise<void> {
  if (ctx.synthetic) {
    const s = ctx.config.synthetic;
    const stamp = join(ctx.dataDir, 'synthetic.json');
    const wanted = { nTrain: s.nTrain, nTest: s.nTest, size: s.size, seed: s.seed };
    if (existsSync(stamp) && JSON.stringify(JSON.parse(readFileSync(stamp, 'utf8')).options) === JSON.stringify(wanted)) {
      log('data', `synthetic data up to date in ${ctx.dataDir}`);
    } else {
      log('data', `generating synthetic TGS-like data (${s.nTrain} train, ${s.nTest} test, ${s.size}×${s.size}, seed ${s.seed}) in ${ctx.dataDir}`);
      const progress = new Progress('synthetic', s.nTrain + s.nTest);
      const summary = await generateSynthetic({ outDir: ctx.dataDir, truthPath: SYNTHETIC_TRUTH, ...wanted, onProgress: () => progress.tick() });
      atomicWriteJson(stamp, { options: wanted, summary });
      log('data', `empty masks ${(summary.emptyFraction * 100).toFixed(1)} %, mean coverage ${(summary.meanCoverage * 100).toFixed(1)} %`);
    }
  }
  checkLayout(ctx.dataDir);
  checkImageSizes(ctx.dataDir);
  const train = await loadTrain(ctx);
  const test = await loadTest(ctx);
  log('data', `${train.ids.length} train and ${test.ids.length} test images of ${train.height}×${train.width} from ${ctx.dataDir}`);
}

/** K folds from the seed, stratified as configured, saved once to folds.csv. */
export async function folds(ctx: StepContext): Promise<void> {
  await timed(ctx, 'folds', () => foldsUntimed(ctx));
}

async function foldsUntimed(ctx: StepContext): Promise<void> {
  const train = await loadTrain(ctx);
  const pixels = train.height * train.width;
  const coverage = maskCoverage(train.masks, train.ids.length, pixels);
  const items = train.ids.map((id, i) => ({ id, coverage: coverage[i], depth: train.depths[i] }));
  const { k, seed, stratify } = ctx.config.folds;
  if (stratify === 'depth' && items.some((it) => Number.isNaN(it.depth))) {
    throw new UserError(`folds.stratify is "depth" but ${ctx.dataDir}/depths.csv does not give a depth for every train id`);
  }
  const assignment = makeFolds(items, { k, seed, stratify });
  writeFoldsCsv(workPaths(ctx.workDir).folds, assignment);
  const sizes = Array.from({ length: k }, (_, f) => [...assignment.values()].filter((v) => v === f).length);
  log('folds', `${k} folds stratified by ${stratify} (seed ${seed}): ${sizes.join(' / ')} images → ${workPaths(ctx.workDir).folds}`);
}

function readFolds(ctx: StepContext, train: TrainSet): Map<string, number> {
  return readFoldsCsv(requireFile(workPaths(ctx.workDir).folds, 'folds'), train.ids);
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
      foldDir: workPaths(ctx.workDir).fold(fold),
      log: (m) => log('train', m),
    });
    atomicWriteJson(join(workPaths(ctx.workDir).fold(fold), 'backend.json'), { backend, ...(pinned.device ? { device: pinned.device } : {}) });
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
    await predictFold({ config: ctx.config, train: data, test, folds: readFolds(ctx, data), fold, foldDir: workPaths(ctx.workDir).fold(fold), log: (m) => log('predict', m) });
  });
}

function foldDirs(ctx: StepContext): string[] {
  return Array.from({ length: ctx.config.folds.k }, (_, k) => workPaths(ctx.workDir).fold(k));
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
    });
    writeTuneRecord(ctx.workDir, record);
    for (const w of record.warnings) log('tune', `WARNING: ${w.message}`);
    log(
      'tune',
      `OOF mAP at p=0.5: stage 1 ${record.oofMapStage1.toFixed(4)}, stage 2 ${record.oofMapStage2.toFixed(4)}; ` +
        `tuned p=${record.probThreshold.toFixed(4)} (logit ${record.logitThreshold.toFixed(4)}), min area ${record.minArea}: ${record.map.toFixed(4)} ` +
        `(all-empty baseline ${record.allEmptyBaseline.toFixed(4)})`,
    );
  });
}

export async function submit(ctx: StepContext): Promise<void> {
  await timed(ctx, 'submit', async () => {
    const tuned = readTuneRecord(ctx.workDir);
    const meta = readEnsembleMeta(ctx.workDir);
    const sampleIds = readSampleSubmissionIds(ctx.dataDir);
    if (sampleIds.length !== meta.testIds.length || sampleIds.some((id, i) => id !== meta.testIds[i])) {
      throw new UserError(`${ctx.dataDir}/sample_submission.csv: ids differ from the predicted test ids; rerun predict`);
    }
    const paths = workPaths(ctx.workDir);
    const summary = writeSubmission({
      testIds: meta.testIds,
      testLogitsPath: ensembleTestPath(ctx.workDir, meta),
      height: meta.height,
      width: meta.width,
      logitThreshold: tuned.logitThreshold,
      minArea: tuned.minArea,
      outPath: paths.submission,
    });
    validateSubmission(paths.submission, sampleIds, meta.height, meta.width);
    atomicWriteJson(paths.submissionSummary, summary);
    log('submit', `${summary.rows} rows (${summary.nonEmpty} non-empty) → ${paths.submission}`);
  });
}

/** The portable bundle `infer` reads: every fold's exported models, the tuned threshold and min area, the settings and config. */
export async function bundle(ctx: StepContext): Promise<void> {
  await timed(ctx, 'bundle', async () => {
    const tuned = readTuneRecord(ctx.workDir);
    const folds = foldDirs(ctx).map((d) => {
      const meta = JSON.parse(readFileSync(requireFile(predictionPaths(d).meta, 'predict'), 'utf8')) as PredictionMeta;
      return { fold: meta.fold, modelsDir: predictionPaths(d).models, models: meta.models, tta: meta.tta };
    });
    const info = await writeBundle({
      outDir: workPaths(ctx.workDir).bundle,
      name: ctx.config.name,
      config: ctx.config,
      spec: readInferenceSpec(join(folds[0].modelsDir, folds[0].models[0])),
      tta: folds[0].tta as BundleInfo['tta'],
      batchSize: ctx.config.predict.batchSize,
      ensembleMode: ctx.config.ensemble.mode,
      folds,
      logitThreshold: tuned.logitThreshold,
      probThreshold: tuned.probThreshold,
      minArea: tuned.minArea,
    });
    log('bundle', `${info.folds.length} folds × ${info.folds[0].models.length} model(s), logit threshold ${info.logitThreshold.toFixed(4)}, min area ${info.minArea} → ${workPaths(ctx.workDir).bundle}`);
  });
}

/** Test mAP against the synthetic competition's hidden truth (only the built-in data has one). */
export function selfScore(submissionPath: string, truthPath: string, height: number, width: number): number {
  const rows = (path: string) =>
    new Map(
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',') as [string, string]),
    );
  const sub = rows(submissionPath);
  const truth = rows(truthPath);
  const pixels = height * width;
  const truths = new Uint8Array(truth.size * pixels);
  const preds = new Uint8Array(truth.size * pixels);
  [...truth].forEach(([id, rle], k) => {
    truths.set(decodeRle(rle ?? '', height, width), k * pixels);
    preds.set(decodeRle(sub.get(id) ?? '', height, width), k * pixels);
  });
  return tgsMeanAP(preds, truths, pixels).mean;
}

export async function report(ctx: StepContext): Promise<void> {
  const data = await loadTrain(ctx);
  const pixels = data.height * data.width;
  const paths = workPaths(ctx.workDir);
  const tuned = readTuneRecord(ctx.workDir);
  const submission = JSON.parse(readFileSync(requireFile(paths.submissionSummary, 'submit'), 'utf8')) as ReportInput['submission'];
  const foldResults = foldDirs(ctx).map((d) => JSON.parse(readFileSync(requireFile(foldResultPath(d), 'train'), 'utf8')) as FoldTrainResult);
  const backendFiles = foldDirs(ctx).map((d) => (existsSync(join(d, 'backend.json')) ? (JSON.parse(readFileSync(join(d, 'backend.json'), 'utf8')) as { backend: string; device?: string }) : undefined));
  const backends = backendFiles.map((b) => b?.backend ?? 'unknown');

  // Worst OOF images at the chosen point, with their masks, for the overlay grid.
  const oof = readEnsembleOof(ctx.workDir, 2, data.ids).logits;
  const order = tuned.perImage.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const worst = order.slice(0, 12).map(([score, i]) => {
    const pred = new Uint8Array(pixels);
    const predArea = binarize(oof.subarray(i * pixels, (i + 1) * pixels), tuned.logitThreshold, tuned.minArea, pred);
    const truth = data.masks.slice(i * pixels, (i + 1) * pixels);
    let inter = 0;
    let ta = 0;
    for (let p = 0; p < pixels; p++) {
      inter += truth[p] & pred[p];
      ta += truth[p];
    }
    return { id: data.ids[i], score, iou: iou(inter, predArea, ta), height: data.height, width: data.width, image: data.images.slice(i * pixels, (i + 1) * pixels), truth, pred };
  });

  // Seconds of work per step, summed over folds (folds run in parallel, so wall time is less).
  const seconds = (step: string) => (existsSync(paths.timing(step)) ? (JSON.parse(readFileSync(paths.timing(step), 'utf8')) as { seconds: number }).seconds : 0);
  const timings: Record<string, number> = {
    data: seconds('data'),
    folds: seconds('folds'),
    train: foldResults.reduce((s, f) => s + f.seconds, 0),
    predict: foldDirs(ctx).reduce((s, _, k) => s + seconds(`predict-fold-${k}`), 0),
    ensemble: seconds('ensemble'),
    tune: seconds('tune'),
    submit: seconds('submit'),
  };
  const input: ReportInput = {
    title: `${ctx.config.name}: OOF evaluation`,
    createdAt: new Date().toISOString(),
    backend: [...new Set(backends)].join(', '),
    config: ctx.config,
    timings,
    folds: foldResults.map((f) => {
      const pf = tuned.perFold.find((p) => p.fold === f.fold);
      if (!pf) throw new Error(`${workPaths(ctx.workDir).tune} has no OOF scores for fold ${f.fold}; rerun the tune step`);
      return {
        fold: f.fold,
        nTrain: f.nTrain,
        nVal: f.nVal,
        stage1: { bestEpoch: f.stage1.bestEpoch, bestValMap: f.stage1.bestValMap, epochs: f.stage1.epochs },
        stage2: { bestEpoch: f.stage2.bestEpoch, bestValMap: f.stage2.bestValMap, epochs: f.stage2.epochs },
        oofMapStage1: pf.oofMapStage1,
        oofMapStage2: pf.oofMapStage2,
        history: [...f.stage1.history, ...f.stage2.history],
        seconds: f.seconds,
        device: backendFiles[f.fold]?.device ?? backendFiles[f.fold]?.backend ?? 'unknown',
      };
    }),
    oofMapStage1: tuned.oofMapStage1,
    oofMapStage2: tuned.oofMapStage2,
    oofMapTuned: tuned.map,
    allEmptyBaseline: tuned.allEmptyBaseline,
    warnings: tuned.warnings.map((w) => ({ message: w.message, fatal: w.fatal })),
    logitThreshold: tuned.logitThreshold,
    probThreshold: tuned.probThreshold,
    minArea: tuned.minArea,
    thresholdCurve: tuned.curve,
    minAreaCurve: tuned.minAreaCurve,
    // JSON has no NaN: an empty bin's mean comes back from tune.json as null.
    coverageBins: tuned.coverageBins.map((b) => ({ label: b.label, count: b.count, map: b.count === 0 ? NaN : b.meanScore })),
    confusion: tuned.confusion,
    worst,
    submission,
    testMap: ctx.synthetic && existsSync(SYNTHETIC_TRUTH) ? selfScore(paths.submission, SYNTHETIC_TRUTH, data.height, data.width) : undefined,
  };
  await writeReport(paths.report, input);
  log('report', `OOF mAP stage 1 ${tuned.oofMapStage1.toFixed(4)} → stage 2 ${tuned.oofMapStage2.toFixed(4)} → tuned ${tuned.map.toFixed(4)} (all-empty ${tuned.allEmptyBaseline.toFixed(4)})`);
  if (input.testMap !== undefined) log('report', `test mAP against the synthetic hidden truth: ${input.testMap.toFixed(4)}`);
  log('report', `→ ${join(paths.report, 'index.html')}`);
}
