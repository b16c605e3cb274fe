/**
 * The report's sections, each a pure function from the (validated) input to an HTML fragment.
 * Every piece of text from the input goes through `escapeHtml`.
 */
import { sigmoid } from '@segkit/metrics';
import { escapeHtml as esc } from './escape';
import { metricInfo } from '@segkit/metrics';
import { fmtDelta, fmtInt, fmtLogit, fmtMap, fmtPct, fmtProb, fmtSeconds, meanStd } from './format';
import type { WorstImagePictures } from './images';
import { OVERLAY, OVERLAY_SCALE } from './images';
import { barChart, lineChart } from './svg/plot';
import type { Marker, Point, RefLine } from './svg/plot';
import { formatTick, niceTicks } from './svg/scale';
import type { EpochRow, FoldResult, FoldSplit, ReportInput, WorstImage } from './types';

const COLORS = { train: '#4c78a8', val: '#f58518', score: '#54a24b', chosen: '#d62728', ref: '#888', empty: '#9d755d', bar: '#4c78a8' };

/** Below this |delta| a stage-2 change is reported as "no difference": it is under one image in 2000. */
const NO_CHANGE = 0.0005;

/** The short name of the metric the report's OOF scores are in (`mAP`, `Dice`, `F2`). */
function metricLabel(input: Pick<ReportInput, 'metric'>): string {
  return metricInfo(input.metric).label;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function rgbCss(c: readonly number[]): string {
  return `rgb(${c.join(',')})`;
}

/** The "does Lovász help?" sentence and its tone, from the overall and per-fold stage deltas. */
export function stage2Verdict(input: ReportInput): { text: string; tone: 'good' | 'bad' | 'neutral' } {
  if (input.folds.length > 0 && input.folds.every((f) => f.stage2.epochs === 0)) {
    return { text: 'Stage 2 (Lovász fine-tuning) was not run: the stage-2 numbers repeat stage 1.', tone: 'neutral' };
  }
  const delta = input.oofScoreStage2 - input.oofScoreStage1;
  const improved = input.folds.filter((f) => f.oofScoreStage2 > f.oofScoreStage1).length;
  const folds = input.folds.length > 0 ? `; better in ${improved} of ${input.folds.length} folds` : '';
  const tone = Math.abs(delta) < NO_CHANGE ? 'neutral' : delta > 0 ? 'good' : 'bad';
  const verb = tone === 'neutral' ? 'made no clear difference' : tone === 'good' ? 'helped' : 'hurt';
  return { text: `Stage 2 (Lovász fine-tuning) ${verb}: ${fmtDelta(delta)} OOF ${metricLabel(input)} at logit 0${folds}.`, tone };
}

/** Bytes as kB or MB with one decimal. */
function fmtBytes(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export function headerSection(input: ReportInput): string {
  const s = input.submission;
  return (
    `<header><h1>${esc(input.title)}</h1>` +
    `<p class="meta">${esc(input.createdAt)} · backend: ${esc(input.backend)} · submission: <code>${esc(s.path)}</code> ` +
    `(${fmtInt(s.rows)} rows${s.rows === s.images ? '' : ` for ${fmtInt(s.images)} images`}, ${fmtInt(s.nonEmpty)} non-empty = ${fmtPct(s.images > 0 ? s.nonEmpty / s.images : NaN)})` +
    (input.dataCache ? ` · images ${esc(input.dataCache.input)}; decoded cache: train ${fmtBytes(input.dataCache.trainBytes)}, test ${fmtBytes(input.dataCache.testBytes)}` : '') +
    `</p></header>`
  );
}

/** How a stage's OOF logits were averaged over TTA: ', no TTA' for the plain pass alone, else ', TTA identity + hflip'; '' when unknown. */
export function ttaLabel(ttas: readonly string[] | undefined): string {
  if (ttas === undefined) return '';
  return ttas.length === 1 && ttas[0] === 'identity' ? ', no TTA' : `, TTA ${ttas.join(' + ')}`;
}

function card(label: string, value: string, sub: string, cls = ''): string {
  return `<div class="card${cls ? ' ' + cls : ''}"><div class="label">${esc(label)}</div><div class="value">${value}</div><div class="sub">${sub}</div></div>`;
}

export function headlineSection(input: ReportInput): string {
  const verdict = stage2Verdict(input);
  const tuneGain = input.oofScoreTuned - input.oofScoreStage2;
  const cards =
    card(`OOF ${metricLabel(input)} stage 1`, fmtMap(input.oofScoreStage1), `at logit 0${ttaLabel(input.oofTta?.stage1)}`) +
    card(`OOF ${metricLabel(input)} stage 2`, fmtMap(input.oofScoreStage2), `${fmtDelta(input.oofScoreStage2 - input.oofScoreStage1)} vs stage 1${ttaLabel(input.oofTta?.stage2)}`, verdict.tone) +
    card(`OOF ${metricLabel(input)} tuned`, fmtMap(input.oofScoreTuned), `${fmtDelta(tuneGain)} from threshold + min area${ttaLabel(input.oofTta?.stage2)}`) +
    card('All-empty baseline', fmtMap(input.allEmptyBaseline), `model is ${fmtDelta(input.oofScoreTuned - input.allEmptyBaseline)} above it`) +
    (input.topProbThreshold === undefined
      ? card('Threshold', `p ${fmtProb(input.probThreshold)}`, `logit ${fmtLogit(input.logitThreshold)}`)
      : card('Thresholds', `p ${fmtProb(input.topProbThreshold)} / ${fmtProb(input.probThreshold)}`, `top decides an object, bottom draws it (logit ${fmtLogit(input.logitThreshold)})`)) +
    card('Min area', `${fmtInt(input.minArea)} px`, 'smaller predicted masks are emptied') +
    (input.testScore === undefined ? '' : card(`Test ${metricLabel(input)}`, fmtMap(input.testScore), 'submission vs the known test masks'));
  const warnings = (input.warnings ?? []).map((w) => `<p class="warning${w.fatal ? ' fatal' : ''}">${w.fatal ? 'Worthless submission: ' : 'Warning: '}${esc(w.message)}</p>`).join('');
  return section(
    'headline',
    'Headline',
    warnings +
      `<div class="cards">${cards}</div>` +
      `<p class="verdict ${verdict.tone}">${esc(verdict.text)}</p>` +
      ttaNote(input) +
      `<p class="note">The tuned ${metricLabel(input)} picks its threshold and min area on the same out-of-fold predictions it is measured on, so it is slightly optimistic; the gap to the stage-2 number is the most tuning can be trusted to add.</p>` +
      demoNote(input),
  );
}

/** Which OOF numbers are with and without TTA, when the two stages differ. */
function ttaNote(input: ReportInput): string {
  const t = input.oofTta;
  if (t === undefined || t.stage1.join() === t.stage2.join()) return '';
  return (
    `<p class="note">Stage 1's OOF logits are training's own validation pass of its kept model (${esc(ttaLabel(t.stage1).slice(2))}); ` +
    `stage 2's and the tuned ${metricLabel(input)} come from the predict step (${esc(ttaLabel(t.stage2).slice(2))}), so the stage-1 → stage-2 difference includes the TTA's share.</p>`
  );
}

/** Where the bundle beside the report runs in a browser (`npm run demo` serves it on localhost:8080 by default). */
function demoNote(input: ReportInput): string {
  if (input.demoBundle === undefined) return '';
  const url = 'http://127.0.0.1:8080/';
  return (
    `<p class="demo">Try the models on your own images in a browser: from this report's folder run ` +
    `<code>npm run demo -- --bundle ${esc(input.demoBundle)}</code> (in the project) and open <a href="${url}">${url}</a> ` +
    `— the page segments dropped images exactly as <code>npm run infer</code> does.</p>`
  );
}

export function notesSection(notes: readonly string[]): string {
  if (notes.length === 0) return '';
  return `<section id="notes" class="warn"><h2>Consistency checks</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}

export function foldsSection(input: ReportInput): string {
  if (input.folds.length === 0) return section('folds', 'Folds', '<p>No folds.</p>');
  const rows = input.folds
    .map((f) => {
      const d = f.oofScoreStage2 - f.oofScoreStage1;
      const epochSeconds = f.history.length > 0 ? f.history.reduce((s, r) => s + r.seconds, 0) / f.history.length : NaN;
      return (
        `<tr><td>${f.fold}</td><td>${fmtInt(f.nTrain)}</td><td>${fmtInt(f.nVal)}</td>` +
        `<td>${f.stage1.bestEpoch} / ${f.stage1.epochs}</td><td>${fmtMap(f.oofScoreStage1)}</td>` +
        `<td>${f.stage2.bestEpoch} / ${f.stage2.epochs}</td><td>${fmtMap(f.oofScoreStage2)}</td>` +
        `<td class="${d > 0 ? 'good' : d < 0 ? 'bad' : ''}">${fmtDelta(d)}</td>` +
        `<td>${Number.isFinite(epochSeconds) ? fmtSeconds(epochSeconds) : '–'}</td><td>${fmtSeconds(f.seconds)}</td><td>${esc(f.device ?? '–')}</td></tr>`
      );
    })
    .join('');
  const s1 = meanStd(input.folds.map((f) => f.oofScoreStage1));
  const s2 = meanStd(input.folds.map((f) => f.oofScoreStage2));
  const dd = meanStd(input.folds.map((f) => f.oofScoreStage2 - f.oofScoreStage1));
  const foot =
    `<tr><td colspan="4">mean ± sd</td><td>${fmtMap(s1.mean)} ± ${fmtMap(s1.std)}</td><td></td>` +
    `<td>${fmtMap(s2.mean)} ± ${fmtMap(s2.std)}</td><td>${fmtDelta(dd.mean)}</td><td></td><td>${fmtSeconds(input.folds.reduce((s, f) => s + f.seconds, 0))}</td><td></td></tr>`;
  return section(
    'folds',
    'Folds',
    `<table class="num"><thead><tr><th>fold</th><th>train</th><th>val</th><th>stage 1 best epoch</th><th>val ${metricLabel(input)} stage 1</th>` +
      `<th>stage 2 best epoch</th><th>val ${metricLabel(input)} stage 2</th><th>Δ</th><th>s / epoch</th><th>time</th><th>device</th></tr></thead>` +
      `<tbody>${rows}</tbody><tfoot>${foot}</tfoot></table>` +
      `<p class="note">Validation ${metricLabel(input)} at logit 0 and min area 0 on each fold's held-out images; the overall OOF ${metricLabel(input)} pools all of them.</p>` +
      (input.split ? `<p class="note">${esc(splitLine(input.split))}</p>` : ''),
  );
}

/**
 * How the folds were split, as one sentence: `5 folds stratified by coverage class (seed 42); ids
 * grouped by ^(.+)_\d+\.jpg$: 318 groups, each kept whole in one fold.`
 */
export function splitLine(split: FoldSplit): string {
  const by = split.stratify === 'coverage' ? 'coverage class' : 'depth quantile';
  const groups =
    split.groupBy === undefined
      ? 'no grouping (each image on its own).'
      : `ids grouped by ${split.groupBy}: ${split.groups === undefined ? 'its' : split.groups} groups, each kept whole in one fold.`;
  return `Split: ${split.k} folds stratified by ${by} (seed ${split.seed}); ${groups}`;
}

/**
 * Weight averaging (a stage's `swa` / `ema`): per fold and averaged stage, the validation score (the run's metric) at
 * logit 0 of the averaged model (what the stage handed on) beside its best epoch's and, where the
 * stage kept cosine snapshots, their logit-mean ensemble's. Empty when no stage averaged.
 */
export function averagingSection(input: ReportInput): string {
  const rows = input.folds.flatMap((f) =>
    ([1, 2] as const).flatMap((stage) => {
      const st = stage === 1 ? f.stage1 : f.stage2;
      const a = st.averaged;
      if (!a) return [];
      const d = a.valScore - st.bestValScore;
      const what = a.kind === 'ema' ? `EMA, ${fmtInt(a.members)} steps` : `SWA, ${fmtInt(a.members)} epochs`;
      return [
        `<tr><td>${f.fold}</td><td>${stage}</td><td>${esc(what)}</td><td>${fmtMap(st.bestValScore)}</td><td>${fmtMap(a.valScore)}</td>` +
          `<td class="${d > 0 ? 'good' : d < 0 ? 'bad' : ''}">${fmtDelta(d)}</td><td>${a.snapshotsValScore === undefined ? '–' : fmtMap(a.snapshotsValScore)}</td></tr>`,
      ];
    }),
  );
  if (rows.length === 0) return '';
  return section(
    'averaging',
    'Weight averaging',
    `<table class="num"><thead><tr><th>fold</th><th>stage</th><th>averaging</th><th>val ${metricLabel(input)} best epoch</th><th>val ${metricLabel(input)} averaged</th><th>Δ</th><th>val ${metricLabel(input)} snapshot ensemble</th></tr></thead>` +
      `<tbody>${rows.join('')}</tbody></table>` +
      `<p class="note">Validation ${esc(metricLabel(input))} at logit 0 on each fold's held-out images. The averaged model is what the stage handed on (stage 2 starts from stage 1's; predict uses stage 2's).</p>`,
  );
}

/**
 * Pseudo-label rounds: per round the test images added to every fold's training images and the
 * ensembled OOF score it reached (the validation images are the same in every round). Empty
 * without rounds.
 */
export function pseudoSection(input: ReportInput): string {
  const rounds = input.rounds ?? [];
  if (rounds.length === 0) return '';
  const label = metricLabel(input);
  const rows = rounds.map((r, i) => {
    const d = i === 0 ? undefined : r.oofScore - rounds[i - 1].oofScore;
    const delta = d === undefined ? '–' : fmtDelta(d);
    return `<tr><td>${r.round}</td><td>${r.round === 0 ? '–' : fmtInt(r.pseudoLabels)}</td><td>${fmtMap(r.oofScoreAtZero)}</td><td>${fmtMap(r.oofScore)}</td><td class="${d === undefined ? '' : d > 0 ? 'good' : d < 0 ? 'bad' : ''}">${delta}</td></tr>`;
  });
  return section(
    'pseudo',
    'Pseudo-label rounds',
    `<table class="num"><thead><tr><th>round</th><th>pseudo-labels</th><th>OOF ${label} at p = 0.5</th><th>OOF ${label} tuned</th><th>Δ tuned</th></tr></thead>` +
      `<tbody>${rows.join('')}</tbody></table>` +
      `<p class="note">Each round retrains every fold from scratch on its training images plus the test images the previous round's ensemble was confident on, with its masks; ` +
      `validation images never change, so every round's OOF score is honest. The last round is the one submitted.</p>`,
  );
}

/** Logit ticks for the secondary axis of the threshold chart, positioned at sigmoid(logit). */
export function logitAxisTicks(probMin: number, probMax: number): { x: number; label: string }[] {
  const clamp = (p: number): number => Math.min(1 - 1e-6, Math.max(1e-6, p));
  const logit = (p: number): number => Math.log(clamp(p) / (1 - clamp(p)));
  const { ticks, step } = niceTicks(logit(probMin), logit(probMax), 6);
  return ticks.map((l) => ({ x: sigmoid(l), label: formatTick(l, step) })).filter((t) => t.x >= probMin - 1e-12 && t.x <= probMax + 1e-12);
}

export function thresholdSection(input: ReportInput): string {
  const curve = [...input.thresholdCurve].sort((a, b) => a.probThreshold - b.probThreshold);
  if (curve.length === 0) return section('threshold', 'Threshold sweep', '<p>No threshold sweep was run.</p>');
  const chosen = curve.reduce((best, p) =>
    Math.abs(p.probThreshold - input.probThreshold) < Math.abs(best.probThreshold - input.probThreshold) ? p : best,
  );
  const probs = curve.map((p) => p.probThreshold).concat(input.probThreshold);
  const lo = Math.min(...probs);
  const hi = Math.max(...probs);
  const svg = lineChart({
    width: 1080,
    height: 360,
    xLabel: 'probability threshold',
    yLabel: `OOF ${metricLabel(input)}`,
    series: [{ label: `OOF ${metricLabel(input)}`, color: COLORS.score, points: curve.map((p) => [p.probThreshold, p.score] as Point), dots: true }],
    markers: [
      { x: chosen.probThreshold, y: chosen.score, label: `chosen p ${fmtProb(input.probThreshold)} / logit ${fmtLogit(input.logitThreshold)}: ${fmtMap(chosen.score)}`, color: COLORS.chosen },
    ],
    refLines: [{ axis: 'y', value: input.oofScoreStage2, label: `stage 2 at logit 0: ${fmtMap(input.oofScoreStage2)}`, color: COLORS.ref }],
    topAxis: { label: 'logit threshold', ticks: logitAxisTicks(lo, hi) },
  });
  const best = curve.reduce((b, p) => (p.score > b.score ? p : b));
  return section(
    'threshold',
    'Threshold sweep',
    `<figure>${svg}<figcaption>OOF ${metricLabel(input)} against the probability threshold (logit on the top axis), ${curve.length} points from the coarse grid and the fine search. ` +
      `The chosen point is circled; the sweep's best is ${fmtMap(best.score)} at p ${fmtProb(best.probThreshold)} (logit ${fmtLogit(best.logitThreshold)}).</figcaption></figure>`,
  );
}

export function minAreaSection(input: ReportInput): string {
  const curve = [...input.minAreaCurve].sort((a, b) => a.minArea - b.minArea);
  if (curve.length === 0) return section('min-area', 'Min-area sweep', '<p>No min-area sweep was run.</p>');
  const chosen = curve.reduce((best, p) => (Math.abs(p.minArea - input.minArea) < Math.abs(best.minArea - input.minArea) ? p : best));
  const svg = lineChart({
    width: 1080,
    height: 300,
    xLabel: 'min area (pixels): predicted masks smaller than this are emptied',
    yLabel: `OOF ${metricLabel(input)}`,
    xIntegers: true,
    series: [{ label: `OOF ${metricLabel(input)} at p ${fmtProb(input.probThreshold)}`, color: COLORS.score, points: curve.map((p) => [p.minArea, p.score] as Point), dots: true }],
    markers: [{ x: chosen.minArea, y: chosen.score, label: `chosen ${fmtInt(input.minArea)} px: ${fmtMap(chosen.score)}`, color: COLORS.chosen }],
  });
  return section('min-area', 'Min-area sweep', `<figure>${svg}<figcaption>At the chosen threshold. An empty image with any predicted pixel scores 0, which is what a min area guards against.</figcaption></figure>`);
}

export function coverageSection(input: ReportInput): string {
  const bins = input.coverageBins;
  if (bins.length === 0) return section('coverage', `${metricLabel(input)} by coverage`, '<p>No coverage bins.</p>');
  const total = bins.reduce((s, b) => s + b.count, 0);
  // Each image contributes (1 - score) / N to the gap between the mean score and 1, so a bin's
  // share of that gap is count * (1 - mean) / sum over bins of count * (1 - mean).
  const lost = bins.map((b) => (b.count === 0 ? 0 : b.count * (1 - b.meanScore)));
  const lostTotal = lost.reduce((s, v) => s + v, 0);
  const svg = barChart({
    width: 640,
    height: 300,
    yLabel: `OOF ${metricLabel(input)}`,
    yInclude: [1],
    bars: bins.map((b) => ({ label: b.label, value: b.count === 0 ? NaN : b.meanScore, note: `n=${fmtInt(b.count)}`, color: b.label === 'empty' ? COLORS.empty : COLORS.bar })),
    refLines: [{ value: input.oofScoreTuned, label: `overall tuned ${fmtMap(input.oofScoreTuned)}`, color: COLORS.chosen }],
    formatValue: (v) => v.toFixed(3),
  });
  const rows = bins
    .map(
      (b, i) =>
        `<tr><td class="text">${esc(b.label)}</td><td>${fmtInt(b.count)}</td><td>${fmtPct(total > 0 ? b.count / total : NaN)}</td><td>${b.count === 0 ? '–' : fmtMap(b.meanScore)}</td>` +
        `<td>${fmtPct(lostTotal > 0 ? lost[i] / lostTotal : NaN)}</td></tr>`,
    )
    .join('');
  return section(
    'coverage',
    `${metricLabel(input)} by coverage`,
    `<div class="row"><figure>${svg}</figure><table class="num"><thead><tr><th>coverage</th><th>images</th><th>share</th><th>${metricLabel(input)}</th><th>share of lost score</th></tr></thead>` +
      `<tbody>${rows}</tbody></table></div>` +
      `<p class="note">Coverage = salt pixels / image pixels of the true mask, at the chosen threshold and min area. "Share of lost score" says where the distance to 1.0 comes from.</p>`,
  );
}

export function confusionSection(input: ReportInput): string {
  const c = input.confusion;
  const emptyTotal = c.truthEmptyPredEmpty + c.truthEmptyPredNonEmpty;
  const saltTotal = c.truthNonEmptyPredEmpty + c.truthNonEmptyPredNonEmpty;
  const cell = (n: number, rowTotal: number, cls: string): string => `<td class="${cls}">${fmtInt(n)}<span class="pct">${fmtPct(rowTotal > 0 ? n / rowTotal : NaN)}</span></td>`;
  const table =
    `<table class="confusion num"><thead><tr><th></th><th>predicted empty</th><th>predicted salt</th><th>total</th></tr></thead><tbody>` +
    `<tr><th>truth empty</th>${cell(c.truthEmptyPredEmpty, emptyTotal, 'good')}${cell(c.truthEmptyPredNonEmpty, emptyTotal, 'bad')}<td>${fmtInt(emptyTotal)}</td></tr>` +
    `<tr><th>truth salt</th>${cell(c.truthNonEmptyPredEmpty, saltTotal, 'bad')}${cell(c.truthNonEmptyPredNonEmpty, saltTotal, 'good')}<td>${fmtInt(saltTotal)}</td></tr>` +
    `</tbody></table>`;
  const wrong = c.truthEmptyPredNonEmpty + c.truthNonEmptyPredEmpty;
  const all = emptyTotal + saltTotal;
  return section(
    'confusion',
    'Empty vs non-empty',
    table +
      `<p class="note">Both off-diagonal cells score exactly 0 per image: ${fmtInt(wrong)} images (${fmtPct(all > 0 ? wrong / all : NaN)} of OOF) cost at most ${fmtMap(all > 0 ? wrong / all : 0)} ${metricLabel(input)}. ` +
      `Percentages are of the row.</p>` +
      gateTable(input),
  );
}

/**
 * The x coordinate of each epoch in a fold's training chart: 1, 2, ... through stage 1 and on
 * through stage 2, whatever numbering the trainer used inside each stage.
 */
export function epochAxis(history: readonly EpochRow[]): { rows: EpochRow[]; x: number[]; stage1Epochs: number } {
  const rows = [...history].sort((a, b) => a.stage - b.stage || a.epoch - b.epoch);
  return { rows, x: rows.map((_, i) => i + 1), stage1Epochs: rows.filter((r) => r.stage === 1).length };
}

function foldCharts(f: FoldResult, label: string): string {
  const { rows, x, stage1Epochs } = epochAxis(f.history);
  if (rows.length === 0) return `<div class="fold"><h3>Fold ${f.fold}</h3><p>No history.</p></div>`;
  const refLines: RefLine[] =
    stage1Epochs > 0 && stage1Epochs < rows.length ? [{ axis: 'x', value: stage1Epochs + 0.5, label: 'stage 2 →', color: COLORS.ref }] : [];
  const markers: Marker[] = [];
  for (const stage of [1, 2] as const) {
    const best = stage === 1 ? f.stage1 : f.stage2;
    const i = rows.findIndex((r) => r.stage === stage && r.epoch === best.bestEpoch);
    // Unlabelled: the caption carries the numbers, labels would collide with the stage line.
    if (i >= 0) markers.push({ x: x[i], y: rows[i].val_score, label: '', color: COLORS.chosen });
  }
  const loss = lineChart({
    width: 540,
    height: 240,
    xLabel: 'epoch',
    yLabel: 'loss',
    xIntegers: true,
    series: [
      { label: 'train loss', color: COLORS.train, points: rows.map((r, i) => [x[i], r.loss] as Point) },
      { label: 'val loss', color: COLORS.val, points: rows.map((r, i) => [x[i], r.val_loss] as Point), dashed: true },
    ],
    refLines,
  });
  const map = lineChart({
    width: 540,
    height: 240,
    xLabel: 'epoch',
    yLabel: `val ${label}`,
    xIntegers: true,
    series: [{ label: `val ${label}`, color: COLORS.score, points: rows.map((r, i) => [x[i], r.val_score] as Point), dots: rows.length <= 60 }],
    refLines,
    markers,
  });
  const kept = (name: string, st: FoldResult['stage1']): string => `${name}: epoch ${st.bestEpoch} of ${st.epochs}, val ${label} ${fmtMap(st.bestValScore)}`;
  return (
    `<div class="fold"><h3>Fold ${f.fold}</h3><div class="pair">${loss}${map}</div>` +
    `<p class="note">Kept ${kept('stage 1', f.stage1)}; ${kept('stage 2', f.stage2)}.</p></div>`
  );
}

/** Tableau 10: distinguishable fold colours. */
const FOLD_COLORS = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

/** Every fold's validation score (the run's metric, `label`) on one chart, to spot a fold that trains differently from the rest. */
function foldsOverlay(folds: readonly FoldResult[], label: string): string {
  const axes = folds.map((f) => epochAxis(f.history));
  const stage1 = new Set(axes.map((a) => a.stage1Epochs));
  const [s1] = [...stage1];
  // One boundary line only when every fold switched stage at the same epoch.
  const refLines: RefLine[] =
    stage1.size === 1 && s1 > 0 && axes.some((a) => a.rows.length > s1) ? [{ axis: 'x', value: s1 + 0.5, label: 'stage 2 →', color: COLORS.ref }] : [];
  return lineChart({
    width: 1080,
    height: 280,
    xLabel: 'epoch',
    yLabel: `val ${label}`,
    xIntegers: true,
    series: folds.map((f, k) => ({
      label: `fold ${f.fold}`,
      color: FOLD_COLORS[k % FOLD_COLORS.length],
      points: axes[k].rows.map((r, i) => [axes[k].x[i], r.val_score] as Point),
    })),
    refLines,
  });
}

export function trainingSection(input: ReportInput): string {
  if (input.folds.length === 0) return section('training', 'Training curves', '<p>No folds.</p>');
  const withHistory = input.folds.filter((f) => f.history.length > 0);
  const overlay = withHistory.length > 1 ? `<figure>${foldsOverlay(withHistory, metricLabel(input))}<figcaption>Validation ${esc(metricLabel(input))} (at p = 0.5; each stage keeps its best epoch by it) of every fold.</figcaption></figure>` : '';
  return section(
    'training',
    'Training curves',
    overlay +
      `<p class="note">Per fold: stage 1 then stage 2 on one epoch axis; the dashed line marks the switch. The loss scale changes between stages (stage 2 optimises a different loss). Circled: the epoch each stage kept.</p>` +
      input.folds.map((f) => foldCharts(f, metricLabel(input))).join(''),
  );
}

function sum(mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) s += mask[i];
  return s;
}

