import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/db/batcher.js';

// The group-commit queue itself (src/db/batcher.ts), without a database: `run` here records the batches it gets.
function recorder<T>(answer: (item: T) => unknown = (item) => item) {
  const batches: T[][] = [];
  const releases: (() => void)[] = [];
  const run = async (items: T[]) => {
    batches.push(items);
    // Hold each batch until the test lets it finish, so the next items queue up behind it.
    await new Promise<void>((resolve) => releases.push(resolve));
    return items.map(answer);
  };
  return { batches, run, releaseAll: () => releases.splice(0).forEach((r) => r()) };
}

const settle = () => new Promise((r) => setImmediate(r));

const dataError = (message: string) => Object.assign(new Error(message), { code: '22P05' });
const connectionError = () => Object.assign(new Error('connection terminated'), { code: undefined });

describe('Batcher', () => {
  it('sends an item alone at once when nothing is in flight', async () => {
    const r = recorder<number>((n) => n * 10);
    const b = new Batcher(r.run, { maxBatch: 10, maxInFlight: 1 });
    const result = b.submit(1);
    await settle();
    expect(r.batches).toEqual([[1]]);
    r.releaseAll();
    expect(await result).toBe(10);
  });

  it('groups what arrives while a batch is in flight into the next one, up to maxBatch', async () => {
    const r = recorder<number>((n) => n + 1);
    const b = new Batcher(r.run, { maxBatch: 3, maxInFlight: 1 });
    const results = [1, 2, 3, 4, 5, 6].map((n) => b.submit(n));
    await settle();
    expect(r.batches).toEqual([[1]]);
    r.releaseAll();
    await settle();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    r.releaseAll();
    await settle();
    expect(r.batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    r.releaseAll();
    expect(await Promise.all(results)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('runs up to maxInFlight batches at once', async () => {
    const r = recorder<number>();
    const b = new Batcher(r.run, { maxBatch: 10, maxInFlight: 2 });
    const results = [1, 2, 3].map((n) => b.submit(n));
    await settle();
    expect(r.batches).toEqual([[1], [2]]);
    r.releaseAll();
    await settle();
    expect(r.batches).toEqual([[1], [2], [3]]);
    r.releaseAll();
    expect(await Promise.all(results)).toEqual([1, 2, 3]);
  });

  it('keeps an item that does not fit out of a batch and sends it with the next', async () => {
    const r = recorder<string>();
    // Items naming the same key never share a batch (two events for one instance).
    const b = new Batcher(
      r.run,
      { maxBatch: 10, maxInFlight: 1 },
      (batch, item) => !batch.some((x) => x[0] === item[0]),
    );
    const results = ['x', 'a1', 'b1', 'a2', 'c1'].map((s) => b.submit(s));
    await settle();
    r.releaseAll();
    await settle();
    expect(r.batches[1]).toEqual(['a1', 'b1', 'c1']);
    r.releaseAll();
    await settle();
    expect(r.batches[2]).toEqual(['a2']);
    r.releaseAll();
    expect(await Promise.all(results)).toEqual(['x', 'a1', 'b1', 'a2', 'c1']);
  });

  it('runs each item of a batch alone when the batch fails on a data error, so only the bad one fails', async () => {
    const calls: number[][] = [];
    const b = new Batcher(
      (items: number[]) => {
        calls.push(items);
        return items.includes(13) ? Promise.reject(dataError('cannot store 13')) : Promise.resolve(items);
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const first = b.submit(0);
    const rest = [12, 13, 14].map((n) =>
      b.submit(n).then(
        (v) => ({ ok: v }),
        (e: Error) => ({ error: e.message }),
      ),
    );
    await first;
    expect(await Promise.all(rest)).toEqual([{ ok: 12 }, { error: 'cannot store 13' }, { ok: 14 }]);
    expect(calls).toEqual([[0], [12, 13, 14], [12], [13], [14]]);
  });

  it("fails the whole batch, without retrying each, on an error that is not one item's", async () => {
    let calls = 0;
    const b = new Batcher(
      (items: number[]) => {
        calls++;
        return items.length > 1 ? Promise.reject(connectionError()) : Promise.resolve(items);
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const first = b.submit(0);
    const rest = [1, 2].map((n) => b.submit(n).catch((e: Error) => e.message));
    await first;
    expect(await Promise.all(rest)).toEqual(['connection terminated', 'connection terminated']);
    expect(calls).toBe(2);
  });

  it('isolates whatever errors the caller says belong to one item', async () => {
    const b = new Batcher(
      (items: number[]) => (items.includes(2) ? Promise.reject(new Error('corrupt command')) : Promise.resolve(items)),
      { maxBatch: 10, maxInFlight: 1 },
      undefined,
      () => true,
    );
    const first = b.submit(0);
    const rest = [1, 2, 3].map((n) => b.submit(n).catch((e: Error) => e.message));
    await first;
    expect(await Promise.all(rest)).toEqual([1, 'corrupt command', 3]);
  });

  it('refuses a run that answers the wrong number of results', async () => {
    const b = new Batcher(() => Promise.resolve([]), { maxBatch: 10, maxInFlight: 1 });
    await expect(b.submit(1)).rejects.toThrow('batch of 1 returned 0 results');
  });
});
