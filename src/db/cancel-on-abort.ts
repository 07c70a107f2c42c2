import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { Db } from './knex.js';

// A cancel that reaches the backend between two statements cancels nothing and the next one starts, so an aborted
// transaction's statement is cancelled again at this interval until its work has ended (work that runs many short
// statements should also check the signal itself between them).
const RECANCEL_MS = 100;

/**
 * Runs `work` inside the transaction `trx` so that aborting `signal` ends it soon instead of when its reads are
 * done: Postgres cancels the statement the transaction is running (pg_cancel_backend, over another pooled
 * connection), the work fails and the transaction rolls back. The cancel names the backend and its transaction's
 * start, so it reaches a later transaction on that connection only if one starts within the cancelling statement
 * itself (microseconds). For long read-only work a stopping service must not wait for (the reconciliation behind a
 * metric); without a signal, `work` just runs. Where pg_stat_activity does not show the transaction (its role
 * cannot see it, `track_activities` off) nothing is cancelled and the work runs to its end, as without a signal.
 */
export async function cancelOnAbort<T>(
  db: Db,
  trx: Knex.Transaction,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (!signal) return work();
  signal.throwIfAborted();
  // The start as an exact decimal (epoch seconds, microseconds included), free of DateStyle and time zones.
  const { rows } = await trx.raw<{ rows: { pid: number; started: string }[] }>(
    'SELECT pg_backend_pid() AS pid, extract(epoch FROM now())::text AS started',
  );
  const { pid, started } = rows[0]!;
  // An abort while that ran fired its event already: a listener added now would never hear it.
  signal.throwIfAborted();
  let ended = false;
  const cancelUntilEnded = async () => {
    while (!ended) {
      await db
        .raw(
          'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = ? AND extract(epoch FROM xact_start) = ?::numeric',
          [pid, started],
        )
        // Best effort: a cancel that cannot be sent (the pool closing) leaves the work to end by itself.
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
