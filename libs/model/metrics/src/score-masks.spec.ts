import { scoreMasks } from './score-masks';

const u8 = (rows: string[]) => Uint8Array.from(rows.flatMap((r) => [...r].map(Number)));

describe('scoreMasks (by hand)', () => {
  // two 2×4 images: image 0 truth 3 px, prediction 2 of them plus 1 apart; image 1 empty/empty
  const truths = u8(['1110', '0000', '0000', '0000']);
  const preds = u8(['1100', '0001', '0000', '0000']);
  it.each([
    // image 0: I 2, P 3, T 3 → IoU 2/4 = 0.5 (no hit: TGS 0), Dice 4/6; image 1 scores 1 everywhere
    ['tgs-map', [0, 1]],
    ['dice', [2 / 3, 1]],
    // image 0: prediction has 2 objects ({0,1} IoU 2/3 with the truth row, {7} nothing); 1 true object.
    // t ≤ 0.65: TP 1, FP 1, FN 0 → 5/6; t ≥ 0.7: TP 0 → 0 / (0 + 4 + 2) = 0. Mean 4·(5/6)/10 = 1/3.
    ['f2-objects', [1 / 3, 1]],
  ] as const)('%s → %j', (metric, expected) => {
    const r = scoreMasks(metric, preds, truths, 2, 4);
    expect(Array.from(r.perImage).map((v) => +v.toFixed(12))).toEqual(expected.map((v) => +v.toFixed(12)));
    expect(r.mean).toBeCloseTo((expected[0] + expected[1]) / 2, 12);
  });
  it('takes predicted objects as given rows', () => {
    // the same prediction, but its two pixels {0,1} given as two rows: neither has IoU > 0.5 alone
    const rows = Int32Array.from([1, 2, 0, 0, 0, 0, 0, 3, ...new Array(8).fill(0)]);
    expect(scoreMasks('f2-objects', preds, truths, 2, 4, { predObjects: rows }).perImage[0]).toBe(0);
  });
});
