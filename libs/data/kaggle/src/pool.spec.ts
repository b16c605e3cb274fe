import { forEachBounded } from './pool';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('forEachBounded', () => {
  it('runs every index once with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded(20, 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick(i % 4);
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
  });

  it('reports the lowest failing index even when a later one fails first', async () => {
    const started: number[] = [];
    const run = forEachBounded(10, 4, async (i) => {
      started.push(i);
      if (i === 3) throw new Error('three');
      if (i === 1) {
        await tick(20); // fails after index 3 has already failed
        throw new Error('one');
      }
      await tick(1);
    });
    await expect(run).rejects.toThrow('one');
    expect(Math.max(...started)).toBeLessThan(9); // stopped scheduling after the failure
  });

  it('does nothing for zero tasks and rejects a bad concurrency', async () => {
    await expect(forEachBounded(0, 2, async () => Promise.reject(new Error('never')))).resolves.toBeUndefined();
    await expect(forEachBounded(3, 0, async () => undefined)).rejects.toThrow(RangeError);
  });
});
