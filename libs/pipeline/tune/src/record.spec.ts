import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArtifactError, UserError } from '@segkit/io';
import { Rng } from '@segkit/random';
import { readTuneRecord, tuneOof, tuneRecordPath, tuneRecordSchema, writeTuneRecord } from './record';

// Four 1×2 images, folds [0, 0, 1, 1]. Truth: [1,1], [0,0], [1,0], [0,0] (images 1 and 3 empty).
const truths = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0]);
const foldOf = [0, 0, 1, 1];
const options = { probFrom: 0.3, probTo: 0.7, probSteps: 5, refineSteps: 0, minAreas: [0] };
const scoring = { metric: 'tgs-map' as const };
// Stage 1 at logit 0: image 0 exact (1), image 1 a false positive (0), image 2 missed (0), image 3 empty = empty (1).
const oofStage1 = Float32Array.from([1, 1, 1, -1, -1, -1, -1, -1]);
// Stage 2 exact on every image for any threshold with |logit| < 2.
const oofStage2 = Float32Array.from([2, 2, -2, -2, 2, -2, -2, -2]);

describe('tuneOof', () => {
  it('scores both stages overall and per fold, and the all-empty baseline (by hand)', () => {
    const r = tuneOof({ oofStage1, oofStage2, truths, pixels: 2, foldOf, k: 2, options, scoring });
    expect(r.oofScoreStage1).toBe(0.5);
    expect(r.oofScoreStage2).toBe(1);
    expect(r.perFold).toEqual([
      { fold: 0, oofScoreStage1: 0.5, oofScoreStage2: 1 },
      { fold: 1, oofScoreStage1: 0.5, oofScoreStage2: 1 },
    ]);
    expect(r.allEmptyBaseline).toBe(0.5);
    expect(r.score).toBe(1);
    expect(r.perImage).toEqual([1, 1, 1, 1]);
    expect(r.warnings).toEqual([]);
  });

  it('a collapsed model gets its warnings in the record', () => {
    const r = tuneOof({ oofStage1, oofStage2: new Float32Array(8).fill(-5), truths, pixels: 2, foldOf, k: 2, options, scoring });
    // Everything empty: the two empty images score 1, the others 0 — exactly the all-empty baseline.
    expect(r.score).toBe(0.5);
    expect(r.warnings.map((w) => [w.kind, w.fold, w.fatal])).toEqual([
      ['collapsed', 0, true],
      ['collapsed', 1, true],
      ['at-baseline', undefined, false],
    ]);
  });

  it('records the metric it tuned on; f2-objects on one object per image agrees with the TGS mAP', () => {
    const tgs = tuneOof({ oofStage1, oofStage2, truths, pixels: 2, foldOf, k: 2, options, scoring });
    const f2 = tuneOof({ oofStage1, oofStage2, truths, pixels: 2, foldOf, k: 2, options, scoring: { metric: 'f2-objects', width: 2 } });
    expect([tgs.metric, f2.metric]).toEqual(['tgs-map', 'f2-objects']);
    // one object per image at most: F2 with one true positive is 1, anything else 0, as TGS's precision
    expect([f2.oofScoreStage1, f2.oofScoreStage2, f2.score, f2.allEmptyBaseline]).toEqual([tgs.oofScoreStage1, tgs.oofScoreStage2, tgs.score, tgs.allEmptyBaseline]);
  });

  it('rejects OOF logits of another size than the truth', () => {
    expect(() => tuneOof({ oofStage1, oofStage2: new Float32Array(6), truths, pixels: 2, foldOf, k: 2, options, scoring })).toThrow('the train set has 4');
  });
});

describe('tune.json', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'tune-record-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));
  const record = () => tuneOof({ oofStage1, oofStage2, truths, pixels: 2, foldOf, k: 2, options, scoring });

  it('reads back what was written (an empty coverage bin stays NaN)', () => {
    const r = record();
    expect(r.coverageBins.some((b) => b.count === 0 && Number.isNaN(b.meanScore))).toBe(true);
    writeTuneRecord(work, r);
    expect(readTuneRecord(work)).toEqual(r);
  });

  it('a truncated file is a UserError naming it', () => {
    writeTuneRecord(work, record());
    const p = tuneRecordPath(work);
    writeFileSync(p, readFileSync(p, 'utf8').slice(0, 100));
    expect(() => readTuneRecord(work)).toThrow(UserError);
    expect(() => readTuneRecord(work)).toThrow(`${p}: not valid JSON`);
  });

  it.each([
    ['an out-of-range score', (j: Record<string, unknown>) => ({ ...j, score: 1.5 }), "score:"],
    ['a missing field', (j: Record<string, unknown>) => ({ ...j, perFold: undefined }), 'perFold:'],
    ['a foreign field', (j: Record<string, unknown>) => ({ ...j, bestThreshold: 0.5 }), '(root):'],
    ['a wrong type deep inside', (j: Record<string, unknown>) => ({ ...j, curve: [{ probThreshold: 0.5, logitThreshold: 'zero', score: 1 }] }), 'curve.0.logitThreshold:'],
  ])('%s is a UserError naming the file and the field', (_, edit, field) => {
    writeTuneRecord(work, record());
    const p = tuneRecordPath(work);
    writeFileSync(p, JSON.stringify(edit(JSON.parse(readFileSync(p, 'utf8')))));
    expect(() => readTuneRecord(work)).toThrow(`${p}: ${field}`);
  });

  it('a missing file says which step to run', () => {
    expect(() => readTuneRecord(work)).toThrow(`${tuneRecordPath(work)} is missing: run the tune step first`);
  });
});

