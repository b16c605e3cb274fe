/**
 * `npm run bench -- quality [key.path=value …]`: an ablation of the techniques that trade compute
 * for score, on the built-in synthetic competition, in one run: the `cpu` preset as the baseline,
 * each technique alone, then all together — each a whole pipeline run from a clean work directory
 * with the Nx cache skipped, so every wall time includes its training. Prints the tuned OOF mAP,
 * the test mAP (the synthetic test masks are known) and the wall time, with ratios against the
 * baseline measured in the same run. `key.path=value` arguments are applied to every variant
 * (e.g. `synthetic.nTrain=300 folds.k=2` for a quicker look), except `variants=a,b`, which runs
 * only those variants (and the baseline). Not part of a plain `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSummary } from '@segkit/report';

const ROOT = join(__dirname, '..', '..');
const BASE = 'cpu';

/** Each technique as the config keys it sets on top of the baseline. */
const VARIANTS: Array<{ name: string; what: string; config: Record<string, unknown> }> = [
  { name: 'baseline', what: `the ${BASE} preset`, config: {} },
  { name: 'ema', what: 'EMA of weights, decay 0.95, both stages', config: { stage1: { ema: { decay: 0.95 } }, stage2: { ema: { decay: 0.95 } } } },
  { name: 'swa', what: "SWA of stage 2's last 2 epochs", config: { stage2: { swa: { epochs: 2 } } } },
  { name: 'triplet', what: 'threshold triplet, top p ∈ {0.6, 0.7, 0.8, 0.9}', config: { tune: { topProbs: [0.6, 0.7, 0.8, 0.9] } } },
  {
    name: 'gate',
    what: 'empty-mask gate + deep supervision (gate BCE 0.1, aux 0.1, segmentation on non-empty images), gate threshold tuned on OOF',
    config: { model: { gate: true, deepSupervision: true } },
  },
  { name: 'scale', what: 'input at twice the size (input.mode resize, input.scale 2: 101 → 202, padded to 224), logits brought back', config: { input: { mode: 'resize', scale: 2 }, model: { padTo: 224 } } },
  { name: 'pseudo', what: 'one pseudo-label round (test images ≥ 90 % confident pixels), folds retrained', config: { pseudo: { rounds: 1 } } },
  {
    name: 'together',
    what: 'EMA in stage 1, SWA in stage 2, triplet',
    config: { stage1: { ema: { decay: 0.95 } }, stage2: { swa: { epochs: 2 } }, tune: { topProbs: [0.6, 0.7, 0.8, 0.9] } },
  },
  {
    name: 'together+gate',
    what: 'EMA in stage 1, SWA in stage 2, triplet, empty-mask gate + deep supervision',
    config: { model: { gate: true, deepSupervision: true }, stage1: { ema: { decay: 0.95 } }, stage2: { swa: { epochs: 2 } }, tune: { topProbs: [0.6, 0.7, 0.8, 0.9] } },
  },
];

/** The preset's stage sections with a variant's keys merged in (a config file replaces whole top-level sections). */
function variantConfig(name: string, config: Record<string, unknown>): Record<string, unknown> {
  const preset = JSON.parse(readFileSync(join(ROOT, 'configs', `${BASE}.json`), 'utf8')) as Record<string, Record<string, unknown>>;
  const merged: Record<string, unknown> = { extends: BASE, name: `bench-quality-${name}` };
  for (const [section, keys] of Object.entries(config)) merged[section] = { ...(preset[section] ?? {}), ...(keys as Record<string, unknown>) };
  return merged;
}

const args = process.argv.slice(2).filter((a) => a.includes('='));
const chosen = args.find((a) => a.startsWith('variants='))?.slice('variants='.length).split(',');
const unknown = (chosen ?? []).filter((n) => !VARIANTS.some((v) => v.name === n));
if (unknown.length > 0) {
  process.stdout.write(`unknown variant(s) ${unknown.join(', ')}; the variants are ${VARIANTS.map((v) => v.name).join(', ')}\n`);
  process.exit(2);
}
const overrides = args.filter((a) => !a.startsWith('variants='));
const dir = join(ROOT, 'runs', 'bench', 'quality');
mkdirSync(dir, { recursive: true });
const rows: Array<{ name: string; what: string; oof: number; test: number | null; seconds: number; pseudoLabels?: number }> = [];
for (const v of VARIANTS.filter((v) => v.name === 'baseline' || !chosen || chosen.includes(v.name))) {
  const file = join(dir, `bench-quality-${v.name}.json`);
  writeFileSync(file, JSON.stringify(variantConfig(v.name, v.config), null, 2) + '\n');
  const work = join(ROOT, 'runs', 'work', `bench-quality-${v.name}`);
  const out = join(dir, `${v.name}-out`);
  rmSync(work, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  process.stdout.write(`${v.name}: ${v.what} …\n`);
  const started = Date.now();
  const res = spawnSync('npm', ['run', 'pipeline', '--', '--config', file, '--out', out, ...overrides.flatMap((o) => ['--set', o])], {
    cwd: ROOT,
    env: { ...process.env, NX_SKIP_NX_CACHE: 'true' },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = (Date.now() - started) / 1000;
  if (res.status !== 0) {
    process.stdout.write(`${v.name}: the pipeline failed (exit ${res.status})\n${(res.stdout + res.stderr).split('\n').slice(-30).join('\n')}\n`);
    process.exit(1);
  }
  const summary = readSummary(join(out, 'report', 'summary.json'));
  const pseudoLabels = summary.pseudo_rounds?.at(-1)?.pseudo_labels;
  rows.push({ name: v.name, what: v.what, oof: summary.oof_score_tuned, test: summary.test_score, seconds, ...(pseudoLabels === undefined ? {} : { pseudoLabels }) });
  const rounds = (summary.pseudo_rounds ?? []).map((r) => `round ${r.round}: ${r.pseudo_labels} pseudo-labels, OOF ${r.oof_score.toFixed(4)}`).join('; ');
  process.stdout.write(`${v.name}: OOF ${summary.oof_score_tuned.toFixed(4)}, test ${summary.test_score?.toFixed(4) ?? '–'}, ${seconds.toFixed(0)} s${rounds ? ` (${rounds})` : ''}\n`);
}

const base = rows[0];
const fmt = (x: number | null) => (x === null ? '–' : x.toFixed(4));
const sign = (d: number) => (d >= 0 ? '+' : '−') + Math.abs(d).toFixed(4);
process.stdout.write(`\nablation on the synthetic competition (${BASE} preset${overrides.length ? `, ${overrides.join(' ')}` : ''}):\n\n`);
process.stdout.write('| variant | what | OOF mAP (tuned) | test mAP | Δ test vs baseline | wall time | × baseline |\n| --- | --- | --- | --- | --- | --- | --- |\n');
for (const r of rows) {
  const dTest = r.test !== null && base.test !== null ? sign(r.test - base.test) : '–';
  const what = r.pseudoLabels === undefined ? r.what : `${r.what}: ${r.pseudoLabels} pseudo-labels`;
  process.stdout.write(`| ${r.name} | ${what} | ${fmt(r.oof)} | ${fmt(r.test)} | ${dTest} | ${r.seconds.toFixed(0)} s | ${(r.seconds / base.seconds).toFixed(2)} |\n`);
}