/** Why an image scored badly, in one phrase, from its true and predicted areas and IoU. */
export function failureKind(truthArea: number, predArea: number, iou: number): string {
  if (truthArea === 0 && predArea > 0) return 'false positive on an empty image';
  if (truthArea > 0 && predArea === 0) return 'missed: predicted empty';
  if (truthArea === 0 && predArea === 0) return 'correct empty';
  if (predArea >= 1.5 * truthArea) return `over-segmented (${(predArea / truthArea).toFixed(1)}× the true area)`;
  if (predArea <= truthArea / 1.5) return `under-segmented (${(predArea / truthArea).toFixed(2)}× the true area)`;
  return iou < 0.5 ? 'right size, wrong place' : 'boundary error';
}

export function worstSection(input: ReportInput, pictures: readonly WorstImagePictures[]): string {
  if (input.worst.length === 0) return section('worst', 'Worst OOF images', '<p>No images.</p>');
  const cards = input.worst
    .map((w: WorstImage, i) => {
      const truthArea = sum(w.truth);
      const predArea = sum(w.pred);
      const n = w.height * w.width;
      const p = pictures[i];
      const size = `width="${w.width * OVERLAY_SCALE}" height="${w.height * OVERLAY_SCALE}"`;
      return (
        `<figure class="worst"><div class="imgs"><img class="px" ${size} alt="image ${esc(w.id)}" src="${p.image}">` +
        `<img ${size} alt="overlay ${esc(w.id)}" src="${p.overlay}"></div>` +
        `<figcaption><b>${esc(w.id)}</b> · score ${fmtMap(w.score)} · IoU ${fmtMap(w.iou)}<br>` +
        `truth ${fmtInt(truthArea)} px (${fmtPct(truthArea / n)}) · pred ${fmtInt(predArea)} px (${fmtPct(predArea / n)})<br>` +
        `<span class="why">${esc(failureKind(truthArea, predArea, w.iou))}</span></figcaption></figure>`
      );
    })
    .join('');
  const legend =
    `<p class="legend"><span class="sw" style="background:${rgbCss(OVERLAY.truthFill)}"></span>truth (fill + outline) ` +
    `<span class="sw" style="background:${rgbCss(OVERLAY.predEdge)}"></span>prediction outline · left: image, right: overlay at ${OVERLAY_SCALE}×</p>`;
  return section('worst', 'Worst OOF images', legend + `<div class="grid">${cards}</div>`);
}

