import { hash32, mixSeed } from '@segkit/random';

/** Stream tag for ids, distinct from the per-sample seeds. */
const ID_STREAM = 0x1d5;

/**
 * `count` distinct TGS-style ids (10 lowercase hex characters, e.g. "575d24d81d"), deterministic
 * in `seed`. 40 bits come from two hashes of (seed, index); a repeat (p ≈ count²/2^41) is
 * re-drawn with the next attempt number so the list stays unique and reproducible.
 */
export function sampleIds(seed: number, count: number): string[] {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    for (let attempt = 0; ; attempt++) {
      const h = mixSeed(seed, ID_STREAM, i, attempt);
      const id = h.toString(16).padStart(8, '0') + (hash32(h ^ 0x5bd1e995) & 0xff).toString(16).padStart(2, '0');
      if (!seen.has(id)) {
        seen.add(id);
        ids.push(id);
        break;
      }
    }
  }
  return ids;
}

/** The render seed of sample `index` of the dataset generated with `seed`. */
export function sampleSeed(seed: number, index: number): number {
  return mixSeed(seed, 0x5a17, index);
}