describe('tuneOof on random OOF predictions (property)', () => {
  /** The TGS score of one image, from the definition: mean over t = 0.50, 0.55, …, 0.95 of [IoU > t]. */
  function naiveScore(pred: boolean[], truth: boolean[]): number {
    const inter = pred.filter((p, i) => p && truth[i]).length;
    const union = pred.filter((p, i) => p || truth[i]).length;
    if (union === 0) return 1;
    let hits = 0;
    for (let k = 0; k < 10; k++) if (100 * inter > (50 + 5 * k) * union) hits++;
    return hits / 10;
  }

  it('the record always validates and its score is never below the score at p = 0.5 with no minimum area', () => {
    const rng = new Rng(20260522);
    const int = (a: number, b: number) => a + Math.floor(rng.next() * (b - a + 1));
    for (let trial = 0; trial < 300; trial++) {
      const n = int(1, 12);
      const pixels = int(1, 40);
      const k = int(1, Math.min(n, 5));
      const foldOf = Array.from({ length: n }, (_, i) => i % k);
      // Calibrated-looking logits: noise around ±scale with a per-image bias, some images all empty.
      const scale = rng.uniform(0.01, 6);
      const truths = new Uint8Array(n * pixels);
      const oofStage2 = new Float32Array(n * pixels);
      for (let i = 0; i < n; i++) {
        const coverage = rng.next() < 0.3 ? 0 : rng.next();
        const bias = rng.uniform(-1, 1) * scale;
        for (let p = i * pixels; p < (i + 1) * pixels; p++) {
          truths[p] = rng.next() < coverage ? 1 : 0;
          oofStage2[p] = (truths[p] ? 1 : -1) * rng.uniform(-0.5, 1) * scale + bias;
        }
      }
      const oofStage1 = oofStage2.map((v) => v + rng.uniform(-1, 1));
      const probFrom = rng.uniform(0.01, 0.9);
      const options = {
        probFrom,
        probTo: rng.uniform(probFrom + 0.001, 0.99),
        probSteps: int(2, 40),
        refineSteps: int(0, 30),
        minAreas: Array.from({ length: int(1, 4) }, () => int(0, pixels + 1)),
      };
      const where = `trial ${trial}: ${n} images of ${pixels} px, ${JSON.stringify(options)}`;
      const record = tuneOof({ oofStage1, oofStage2, truths, pixels, foldOf, k, options, scoring });
      const parsed = tuneRecordSchema.safeParse(JSON.parse(JSON.stringify(record)));
      expect([where, parsed.success ? 'valid' : parsed.error.issues[0]]).toEqual([where, 'valid']);
      let atZero = 0;
      for (let i = 0; i < n; i++) {
        const at = (a: ArrayLike<number>, f: (v: number) => boolean) => Array.from(a).slice(i * pixels, (i + 1) * pixels).map(f);
        atZero += naiveScore(at(oofStage2, (v) => v > 0), at(truths, (v) => v === 1)) / n;
      }
      expect([where, Math.abs(record.scoreAtZero - atZero) < 1e-9]).toEqual([where, true]);
      expect([where, record.score >= record.scoreAtZero]).toEqual([where, true]);
    }
  });
});

describe('writeTuneRecord', () => {
  it('refuses a record its reader would reject, as a bug of the tune step, writing nothing', () => {
    const work = mkdtempSync(join(tmpdir(), 'tune-record-'));
    try {
      const r = tuneOof({ oofStage1, oofStage2, truths, pixels: 2, foldOf, k: 2, options, scoring });
      const broken = { ...r, scoreAtZero: undefined as unknown as number };
      expect(() => writeTuneRecord(work, broken)).toThrow(InvalidArtifactError);
      expect(() => writeTuneRecord(work, broken)).toThrow(`bug in the writer of ${tuneRecordPath(work)} (tune): scoreAtZero: Required`);
      expect(readdirSync(work)).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
