import { sampleIds, sampleSeed } from './ids';

describe('sampleIds', () => {
  it('makes distinct 10-hex-character ids like the competition', () => {
    const ids = sampleIds(42, 3000);
    expect(ids).toHaveLength(3000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{10}$/);
    expect(new Set(ids).size).toBe(3000);
  });

  it('is deterministic in the seed, and a prefix is stable when more ids are drawn', () => {
    expect(sampleIds(7, 50)).toEqual(sampleIds(7, 50));
    expect(sampleIds(7, 80).slice(0, 50)).toEqual(sampleIds(7, 50));
    const other = new Set(sampleIds(8, 50));
    expect(sampleIds(7, 50).filter((id) => other.has(id))).toHaveLength(0);
  });

  it('distinguishes seeds that differ only above 2^32', () => {
    expect(sampleIds(1, 5)).not.toEqual(sampleIds(1 + 2 ** 32, 5));
  });
});

describe('sampleSeed', () => {
  it('gives each index its own 32-bit seed', () => {
    const seeds = Array.from({ length: 1000 }, (_, i) => sampleSeed(3, i));
    expect(new Set(seeds).size).toBe(1000);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
