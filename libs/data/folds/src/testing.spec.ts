import { pairedFolds, saltSquares } from './testing';

describe('saltSquares', () => {
  it('draws the square on even images only, with its mask', () => {
    const set = saltSquares({ n: 2, size: 3, square: { x0: 1, x1: 3, y0: 0, y1: 1 }, salt: 9, background: (x, y, i) => 10 * i + 3 * y + x });
    // Image 0: row 0 is (bg, salt, salt); image 1 is all background 10 + 3y + x. Worked out by hand.
    expect([...set.images]).toEqual([0, 9, 9, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    expect([...set.masks]).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(set).toMatchObject({ ids: ['id0', 'id1'], height: 3, width: 3 });
    expect([...set.depths].every(Number.isNaN)).toBe(true);
  });

  it('takes a square per image', () => {
    const set = saltSquares({ n: 3, size: 2, square: (i) => ({ x0: i === 0 ? 0 : 1, x1: 2, y0: 0, y1: 2 }), salt: 1, background: () => 0 });
    expect([...set.masks]).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1]);
  });
});

describe('pairedFolds', () => {
  it('assigns blocks of two to folds 0 and 1', () => {
    expect([...pairedFolds(['a', 'b', 'c', 'd', 'e']).values()]).toEqual([0, 0, 1, 1, 0]);
  });
});
