import { logit, thresholdStats } from '@segkit/metrics';
import { bestGate, gateMeanScores, gatePerImage, gateTable } from './gate';
import { tuneThreshold } from './tune';

/*
 * Three 1×2 images (pixels = 2), TGS mAP, by hand:
 *   A: truth empty,  logits [1, 1],  gate −2  the pixel head sees salt, the gate says empty
 *   B: truth [1, 1], logits [1, 1],  gate +2
 *   C: truth [1, 0], logits [1, −1], gate +2
 * Without the gate, any threshold in (−1, 1) gets B and C right and A wrong (2 predicted pixels,
 * score 0); a min area of 3 would empty A but B and C too: at best 2/3. A gate threshold in
 * (−2, 2) empties A only: every image scores 1.
 */
const truths = Uint8Array.from([0, 0, 1, 1, 1, 0]);
const logits = Float32Array.from([1, 1, 1, 1, 1, -1]);
const gate = Float32Array.from([-2, 2, 2]);
const GATE_PROBS = [0.1, 0.5, 0.9]; // logits −2.197, 0, 2.197
const OPTS = { probFrom: 0.3, probTo: 0.7, probSteps: 5, refineSteps: 0, minAreas: [0, 3] };

describe('the empty-mask gate on a hand-made OOF set', () => {
  const stats = thresholdStats(logits, truths, 2, [0]);
  const gammas = GATE_PROBS.map(logit);

  it('scores each gate threshold (by hand): the empty image whose gate says empty gets its score', () => {
    // γ = −2.197: nothing gated, A 0 → 2/3; γ = 0: A emptied → 1; γ = 2.197: all emptied → A 1, B 0, C 0.
    const s = Array.from(gateMeanScores(stats, gate, gammas, 0, 0));
    [2 / 3, 1, 1 / 3].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 12));
    const { scores, predEmpty } = gatePerImage(stats, gate, 0, 0, 0);
    expect(Array.from(scores)).toEqual([1, 1, 1]);
    expect(Array.from(predEmpty)).toEqual([1, 0, 0]);
    expect(bestGate(stats, gate, gammas, [0], [0, 3])).toEqual({ gateIndex: 1, thresholdIndex: 0, minArea: 0, score: 1 });
  });

  it('tabulates how each gate threshold splits empty and non-empty truths', () => {
    const rows = gateTable(stats, gate, GATE_PROBS, gammas, 0, 0);
    expect(rows.map((r) => [r.truthEmptyGateEmpty, r.truthEmptyGateKept, r.truthNonEmptyGateEmpty, r.truthNonEmptyGateKept])).toEqual([
      [0, 1, 0, 2],
      [1, 0, 0, 2],
      [1, 0, 2, 0],
    ]);
  });

  it('tuneThreshold keeps the gate when it beats the best point without it', () => {
    const r = tuneThreshold(logits, truths, 2, { ...OPTS, gate, gateProbs: GATE_PROBS }, { metric: 'tgs-map', width: 2 });
    expect(r.scoreWithoutGate).toBeCloseTo(2 / 3, 12);
    expect(r.score).toBe(1);
    expect(r.gateProbThreshold).toBe(0.5);
    expect(r.gateLogitThreshold).toBe(0);
    expect(r.confusion).toEqual({ truthEmptyPredEmpty: 1, truthEmptyPredNonEmpty: 0, truthNonEmptyPredEmpty: 0, truthNonEmptyPredNonEmpty: 2 });
    expect(Array.from(r.perImage)).toEqual([1, 1, 1]);
    expect(r.gateTable?.map((row) => row.score)).toEqual([expect.closeTo(2 / 3, 12), 1, expect.closeTo(1 / 3, 12)]);
  });

  it('leaves the result as it was when no gate threshold beats it (the table is still there)', () => {
    const open = Float32Array.from([2, 2, 2]);
    const without = tuneThreshold(logits, truths, 2, OPTS, { metric: 'tgs-map', width: 2 });
    const r = tuneThreshold(logits, truths, 2, { ...OPTS, gate: open, gateProbs: GATE_PROBS }, { metric: 'tgs-map', width: 2 });
    expect(r.gateLogitThreshold).toBeUndefined();
    expect(r.score).toBe(without.score);
    expect(r.logitThreshold).toBe(without.logitThreshold);
    expect(r.scoreWithoutGate).toBe(without.score);
    expect(r.gateTable).toHaveLength(3);
  });

  it('refuses gate logits of another length', () => {
    expect(() => gateMeanScores(stats, [1, 2], gammas, 0, 0)).toThrow(/2 values for 3 images/);
  });
});
