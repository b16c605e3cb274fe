import { existsSync } from 'node:fs';
import type { BlendConfig } from '@segkit/config';
import { ensemblePaths, readEnsembleOof, readEnsembleTest } from '@segkit/ensemble';
import { readFoldsCsv } from '@segkit/folds';
import { atomicWriteFile, log as ioLog, UserError, writeIdsFile, writeNpy } from '@segkit/io';
import { escapeHtml } from '@segkit/report';
import { runLayout } from '@segkit/run';
import type { SubmissionFormat } from '@segkit/layouts';
import { validateSubmission, writeSubmission } from '@segkit/submit';
import { logit, type MetricName, metricInfo } from '@segkit/metrics';
import { linspace, tuneThreshold, type TuneScoring } from '@segkit/tune';
import { blendLogits, tuneBlendWeights } from './weights';

/** A blend's files under its own work directory (from @segkit/run's layout): its logits and record, submission and report. */
export function blendPaths(workDir: string) {
  const layout = runLayout(workDir);
  return { ...layout.blend, submission: layout.submission.csv, report: layout.report.dir };
}

export interface BlendMemberInput {
  name: string;
  /** The member's work directory (its ensemble/ folder is read). */
  workDir: string;
  /** Where its ensemble/ is instead: its last pseudo-label round's work directory (@segkit/run's roundWorkDir); default `workDir`. */
  ensembleDir?: string;
  /** The member's folds.csv. */
  foldsPath: string;
}

export interface BlendInput {
  config: BlendConfig & { name: string };
  members: BlendMemberInput[];
  /** Train ids, masks (0/1, image-major) and size from the data; OOF rows must be in this order. */
  trainIds: string[];
  masks: Uint8Array;
  height: number;
  width: number;
  /** Test ids in the sample submission's order. */
  sampleIds: string[];
  /** The competition's submission format (the layout descriptor's `submission`). */
  format: SubmissionFormat;
  /** The metric the weights and the threshold are tuned on and the record shows. */
  metric: MetricName;
  workDir: string;
  log?: (msg: string) => void;
}

