/**
 * Keeps up to `depth` items of an async source in flight while the consumer works on the current one, so the
 * database reads the next batches while this one is replayed (STYLE §8: overlap I/O with CPU instead of
 * alternating). Items still come out in order.
 */
export async function* prefetch<T>(source: AsyncIterator<T>, depth = 1): AsyncGenerator<T> {
  const ahead: Promise<IteratorResult<T>>[] = [];
  // A generator's next() calls queue up and settle in order, so asking ahead is safe. If the consumer stops
  // early, a read in flight may still fail; that failure has nobody left to tell.
  const ask = () => {
    const next = source.next();
    next.catch(() => undefined);
    ahead.push(next);
  };
  ask();
  for (;;) {
    const result = await (ahead.shift() as Promise<IteratorResult<T>>);
    if (result.done) return;
    while (ahead.length < depth) ask();
    yield result.value;
  }
}
