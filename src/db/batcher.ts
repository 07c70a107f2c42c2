/**
 * Database errors that concern one item of a batch rather than the connection or the server: SQLSTATE classes
 * 22 (data exception) and 23 (integrity constraint violation). Anything else (no code: the connection; 08, 57,
 * 53: the server) would fail each item alone just the same, so it fails the whole batch.
 */
export function isItemError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

interface Pending<In, Out> {
  item: In;
  resolve(value: Out): void;
  reject(error: unknown): void;
}

export interface BatcherLimits {
  /** Most items one batch carries (one statement, so this bounds its size). */
  maxBatch: number;
  /** Most batches in flight at once (each holds one pooled connection while it runs). */
  maxInFlight: number;
}

/**
 * Group commit for statements that can serve many callers at once. An item submitted while fewer than
 * `maxInFlight` batches run goes out at once, alone; one submitted while they are all busy waits for the next
 * free slot and leaves with everything else that queued meanwhile. So batching never adds a wait of its own: it
 * only turns the queue for a connection into one shared round trip and commit (TigerStyle: amortize by batching).
 *
 * `run` gets the items and returns one result per item, in order. `fits` can keep an item out of a batch it must
 * not share (it then waits for the next one). When a batch fails with an error that could belong to one item
 * alone (`isolates`; by default a constraint or data error), each item runs again by itself, so one bad item
 * fails only itself.
 */
export class Batcher<In, Out> {
  private readonly queue: Pending<In, Out>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: In[]) => Promise<Out[]>,
    private readonly limits: BatcherLimits,
    private readonly fits: (batch: readonly In[], item: In) => boolean = () => true,
    private readonly isolates: (error: unknown) => boolean = isItemError,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.limits.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      // runBatch answers every failure itself; the second handler only keeps a slot from leaking if that changed.
      void this.runBatch(batch).then(
        (answer) => {
          this.inFlight--;
          this.pump();
          // The next batch goes out before this one's callers are answered, so the database works on it while this
          // process builds and sends their replies; answered straight away, their replies (all of them synchronous
          // work, queued as microtasks ahead of the next statement's) would leave the database idle meanwhile.
          setImmediate(answer);
        },
        (error: unknown) => {
          this.inFlight--;
          this.pump();
          for (const p of batch) p.reject(error);
        },
      );
    }
  }

  /** The oldest items that fit together, up to maxBatch; the others keep their place in the queue. */
  private take(): Pending<In, Out>[] {
    const batch: Pending<In, Out>[] = [];
    const items: In[] = [];
    for (let i = 0; i < this.queue.length && batch.length < this.limits.maxBatch;) {
      const pending = this.queue[i]!;
      if (batch.length === 0 || this.fits(items, pending.item)) {
        batch.push(pending);
        items.push(pending.item);
        this.queue.splice(i, 1);
      } else {
        i++;
      }
    }
    return batch;
  }

  /** Runs the batch in its slot; returns what answers its callers, for once the slot is free again. */
  private async runBatch(batch: Pending<In, Out>[]): Promise<() => void> {
    try {
      const results = await this.run(batch.map((p) => p.item));
      if (results.length !== batch.length)
        throw new Error(`batch of ${batch.length} returned ${results.length} results`);
      return () => batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      if (batch.length > 1 && this.isolates(error)) {
        // One after the other, in this batch's slot: alone, they must not take more connections than it did.
        const answers: (() => void)[] = [];
        for (const p of batch)
          await this.run([p.item]).then(
            ([result]) => answers.push(() => p.resolve(result!)),
            (error: unknown) => answers.push(() => p.reject(error)),
          );
        return () => answers.forEach((answer) => answer());
      }
      return () => batch.forEach((p) => p.reject(error));
    }
  }
}
