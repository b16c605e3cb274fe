import { appendMaskRuns, MaskRunsBuilder, maskRunsBytes, unpackMaskRuns } from './mask-runs';

describe('mask runs', () => {
  it('are the row-major (start, length) pairs of the foreground', () => {
    const pairs: number[] = [];
    // 2×3: row 0 = 0 1 1, row 1 = 1 0 1 → pixels 1, 2, 3 run together, then 5
    expect(appendMaskRuns([0, 1, 1, 1, 0, 1], pairs)).toBe(2);
    expect(pairs).toEqual([1, 3, 5, 1]);
  });

  it('round-trip masks of different sizes', () => {
    const a = Uint8Array.from([1, 0, 0, 1]);
    const b = new Uint8Array(6);
    const c = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0, 1]);
    const builder = new MaskRunsBuilder();
    [a, b, c].forEach((m) => builder.add(m));
    const runs = builder.build();
    expect(Array.from(runs.offsets)).toEqual([0, 2, 2, 4]);
    expect(maskRunsBytes(runs)).toBe(4 * 4 + 8 * 4);
    for (const [i, m] of [a, b, c].entries()) {
      const out = new Uint8Array(m.length).fill(7);
      expect(unpackMaskRuns(runs, i, out)).toBe(m.reduce((s, v) => s + v, 0));
      expect(Array.from(out)).toEqual(Array.from(m));
    }
    expect(() => unpackMaskRuns(runs, 3, new Uint8Array(4))).toThrow('image 3 is outside the 3 masks');
    expect(() => unpackMaskRuns(runs, 2, new Uint8Array(4))).toThrow('a run past its 4 pixels');
  });
});
