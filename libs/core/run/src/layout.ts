/**
 * The run layout: every path under a run's work directory, grouped by the lib that owns it (the
 * one lib that writes the file, exports its writer and its validating reader; nobody else parses
 * it). This file and `settings.ts` import nothing but `node:path` and `node:fs`, so an Nx plugin
 * (tools/nx/*.cjs) can load them as they are, through `require('tsx/cjs/api').require(...)`,
 * instead of spelling paths of its own.
 *
 * ```
 * <work>/folds.csv                  @segkit/folds     fold of every train id
 * <work>/fold-<k>/stage<s>/         @segkit/train     fingerprint.json, checkpoints/, best/, averaged/, snapshot-<e>/ (stage 2),
 *                                                  log.jsonl, log.csv, done.json
 * <work>/fold-<k>/result.json       @segkit/train     both stages' outcome and history, backend and device, weights fingerprint
 * <work>/fold-<k>/predict/          @segkit/predict   oof-ids.txt, oof-stage{1,2}.npy, test-ids.txt, test.npy, [oof,test]-gate.npy,
 *                                                  models/<name>/ (exported stock-layer models), meta.json
 * <work>/ensemble/                  @segkit/ensemble  oof-ids.txt, oof-stage{1,2}.npy, test-ids.txt, test.npy, [oof,test]-gate.npy, meta.json
 * <work>/tune/tune.json             @segkit/tune      tuned threshold, curves and OOF scores
 * <work>/submission/                @segkit/submit    submission.csv, summary.json
 * <work>/bundle/                    @segkit/infer     bundle.json, config.json, folds/, manifest.json
 * <work>/report/                    @segkit/report    index.html, summary.json, curves.csv
 * <work>/blend/                     @segkit/blend     oof.npy, oof-ids.txt, test.npy, test-ids.txt, blend.json (a blend's
 *                                                  work directory; its submission/ and report/ are @segkit/blend's too)
 * <work>/round-<r>/                 (owners above)  pseudo-label round r ≥ 1: its own fold-<k>/, ensemble/ and timings/,
 *                                                  laid out as in the work directory (round 0 is the work directory)
 * <work>/round-<r>/pseudo/          @segkit/pseudo  ids.txt, images.npy, masks.npy, pseudo.json: the test images round r
 *                                                  trains on besides the train images, with round r − 1's masks
 * <work>/timings/<step>.json        @segkit/run       seconds of work per step
 * <work>/run/                       @segkit/process   lock.json (the run lock), steps/ (the run's step processes); never Nx outputs
 * <work>/run/cores/                 @segkit/native    <pid>.json per process holding a share of the run's cores; never Nx outputs
 * <work>/slurm/                     @segkit/cluster   run.json (the submitted jobs), submit.lock, <stage>.sbatch, <stage>.log,
 *                                                  fold-<k>.log; never Nx outputs
 * ```
 *
 * `npm run pipeline`'s `--out` folder is laid out by {@link outLayout} (written by the pipeline app
 * from the work directory's files): submission.csv, report/, bundle/, k8s/pipeline.yaml.
 *
 * To add a path: add it to its owner's group in {@link runLayout} (a new owner gets a new group),
 * add a line to the table above, and list it in the step's `outputs` in `steps.ts` if an Nx
 * target writes it. The owner re-exports nothing else: other code asks the owner's reader.
 */
import { join } from 'node:path';

export type Stage = 1 | 2;

/**
 * A fold's index, or a pattern standing for any fold where a path names every fold's file at once:
 * `*` in the Nx targets' input globs, `<k>` in help texts.
 */
export type FoldIndex = number | '*' | '<k>';

/** The stages of a cluster run, in order (see @segkit/run's clusterStages: which steps each runs). */
export const CLUSTER_STAGES = ['prepare', 'fold', 'final'] as const;
export type ClusterStage = (typeof CLUSTER_STAGES)[number];

