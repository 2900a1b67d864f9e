/**
 * Runs `fn` for indexes 0..count-1, at most `size` at a time, each index once, in order of start. Pure.
 */
export async function pool(count: number, size: number, fn: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(0, Math.min(size, count)) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}