export function timingsSection(input: ReportInput): string {
  const entries = Object.entries(input.timings);
  if (entries.length === 0) return section('timings', 'Timings', '<p>No timings.</p>');
  const total = entries.reduce((s, [, t]) => s + t, 0);
  const rows = entries
    .map(([step, t]) => {
      const share = total > 0 ? t / total : 0;
      return `<tr><td class="text">${esc(step)}</td><td>${fmtSeconds(t)}</td><td>${fmtPct(share)}</td><td class="barcell"><span class="bar" style="width:${(share * 100).toFixed(1)}%"></span></td></tr>`;
    })
    .join('');
  return section(
    'timings',
    'Timings',
    `<table class="num timings"><thead><tr><th>step</th><th>time</th><th>share</th><th></th></tr></thead><tbody>${rows}</tbody>` +
      `<tfoot><tr><td class="text">total</td><td>${fmtSeconds(total)}</td><td></td><td></td></tr></tfoot></table>` +
      `<p class="meta">backend: ${esc(input.backend)}</p>`,
  );
}

export function configSection(input: ReportInput): string {
  const json = JSON.stringify(input.config, null, 2) ?? String(input.config);
  return section('config', 'Config', `<pre>${esc(json)}</pre>`);
}

/**
 * The empty-mask gate on the OOF images: per gate threshold, how it splits the truly empty and the
 * non-empty images (an ROC read as a table: the share of empty images it empties against the share of
 * images with a mask it wrongly empties) and the mean score with it applied.
 */
