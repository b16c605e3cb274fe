import { f2ImageScore, f2ObjectsImageScore, labelComponents } from './objects';

/** Rows of digits to a flat row-major array. */
const grid = (rows: string[]): number[] => rows.flatMap((r) => [...r].map(Number));

describe('labelComponents (8-connected)', () => {
  it.each([
    // mask, labels by hand (raster order of each component's first pixel)
    [['1001', '0101', '0000', '1101'], ['1002', '0102', '0000', '3304'], 4],
    [['101', '101', '111'], ['101', '101', '111'], 1], // a U: two branches merge at the bottom
    [['01', '10'], ['01', '10'], 1], // the up-right diagonal
    [['10', '01'], ['10', '01'], 1], // the up-left diagonal
    [['000', '000'], ['000', '000'], 0],
    [['1', '1'], ['1', '1'], 1],
  ])('%j → %j (%d components)', (mask, labels, count) => {
    const r = labelComponents(grid(mask), mask.length, mask[0].length);
    expect(Array.from(r.labels)).toEqual(grid(labels));
    expect(r.count).toBe(count);
  });
  it('a later pixel joining two earlier components relabels them as one', () => {
    // (0,0) and (0,2) start apart; (1,1) joins both diagonally
    const r = labelComponents(grid(['101', '010', '001']), 3, 3);
    expect(r.count).toBe(1);
    expect(Array.from(r.labels)).toEqual(grid(['101', '010', '001']));
  });
  it('rejects a mask of the wrong size', () => expect(() => labelComponents([1, 0, 1], 2, 2)).toThrow('mask has 3 pixels, expected 2x2 = 4'));
});

describe('f2ImageScore', () => {
  const tp = (counts: number[]) => Int32Array.from(counts);
  it.each([
    ['no object on either side', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 0, 1],
    ['a false positive on an empty image', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1, 0, 0],
    ['a missed ship', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 1, 0],
    ['one perfect match', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 1, 1, 1],
    // TP 1, FN 1, FP 1 at the first six thresholds: 5 / (5 + 4 + 1) = 0.5; then 0
    ['one of two found at IoU 0.8', [1, 1, 1, 1, 1, 1, 0, 0, 0, 0], 2, 2, 0.3],
    // TP 1, FN 0, FP 2 everywhere: 5 / (5 + 0 + 2)
    ['one found among three claimed', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 3, 1, 5 / 7],
  ])('%s', (_, counts, nPred, nTruth, expected) => expect(f2ImageScore(tp(counts), nPred, nTruth)).toBeCloseTo(expected, 12));
});

describe('f2ObjectsImageScore (Airbus, by hand)', () => {
  // truth A: the 2×2 top-left block (4 px); truth B: two pixels in the last column.
  const truth = grid(['11000', '11000', '00002', '00002']);
  it('an object at IoU 0.8 counts up to t = 0.75 and not at 0.8 (compared exactly)', () => {
    // P1 = A plus (0,2): I 4, U 5, IoU 0.8; P2 = (3,0) matches nothing. 2 predicted, 2 true objects.
    const pred = labelComponents(grid(['11100', '11000', '00000', '10000']), 4, 5).labels;
    expect(f2ObjectsImageScore(pred, truth, 20)).toBeCloseTo(0.3, 12);
    // the same pixels as one object: I 4, U 6, IoU 2/3, a hit up to 0.65 with one ship missed: 4 × 5/9 / 10
    expect(f2ObjectsImageScore(grid(['11100', '11000', '00000', '10000']), truth, 20)).toBeCloseTo(2 / 9, 12);
  });
  it('IoU exactly 0.5 is no hit', () => {
    // one predicted object: B plus two pixels above it, I 2, U 4 → IoU 0.5; A missed.
    const pred = grid(['00001', '00001', '00001', '00001']);
    expect(f2ObjectsImageScore(pred, truth, 20)).toBe(0);
  });
  it('both found exactly', () => expect(f2ObjectsImageScore(truth, truth, 20)).toBe(1));
  it('touching true objects given as rows stay two objects', () => {
    // truth rows 1 and 2 side by side; a prediction of their union is one object with IoU 1/2 to each
    const rows = grid(['1200', '1200']);
    const union = grid(['1100', '1100']);
    expect(f2ObjectsImageScore(union, rows, 8)).toBe(0);
    expect(f2ObjectsImageScore(rows, rows, 8)).toBe(1);
  });
  it('an empty prediction on an empty image scores 1', () => expect(f2ObjectsImageScore(new Array(6).fill(0), new Array(6).fill(0), 6)).toBe(1));
});
