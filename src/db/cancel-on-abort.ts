import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { Db } from './knex.js';

// A cancel that reaches the backend between two statements cancels nothing and the next one starts, so an aborted
// transaction's statement is cancelled again at this interval until its work has ended.
const RECANCEL_MS = 100;

/**
 * Runs `work` inside the transaction `trx` so that aborting `signal` ends it soon instead of when its reads are
 * done: Postgres cancels the statement the transaction is running (pg_cancel_backend, over another pooled
 * connection), the work fails and the transaction rolls back. The cancel names the backend and its transaction's
 * start, so it never reaches a later transaction on the same connection. For long read-only work a stopping
 * service must not wait for (the reconciliation behind a metric); without a signal, `work` just runs.
 */
export async function cancelOnAbort<T>(
  db: Db,
  trx: Knex.Transaction,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!signal) return work();
  signal.throwIfAborted();
  const { rows } = await trx.raw<{ rows: { pid: number; started: string }[] }>(
    'SELECT pg_backend_pid() AS pid, now()::text AS started',
  );
  const { pid, started } = rows[0]!;
  let ended = false;
  const cancelUntilEnded = async () => {
    while (!ended) {
      await db
        .raw('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = ? AND xact_start = ?::timestamptz', [
          pid,
          started,
        ])
        .catch(() => undefined);
      await sleep(RECANCEL_MS);
    }
  };
  const onAbort = () => void cancelUntilEnded();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } finally {
    ended = true;
    signal.removeEventListener('abort', onAbort);
  }
}
