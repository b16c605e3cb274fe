/**
 * Runs `task(0) … task(count-1)` with at most `concurrency` in flight, starting them in index
 * order. On failure no new task starts; once the running ones settle, the error of the LOWEST
 * failing index is thrown. Because tasks start in order, every index below the first failure has
 * already started, so the reported error is exactly the one a sequential loop would report.
 */
export async function forEachBounded(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  let nextIndex = 0;
  let failedIndex = Infinity;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (nextIndex < count && failedIndex === Infinity) {
      const i = nextIndex++;
      try {
        await task(i);
      } catch (err) {
        if (i < failedIndex) {
          failedIndex = i;
          failure = err;
        }
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(concurrency, count); w++) workers.push(worker());
  await Promise.all(workers);
  if (failedIndex !== Infinity) throw failure;
}