function gateTable(input: ReportInput): string {
  const g = input.gate;
  if (g === undefined) return '';
  const rows = g.table
    .map((r) => {
      const empty = r.truthEmptyGateEmpty + r.truthEmptyGateKept;
      const salt = r.truthNonEmptyGateEmpty + r.truthNonEmptyGateKept;
      const all = empty + salt;
      const chosen = g.probThreshold !== undefined && Math.abs(r.probThreshold - g.probThreshold) < 1e-12;
      return (
        `<tr${chosen ? ' class="good"' : ''}><td>${fmtProb(r.probThreshold)}</td><td>${fmtLogit(r.logitThreshold)}</td>` +
        `<td>${fmtPct(empty > 0 ? r.truthEmptyGateEmpty / empty : NaN)}</td><td>${fmtPct(salt > 0 ? r.truthNonEmptyGateEmpty / salt : NaN)}</td>` +
        `<td>${fmtPct(all > 0 ? (r.truthEmptyGateEmpty + r.truthNonEmptyGateKept) / all : NaN)}</td><td>${fmtMap(r.score)}</td></tr>`
      );
    })
    .join('');
  const verdict =
    g.probThreshold === undefined
      ? `The gate is not applied: no gate threshold beats the best ${metricLabel(input)} without it, ${fmtMap(g.scoreWithoutGate)}.`
      : `The gate is applied at p ${fmtProb(g.probThreshold)}: ${fmtMap(input.oofScoreTuned)} against ${fmtMap(g.scoreWithoutGate)} without it (${fmtDelta(input.oofScoreTuned - g.scoreWithoutGate)}).`;
  return (
    `<h3>Empty-mask gate</h3><table class="gate num"><thead><tr><th>gate p</th><th>logit</th><th>empty images emptied</th><th>images with a mask emptied</th><th>gate accuracy</th><th>${esc(metricLabel(input))} with the gate</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="note">${esc(verdict)} An image whose gate probability is at or below the threshold gets an empty mask; the ${metricLabel(input)} column is at the best gated point's pixel threshold and min area.</p>`
  );
}
