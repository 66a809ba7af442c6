/** Run fn over items with at most `limit` in flight; resolves when all have settled (fn must not throw). */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const bound = Math.max(1, Math.floor(limit));
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(bound, items.length) }, worker));
}
