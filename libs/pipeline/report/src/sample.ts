/**
 * A plausible, deterministic `ReportInput` for previews and tests: 5 folds of a BCE stage and a
 * Lovász stage, a threshold sweep peaking left of 0.5, a min-area sweep, TGS-like coverage bins and
 * worst images with seismic-looking stripes. Fake numbers, realistic shapes.
 */
import type { EpochRow, FoldResult, ReportInput, ThresholdPoint, WorstImage } from './types';

const imul = Math.imul;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (v: number, d = 4): number => Number(v.toFixed(d));
// Local aliases: per-pixel loops below would otherwise look `Math` up as a global each time.
const { sin, max, min } = Math;

function sampleHistory(rand: () => number, s1: number, s2: number, mapEnd1: number, mapEnd2: number): EpochRow[] {
  const rows: EpochRow[] = [];
  for (let e = 1; e <= s1; e++) {
    const t = e / s1;
    rows.push({
      stage: 1,
      epoch: e,
      loss: round(0.08 + 0.5 * Math.exp(-4 * t) + 0.01 * rand()),
      val_loss: round(0.13 + 0.45 * Math.exp(-4.5 * t) + 0.03 * t * t + 0.015 * rand()),
      val_mAP: round(Math.min(1, mapEnd1 - 0.35 * Math.exp(-5 * t) + 0.012 * (rand() - 0.5))),
      lr: round(1e-3 * 0.5 * (1 + Math.cos(Math.PI * t)), 7),
      seconds: round(40 + 4 * rand(), 1),
    });
  }
  for (let e = 1; e <= s2; e++) {
    const t = e / s2;
    rows.push({
      stage: 2,
      epoch: e,
      loss: round(0.42 + 0.25 * Math.exp(-3 * t) + 0.01 * rand()),
      val_loss: round(0.5 + 0.2 * Math.exp(-3 * t) + 0.015 * rand()),
      val_mAP: round(Math.min(1, mapEnd2 - (mapEnd2 - mapEnd1 + 0.01) * Math.exp(-4 * t) + 0.008 * (rand() - 0.5))),
      lr: round(2e-4 * 0.5 * (1 + Math.cos(Math.PI * t)), 7),
      seconds: round(44 + 4 * rand(), 1),
    });
  }
  return rows;
}

function best(rows: EpochRow[], stage: 1 | 2): { bestEpoch: number; bestValMap: number; epochs: number } {
  const own = rows.filter((r) => r.stage === stage);
  const b = own.reduce((x, r) => (r.val_mAP > x.val_mAP ? r : x));
  return { bestEpoch: b.epoch, bestValMap: b.val_mAP, epochs: own.length };
}

/** A 0/1 ellipse-ish blob with a wavy top, like a salt body. */
function blob(h: number, w: number, cy: number, cx: number, ry: number, rx: number, wobble: number): Uint8Array {
  const m = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2;
      if (r <= 1 + wobble * sin(x / 6)) m[y * w + x] = 1;
    }
  }
  return m;
}

function seismic(rand: () => number, h: number, w: number, truth: Uint8Array): Uint8Array {
  const img = new Uint8Array(h * w);
  const phase = rand() * 6;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Layered reflectors that bend with x; salt is flatter and brighter-noisy.
      const layered = sin((y + 6 * sin(x / 17 + phase)) / 2.3);
      const salt = truth[y * w + x] ? 0.35 * (rand() - 0.5) : layered;
      img[y * w + x] = max(0, min(255, (128.5 + 70 * salt + 22 * (rand() - 0.5)) | 0));
    }
  }
  return img;
}

function sampleWorst(rand: () => number, n: number): WorstImage[] {
  const h = 101;
  const w = 101;
  const out: WorstImage[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    const truth = kind === 0 ? new Uint8Array(h * w) : blob(h, w, 70 + 20 * rand(), 50 + 30 * (rand() - 0.5), 12 + 25 * rand(), 20 + 40 * rand(), 0.2);
    const pred =
      kind === 0
        ? blob(h, w, 90, 30 + 40 * rand(), 8, 14, 0.3)
        : kind === 1
          ? new Uint8Array(h * w)
          : blob(h, w, 55 + 30 * rand(), 50 + 40 * (rand() - 0.5), 10 + 20 * rand(), 15 + 30 * rand(), 0.3);
    let inter = 0;
    let union = 0;
    for (let j = 0; j < h * w; j++) {
      inter += truth[j] & pred[j];
      union += truth[j] | pred[j];
    }
    const iou = union === 0 ? 1 : inter / union;
    let hits = 0;
    for (let t = 0.5; t < 0.951; t += 0.05) hits += iou > t ? 1 : 0;
    out.push({ id: Math.floor(rand() * 2 ** 32).toString(16).padStart(8, '0') + Math.floor(rand() * 256).toString(16).padStart(2, '0'), score: hits / 10, iou: round(iou), height: h, width: w, image: seismic(rand, h, w, truth), truth, pred });
  }
  return out.sort((a, b) => a.score - b.score || a.iou - b.iou);
}

