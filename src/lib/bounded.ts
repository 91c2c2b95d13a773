/**
 * Runs `task` for every item with at most `limit` of them in flight at once, in order; resolves
 * when every task has. A bulk command over 1,000 apps must not start 1,000 of anything at once:
 * the machine (and the daemon's own event loop) would be swamped.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * Calls `step` for the items `size` at a time, yielding to the event loop between batches, so
 * other work (a `ping`, the apps' output) is served while a long synchronous loop runs.
 */
export async function inBatches<T>(items: readonly T[], size: number, step: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const item of items.slice(i, i + size)) step(item);
  }
}
