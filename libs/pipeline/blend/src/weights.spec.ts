import { blendLogits, simplexGrid, simplexGridSize, tuneBlendWeights } from './weights';

describe('blendLogits', () => {
  it.each([
    [[0.5, 0.5], [2, -0.5]],
    [[1, 3], [1, 0.25]], // (1·(4, −2) + 3·(0, 1)) / 4
    [[0, 1], [0, 1]],
  ])('weights %j → %j (by hand)', (weights, expected) => {
    expect([...blendLogits([Float32Array.from([4, -2]), Float32Array.from([0, 1])], weights)]).toEqual(expected);
  });

  it('rejects negative or all-zero weights and mismatched lengths', () => {
    const a = Float32Array.from([1]);
    expect(() => blendLogits([a, a], [0, 0])).toThrow('not all zero');
    expect(() => blendLogits([a, a], [1, -1])).toThrow('non-negative');
    expect(() => blendLogits([a, Float32Array.from([1, 2])], [1, 1])).toThrow('differ in length');
  });
});

describe('simplexGrid', () => {
  it('3 members in halves (by hand)', () => {
    expect(simplexGrid(3, 2)).toEqual([
      [0, 0, 1],
      [0, 0.5, 0.5],
      [0, 1, 0],
      [0.5, 0, 0.5],
      [0.5, 0.5, 0],
      [1, 0, 0],
    ]);
  });
  it.each([
    [1, 10, 1],
    [2, 10, 11],
    [3, 10, 66],
    [4, 10, 286],
  ])('%i members, %i steps: %i points', (m, s, n) => {
    expect(simplexGridSize(m, s)).toBe(n);
    expect(simplexGrid(m, s)).toHaveLength(n);
    for (const w of simplexGrid(m, s)) expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('tuneBlendWeights', () => {
  // Four 1×2 images; truth: image 0 and 2 are full, 1 and 3 empty. Member A is right on images 0, 1;
  // member B on images 2, 3; each is wrong (inverted) on the other two. No single member scores
  // above 0.5, while any blend weighting both sees A's confident logits on 0–1 and B's on 2–3.
  const truths = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0]);
  const a = Float32Array.from([5, 5, -5, -5, -1, -1, 1, 1]);
  const b = Float32Array.from([-1, -1, 1, 1, 5, 5, -5, -5]);

  it('finds a blend that beats both members (independently: each member alone scores 0.5)', () => {
    const opts = { logitThresholds: [0], minAreas: [0], steps: 4 };
    expect(tuneBlendWeights([a], truths, 2, opts).score).toBe(0.5);
    expect(tuneBlendWeights([b], truths, 2, opts).score).toBe(0.5);
    const r = tuneBlendWeights([a, b], truths, 2, opts);
    // weights (w, 1−w): image 0 → 5w − (1−w) > 0 ⇔ w > 1/6, image 2 → −w + 5(1−w) > 0 ⇔ w < 5/6, …
    expect(r.score).toBe(1);
    expect(r.weights[0]).toBeGreaterThan(1 / 6);
    expect(r.weights[0]).toBeLessThan(5 / 6);
    expect(r.candidates).toBe(5);
  });

  it('coarsens the grid to stay under maxCandidates', () => {
    expect(tuneBlendWeights([a, b, a, b], truths, 2, { logitThresholds: [0], minAreas: [0], steps: 10, maxCandidates: 40 }).candidates).toBeLessThanOrEqual(40);
  });
});
