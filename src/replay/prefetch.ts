/**
 * Keeps one item of an async source in flight while the consumer works on the current one, so the database
 * reads the next batch while this one is replayed (STYLE §8: overlap I/O with CPU instead of alternating).
 */
export async function* prefetch<T>(source: AsyncIterator<T>): AsyncGenerator<T> {
  let next = source.next();
  // If the consumer stops early, the read in flight may still fail; that failure has nobody left to tell.
  next.catch(() => undefined);
  for (;;) {
    const result = await next;
    if (result.done) return;
    next = source.next();
    next.catch(() => undefined);
    yield result.value;
  }
}
