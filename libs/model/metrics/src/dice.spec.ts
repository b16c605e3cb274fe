import { diceImageScore } from './dice';

describe('diceImageScore', () => {
  it.each([
    // intersection, predArea, truthArea, Dice by hand
    [0, 0, 0, 1], // empty/empty: exactly right
    [0, 3, 0, 0], // a false positive on an empty truth
    [0, 0, 3, 0], // a missed mask
    [2, 3, 5, 0.5], // 2·2 / (3 + 5)
    [3, 3, 3, 1],
    [1, 2, 1, 2 / 3],
  ])('I=%d, P=%d, T=%d → %p', (i, p, t, expected) => expect(diceImageScore(i, p, t)).toBeCloseTo(expected, 12));
});