export interface BlendRecord {
  name: string;
  /** The metric every OOF score here is in. */
  metric: MetricName;
  members: { name: string; weight: number; oofScore: number; logitThreshold: number; minArea: number }[];
  weightsTuned: boolean;
  oofScore: number;
  logitThreshold: number;
  probThreshold: number;
  minArea: number;
  /** oofScore minus the best member's. */
  gainOverBestMember: number;
  submission: { rows: number; nonEmpty: number };
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Blends experiments: checks that every member used the same fold split (a blend tuned on OOF
 * logits of different splits would have seen validation images in training), reads each member's
 * ensembled OOF (stage 2) and test logits, weights them (fixed, or tuned on the OOF), tunes the
 * logit threshold and minimum area on the blended OOF, and writes the blended logits, the
 * submission and a report comparing each member's tuned OOF mAP with the blend's.
 */
export async function blendExperiments(input: BlendInput): Promise<BlendRecord> {
  const { config, members, trainIds, masks, height, width } = input;
  const log = input.log ?? ((m: string) => ioLog('blend', m));
  const pixels = height * width;

  // 1. One fold split for all.
  const splits = members.map((m) => {
    if (!existsSync(m.foldsPath)) throw new UserError(`${m.foldsPath} is missing: run experiment "${m.name}" first (nx run ${m.name}:ensemble)`);
    return readFoldsCsv(m.foldsPath, trainIds);
  });
  const differing = members.filter((_, k) => trainIds.some((id) => splits[k].get(id) !== splits[0].get(id)));
  if (differing.length > 0) {
    const first = trainIds.find((id) => splits[members.indexOf(differing[0])].get(id) !== splits[0].get(id));
    throw new UserError(
      `blend "${config.name}": members ${members[0].name} and ${differing.map((m) => m.name).join(', ')} use different fold splits ` +
        `(id ${first}: fold ${splits[0].get(first ?? '')} vs ${splits[members.indexOf(differing[0])].get(first ?? '')}); blend experiments with the same folds settings`,
    );
  }

  // 2. The members' ensembled logits.
  const oofs: Float32Array[] = [];
  const tests: Float32Array[] = [];
  let testIds: string[] | undefined;
  for (const m of members) {
    const ensembleDir = m.ensembleDir ?? m.workDir;
    const metaPath = ensemblePaths(ensembleDir).meta;
    if (!existsSync(metaPath)) throw new UserError(`${metaPath} is missing: run experiment "${m.name}" first (nx run ${m.name}:tune)`);
    const { logits, meta } = readEnsembleOof(ensembleDir, 2, trainIds);
    if (meta.height !== height || meta.width !== width) throw new UserError(`${metaPath}: images of ${meta.height}×${meta.width}, the data's are ${height}×${width}`);
    if (testIds && !sameIds(meta.testIds, testIds)) throw new UserError(`${ensemblePaths(ensembleDir).testIds}: "${m.name}" predicted other test images than ${members[0].name}`);
    testIds = meta.testIds;
    oofs.push(logits);
    tests.push(readEnsembleTest(ensembleDir, meta));
  }
  if (!testIds || !sameIds(testIds, input.sampleIds)) throw new UserError(`the members' test ids differ from the sample submission's; rerun their predict step`);

  // 3. Each member alone, tuned the same way as the blend.
  const tuneOpts = config.tune;
  const scoring: TuneScoring = { metric: input.metric, width };
  const alone = oofs.map((o) => tuneThreshold(o, masks, pixels, tuneOpts, scoring));

  // 4. Weights, then the blend's own threshold and minimum area.
  const tuned = config.blend.weights === 'tune';
  let weights: number[];
  if (config.blend.weights === 'tune') {
    const search = tuneBlendWeights(oofs, masks, pixels, {
      logitThresholds: linspace(tuneOpts.probFrom, tuneOpts.probTo, tuneOpts.probSteps).map(logit),
      minAreas: tuneOpts.minAreas,
      scoring,
      onCandidate: (done, total) => {
        if (done === total) log(`weights: ${total} candidates on the OOF logits`);
      },
    });
    weights = search.weights;
  } else {
    const total = config.blend.weights.reduce((a, b) => a + b, 0);
    weights = config.blend.weights.map((w) => w / total);
  }
  const oof = blendLogits(oofs, weights);
  const result = tuneThreshold(oof, masks, pixels, tuneOpts, scoring);
  const test = blendLogits(tests, weights);

  // 5. Artifacts: blended logits, submission, report.
  const paths = blendPaths(input.workDir);
  writeNpy(paths.oof, oof, [trainIds.length, height, width]);
  writeIdsFile(paths.oofIds, trainIds);
  writeNpy(paths.test, test, [testIds.length, height, width]);
  writeIdsFile(paths.testIds, testIds);
  const summary = writeSubmission({
    testIds,
    testLogitsPath: paths.test,
    height,
    width,
    logitThreshold: result.logitThreshold,
    minArea: result.minArea,
    topLogitThreshold: result.topLogitThreshold,
    outPath: paths.submission,
    format: input.format,
  });
  validateSubmission(paths.submission, input.sampleIds, height, width, input.format);
  const best = Math.max(...alone.map((a) => a.score));
  const record: BlendRecord = {
    name: config.name,
    metric: input.metric,
    members: members.map((m, k) => ({ name: m.name, weight: weights[k], oofScore: alone[k].score, logitThreshold: alone[k].logitThreshold, minArea: alone[k].minArea })),
    weightsTuned: tuned,
    oofScore: result.score,
    logitThreshold: result.logitThreshold,
    probThreshold: result.probThreshold,
    minArea: result.minArea,
    gainOverBestMember: result.score - best,
    submission: { rows: summary.rows, nonEmpty: summary.nonEmpty },
  };
  // Read by people and tools, not by a later step: no reader schema to check it against.
  atomicWriteFile(paths.record, JSON.stringify(record, null, 2) + '\n');
  writeBlendReport(input.workDir, record);
  log(
    `${members.map((m, k) => `${m.name} ${alone[k].score.toFixed(4)} (weight ${weights[k].toFixed(2)})`).join(', ')} → blend ${result.score.toFixed(4)} ` +
      `at logit ${result.logitThreshold.toFixed(4)}, min area ${result.minArea}; submission ${paths.submission}`,
  );
  return record;
}

/** The blend's report in its work directory's `report/`: `summary.json` (snake_case, scores in `metric` as in the experiments' summaries) and a one-table `index.html`. */
export function writeBlendReport(workDir: string, r: BlendRecord): void {
  const report = runLayout(workDir).report;
  const label = metricInfo(r.metric).label;
  const summary = {
    name: r.name,
    metric: r.metric,
    oof_score: r.oofScore,
    logit_threshold: r.logitThreshold,
    prob_threshold: r.probThreshold,
    min_area: r.minArea,
    weights_tuned: r.weightsTuned,
    gain_over_best_member: r.gainOverBestMember,
    members: r.members.map((m) => ({ name: m.name, weight: m.weight, oof_score: m.oofScore, logit_threshold: m.logitThreshold, min_area: m.minArea })),
    submission: { rows: r.submission.rows, non_empty: r.submission.nonEmpty },
  };
  const row = (name: string, weight: string, score: number, thr: number, area: number, bold = false) =>
    `<tr${bold ? ' class="blend"' : ''}><td>${escapeHtml(name)}</td><td>${weight}</td><td>${score.toFixed(4)}</td><td>${thr.toFixed(4)}</td><td>${area}</td></tr>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.name)}: blend</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}.blend{font-weight:bold}</style>
</head><body>
<h1>${escapeHtml(r.name)}: blend of ${r.members.length} experiments</h1>
<p>OOF ${label} of the blend <b>${r.oofScore.toFixed(4)}</b>, ${r.gainOverBestMember >= 0 ? '+' : ''}${r.gainOverBestMember.toFixed(4)} over the best member; weights ${r.weightsTuned ? 'tuned on the OOF logits' : 'as configured'}. Each row is tuned (logit threshold, min area) on its own OOF logits.</p>
<table><thead><tr><th>OOF logits</th><th>weight</th><th>OOF ${label}</th><th>logit threshold</th><th>min area</th></tr></thead><tbody>
${r.members.map((m) => row(m.name, m.weight.toFixed(2), m.oofScore, m.logitThreshold, m.minArea)).join('\n')}
${row('blend', '1.00', r.oofScore, r.logitThreshold, r.minArea, true)}
</tbody></table>
<p>Submission: ${r.submission.rows} rows, ${r.submission.nonEmpty} images with a mask.</p>
</body></html>
`;
  atomicWriteFile(report.summary, JSON.stringify(summary, null, 2) + '\n');
  atomicWriteFile(report.html, html);
}