/** One training stage's folder (owner: @segkit/train). */
export function stageLayout(foldDir: string, stage: Stage) {
  const dir = join(foldDir, `stage${stage}`);
  return {
    dir,
    /** What this stage's weights were trained from; a mismatch restarts the stage. */
    fingerprint: join(dir, 'fingerprint.json'),
    /** `ckpt-<epoch>.bin` + `ckpt-<epoch>.json`, the latter committing the former. */
    checkpoints: join(dir, 'checkpoints'),
    /** The best epoch's model in the tfjs layers format. */
    best: join(dir, 'best'),
    /**
     * The validation logits of the stage's output model (its best epoch's, or its averaged model's),
     * from training's own validation pass (no TTA): float32 `.npy` (nVal, H, W) in the fold's
     * validation order, rewritten with the model; `done.json` records its sha-256.
     */
    valLogits: join(dir, 'val-logits.npy'),
    /** The stage's averaged model (SWA or EMA of its weights, tfjs layers format), when its settings ask for one. */
    averaged: join(dir, 'averaged'),
    /** Stage 2's weights at the end of the cosine cycle that ended with `epoch` (1-based), tfjs layers format. */
    snapshot: (epoch: number) => join(dir, `snapshot-${epoch}`),
    /** The epoch of a `snapshot-<epoch>` entry of this folder, or undefined for any other name. */
    snapshotEpoch: (name: string): number | undefined => {
      const m = /^snapshot-(\d+)$/.exec(name);
      return m ? Number(m[1]) : undefined;
    },
    /** The training curve, rewritten after every epoch: one JSON object per line, and the same rows as CSV. */
    log: join(dir, 'log.jsonl'),
    logCsv: join(dir, 'log.csv'),
    /** The stage's result; present only when the stage finished. */
    done: join(dir, 'done.json'),
  };
}

/**
 * One fold's predictions (owner: @segkit/predict): float32 logits as numpy `.npy` arrays of shape
 * (N, H, W), each with its image ids, one per line in the array's order, in a sidecar text file.
 */
export function predictLayout(foldDir: string) {
  const dir = join(foldDir, 'predict');
  return {
    dir,
    oofIds: join(dir, 'oof-ids.txt'),
    oofStage1: join(dir, 'oof-stage1.npy'),
    oofStage2: join(dir, 'oof-stage2.npy'),
    testIds: join(dir, 'test-ids.txt'),
    test: join(dir, 'test.npy'),
    /** With an empty-mask gate (model.gate): stage 2's per-image gate logits, (N,) float32, in the order of oof-ids.txt and test-ids.txt. */
    oofGate: join(dir, 'oof-gate.npy'),
    testGate: join(dir, 'test-gate.npy'),
    /** The stage-2 models behind oof-stage2 and test, exported to stock tfjs layers: `models/<name>/model.json`. */
    models: join(dir, 'models'),
    /** Sizes, ids, TTA, models and the fingerprint of what the logits were computed from; written last. */
    meta: join(dir, 'meta.json'),
  };
}

/** One fold's folder. */
export function foldLayout(workDir: string, fold: FoldIndex) {
  return foldLayoutAt(join(workDir, `fold-${fold}`));
}

/** The files of a fold folder, given the folder itself. */
export function foldLayoutAt(dir: string) {
  return {
    dir,
    stage: (stage: Stage) => stageLayout(dir, stage),
    /** Owner: @segkit/train. */
    result: join(dir, 'result.json'),
    /** What the fold's folder was trained from (owner: @segkit/train). */
    fingerprint: join(dir, 'fingerprint.json'),
    /** The backend and device the fold trained on (owner: @segkit/run, timings.ts). */
    backend: join(dir, 'backend.json'),
    predict: predictLayout(dir),
  };
}

/** The file naming what a bundle holds, in any bundle folder (owner: @segkit/infer, which lays out the rest). */
export const BUNDLE_RECORD = 'bundle.json';

/**
 * The work directory of pseudo-label round `round` (see @segkit/pseudo): the run's work directory
 * for round 0, the plain run, so a run without pseudo-labels keeps its paths; `<work>/round-<r>`
 * for a later round, holding that round's fold folders, ensemble, pseudo-labels and step timings
 * in the layout of {@link runLayout}. Everything else (folds.csv, tune/, submission/, bundle/,
 * report/, run/, slurm/) stays in the run's work directory.
 */
export function roundWorkDir(workDir: string, round: number): string {
  if (!Number.isInteger(round) || round < 0) throw new Error(`a pseudo-label round is an integer ≥ 0, got ${round}`);
  return round === 0 ? workDir : join(workDir, `round-${round}`);
}

