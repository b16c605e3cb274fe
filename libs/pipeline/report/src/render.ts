/** Assembles the self-contained `index.html`: inline CSS, inline SVG, PNG data URIs, no scripts. */
import { escapeHtml as esc } from './escape';
import { renderWorstImage } from './images';
import type { WorstImagePictures } from './images';
import {
  configSection,
  confusionSection,
  coverageSection,
  foldsSection,
  averagingSection,
  pseudoSection,
  headerSection,
  headlineSection,
  minAreaSection,
  notesSection,
  thresholdSection,
  timingsSection,
  trainingSection,
  worstSection,
} from './sections';
import type { ReportInput } from './types';
import { consistencyNotes } from './notes';

const NAV: [string, string][] = [
  ['headline', 'Headline'],
  ['folds', 'Folds'],
  ['threshold', 'Threshold'],
  ['min-area', 'Min area'],
  ['coverage', 'Coverage'],
  ['confusion', 'Empty vs salt'],
  ['training', 'Training'],
  ['worst', 'Worst images'],
  ['timings', 'Timings'],
  ['config', 'Config'],
];

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:20px 28px 60px}
header h1{margin:0 0 4px;font-size:24px}
.meta{color:#666;margin:0}
nav{position:sticky;top:0;z-index:1;background:#f6f7f9;border-bottom:1px solid #ddd;padding:8px 0;margin-bottom:8px}
nav a{color:#2c5d8f;text-decoration:none;margin-right:14px;font-size:13px}
section{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:14px 18px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:14px;margin:10px 0 4px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{border:1px solid #e3e5e8;border-radius:6px;padding:10px 12px;background:#fbfbfc}
.card .label{font-size:12px;color:#666;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.card .sub{font-size:12px;color:#555}
.card.good{border-color:#54a24b;background:#f3faf2}
.card.bad{border-color:#d62728;background:#fdf3f3}
.verdict{font-size:15px;font-weight:600;margin:12px 0 4px}
.verdict.good,td.good{color:#2e7d32}
.verdict.bad,td.bad{color:#c62828}
.warning{border:2px solid #e6a700;background:#fff8e1;padding:8px 12px;font-weight:600}
.warning.fatal{border-color:#d62728;background:#fdecea;color:#b71c1c}
.note{color:#555;font-size:13px;margin:8px 0 0}
.warn{border-color:#e0a800;background:#fffbea}
table{border-collapse:collapse;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid #eceef0}
th{background:#f3f4f6;font-weight:600;text-align:center}
table.num td{text-align:right;font-variant-numeric:tabular-nums}
table.num td.text{text-align:left}
tfoot td{font-weight:600;border-top:2px solid #ddd}
table.confusion td{min-width:120px}
table.confusion th{text-align:left}
.pct{display:block;color:#777;font-size:11px}
.row{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:18px;align-items:start}
figure{margin:0}
figcaption{color:#555;font-size:12px;margin-top:4px}
svg{max-width:100%;height:auto;display:block}
.fold{border-top:1px solid #eee;padding-top:6px}
.pair{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px}
.worst .imgs{display:flex;gap:4px}
.worst img{width:50%;height:auto;max-width:303px;border:1px solid #ccc}
img.px{image-rendering:pixelated}
.worst b{word-break:break-all}
.why{color:#c62828}
.legend .sw{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:-1px;border:1px solid #999}
.timings td.barcell{width:260px}
.bar{display:block;height:10px;background:#4c78a8;border-radius:2px}
pre{background:#f6f8fa;border:1px solid #e3e5e8;border-radius:6px;padding:10px;overflow:auto;max-height:520px;font-size:12px}
@media print{nav{display:none}section{break-inside:avoid}}
`;

/**
 * The whole page. `pictures[i]` are the rendered PNGs of `input.worst[i]` (see `renderPictures`),
 * passed in so this function stays synchronous and pure.
 */
export function renderHtml(input: ReportInput, pictures: readonly WorstImagePictures[]): string {
  if (pictures.length !== input.worst.length) throw new Error(`renderHtml: ${pictures.length} pictures for ${input.worst.length} worst images`);
  const nav = `<nav>${NAV.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`;
  const body = [
    headerSection(input),
    nav,
    headlineSection(input),
    notesSection(consistencyNotes(input)),
    foldsSection(input),
    averagingSection(input),
    pseudoSection(input),
    thresholdSection(input),
    minAreaSection(input),
    coverageSection(input),
    confusionSection(input),
    trainingSection(input),
    worstSection(input, pictures),
    timingsSection(input),
    configSection(input),
  ].join('\n');
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(input.title)} · OOF report</title><style>${CSS}</style></head>` +
    `<body><main>\n${body}\n</main></body></html>\n`
  );
}

/** PNG data URIs for every worst image, in order. */
export async function renderPictures(input: ReportInput): Promise<WorstImagePictures[]> {
  return Promise.all(input.worst.map((w) => renderWorstImage(w)));
}