/** A complete, internally consistent sample input (4000 OOF images in 5 folds). */
export function sampleReportInput(seed = 7): ReportInput {
  const rand = rng(seed);
  const folds: FoldResult[] = [];
  for (let k = 0; k < 5; k++) {
    const end1 = 0.79 + 0.02 * rand();
    const end2 = end1 + 0.004 + 0.018 * (rand() - 0.2);
    const history = sampleHistory(rand, 30, 20, end1, end2);
    const seconds = history.reduce((s, r) => s + r.seconds, 0) + 120;
    folds.push({
      fold: k,
      nTrain: 3200,
      nVal: 800,
      stage1: best(history, 1),
      stage2: best(history, 2),
      oofMapStage1: round(end1 - 0.004),
      oofMapStage2: round(end2 - 0.004),
      history,
      seconds: round(seconds, 1),
    });
  }
  const oofMapStage1 = round(folds.reduce((s, f) => s + f.oofMapStage1, 0) / folds.length);
  const oofMapStage2 = round(folds.reduce((s, f) => s + f.oofMapStage2, 0) / folds.length);
  const peak = 0.42;
  const mapAt = (p: number): number => round(oofMapStage2 + 0.009 - 0.35 * (p - peak) ** 2 + 0.0015 * (rand() - 0.5));
  const probs = new Set<number>();
  for (let i = 1; i <= 19; i++) probs.add(round(i * 0.05, 3));
  for (let i = -5; i <= 5; i++) probs.add(round(peak + i * 0.01, 3));
  const thresholdCurve: ThresholdPoint[] = [...probs].map((p) => ({ probThreshold: p, logitThreshold: round(Math.log(p / (1 - p)), 6), map: p === 0.5 ? oofMapStage2 : mapAt(p) }));
  const chosen = thresholdCurve.reduce((b, p) => (p.map > b.map ? p : b));
  const minAreaCurve = [0, 10, 20, 30, 40, 50, 60, 80, 100, 150, 200].map((a) => ({ minArea: a, map: round(chosen.map + 0.006 * (1 - Math.exp(-a / 25)) - 0.00004 * Math.max(0, a - 60)) }));
  const chosenArea = minAreaCurve.reduce((b, p) => (p.map > b.map ? p : b));
  return {
    title: 'unet-resnet-lovasz 5-fold',
    createdAt: '2026-11-25T18:30:00.000Z',
    backend: 'wasm (XNNPACK + training kernels)',
    config: { experiment: 'unet-resnet-lovasz', folds: 5, seed, model: { encoder: 'resnet-ish', base: 16, depth: 4 }, stage1: { loss: 'bce+dice', epochs: 30, lr: 1e-3 }, stage2: { loss: 'lovasz-hinge', epochs: 20, lr: 2e-4 }, tta: ['hflip'] },
    timings: { data: 14.2, train: folds.reduce((s, f) => s + f.seconds, 0), predict: 212.5, ensemble: 8.1, tune: 35.7, submit: 19.4 },
    folds,
    oofMapStage1,
    oofMapStage2,
    oofMapTuned: chosenArea.map,
    allEmptyBaseline: 0.3905,
    logitThreshold: chosen.logitThreshold,
    probThreshold: chosen.probThreshold,
    minArea: chosenArea.minArea,
    thresholdCurve,
    minAreaCurve,
    // Same labels as the metrics lib's coverage classes: empty, then tenths of the image.
    coverageBins: [1562, 320, 300, 260, 230, 220, 210, 200, 190, 220, 288].map((count, c) => ({
      label: c === 0 ? 'empty' : `(${(c - 1) * 10}%, ${c * 10}%]`,
      count,
      map: [0.951, 0.45, 0.58, 0.7, 0.76, 0.8, 0.83, 0.85, 0.86, 0.87, 0.9][c],
    })),
    confusion: { truthEmptyPredEmpty: 1480, truthEmptyPredNonEmpty: 82, truthNonEmptyPredEmpty: 131, truthNonEmptyPredNonEmpty: 2307 },
    worst: sampleWorst(rand, 12),
    submission: { path: 'runs/unet-resnet-lovasz/submission.csv', rows: 18000, nonEmpty: 10734 },
  };
}