/** Every path under a run's work directory. */
export function runLayout(workDir: string) {
  const ensembleDir = join(workDir, 'ensemble');
  const tuneDir = join(workDir, 'tune');
  const submissionDir = join(workDir, 'submission');
  const reportDir = join(workDir, 'report');
  const bundleDir = join(workDir, 'bundle');
  const timingsDir = join(workDir, 'timings');
  const blendDir = join(workDir, 'blend');
  const pseudoDir = join(workDir, 'pseudo');
  return {
    workDir,
    /** Owner: @segkit/folds. */
    folds: join(workDir, 'folds.csv'),
    fold: (k: FoldIndex) => foldLayout(workDir, k),
    /** Owner: @segkit/ensemble. */
    ensemble: {
      dir: ensembleDir,
      oofIds: join(ensembleDir, 'oof-ids.txt'),
      oofStage1: join(ensembleDir, 'oof-stage1.npy'),
      oofStage2: join(ensembleDir, 'oof-stage2.npy'),
      testIds: join(ensembleDir, 'test-ids.txt'),
      test: join(ensembleDir, 'test.npy'),
      /** With an empty-mask gate: the folds' gate logits, (N,), OOF in train order and test combined as the logits. */
      oofGate: join(ensembleDir, 'oof-gate.npy'),
      testGate: join(ensembleDir, 'test-gate.npy'),
      meta: join(ensembleDir, 'meta.json'),
    },
    /** Owner: @segkit/tune. */
    tune: { dir: tuneDir, record: join(tuneDir, 'tune.json') },
    /** Owner: @segkit/submit. */
    submission: { dir: submissionDir, csv: join(submissionDir, 'submission.csv'), summary: join(submissionDir, 'summary.json') },
    /** Owner: @segkit/infer (the portable bundle `npm run infer` reads; its inside is the bundle's own layout). */
    bundle: { dir: bundleDir, record: join(bundleDir, BUNDLE_RECORD) },
    /** Owner: @segkit/report. */
    report: { dir: reportDir, html: join(reportDir, 'index.html'), summary: join(reportDir, 'summary.json'), curves: join(reportDir, 'curves.csv') },
    /** Owner: @segkit/process: the run lock `npm run pipeline` holds and the registry of its step processes; `cores`: @segkit/native's core lease. */
    run: { lock: join(workDir, 'run', 'lock.json'), steps: join(workDir, 'run', 'steps'), cores: join(workDir, 'run', 'cores') },
    /** Owner: @segkit/blend, in a blend's work directory: the blended logits and the blend's record. */
    blend: {
      dir: blendDir,
      oof: join(blendDir, 'oof.npy'),
      oofIds: join(blendDir, 'oof-ids.txt'),
      test: join(blendDir, 'test.npy'),
      testIds: join(blendDir, 'test-ids.txt'),
      record: join(blendDir, 'blend.json'),
    },
    /**
     * Owner: @segkit/pseudo, in a later round's work directory ({@link roundWorkDir}): the selected
     * test images (`images.npy`, float32 0..255, (N, H, W) or (N, H, W, C)), their masks
     * (`masks.npy`, 0/1, (N, H, W)) and ids, and `pseudo.json`, written last.
     */
    pseudo: {
      dir: pseudoDir,
      ids: join(pseudoDir, 'ids.txt'),
      images: join(pseudoDir, 'images.npy'),
      masks: join(pseudoDir, 'masks.npy'),
      record: join(pseudoDir, 'pseudo.json'),
    },
    /** Owner: @segkit/run (timings.ts). */
    timings: { dir: timingsDir, step: (step: string) => join(timingsDir, `${step}.json`) },
    /** Owner: @segkit/cluster. */
    slurm: slurmLayout(workDir),
  };
}

/**
 * The files a Slurm run keeps in the work directory's `slurm/` folder (owner: @segkit/cluster): the
 * job scripts it submitted, one log per job (appended to when a job is requeued or resubmitted),
 * and the record of the submitted job ids that guards against a second submission while they run.
 */
export function slurmLayout(workDir: string) {
  const dir = join(workDir, 'slurm');
  return {
    dir,
    record: join(dir, 'run.json'),
    submitLock: join(dir, 'submit.lock'),
    script: (stage: ClusterStage) => join(dir, `${stage}.sbatch`),
    /** The log of a stage run as one job (the fold stage logs per fold: {@link foldLog}). */
    log: (stage: ClusterStage) => join(dir, `${stage}.log`),
    foldLog: (fold: number) => join(dir, `fold-${fold}.log`),
    /** sbatch's --output pattern for the fold array (%a: the array index, the fold). */
    foldLogPattern: join(dir, 'fold-%a.log'),
  };
}

/**
 * `npm run pipeline`'s `--out` folder: copies of the work directory's submission, report and
 * bundle, and the Kubernetes manifest `--emit k8s` writes.
 */
export function outLayout(outDir: string) {
  const report = join(outDir, 'report');
  return {
    dir: outDir,
    submission: join(outDir, 'submission.csv'),
    report,
    reportHtml: join(report, 'index.html'),
    bundle: join(outDir, 'bundle'),
    k8sManifest: join(outDir, 'k8s', 'pipeline.yaml'),
  };
}

export type RunLayout = ReturnType<typeof runLayout>;
export type FoldLayout = ReturnType<typeof foldLayout>;
export type StageLayout = ReturnType<typeof stageLayout>;
export type PredictLayout = ReturnType<typeof predictLayout>;
export type SlurmLayout = ReturnType<typeof slurmLayout>;
export type OutLayout = ReturnType<typeof outLayout>;
