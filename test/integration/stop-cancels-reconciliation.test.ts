import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { deleteQueueKeys } from '../../src/jobs/queues.js';
import { databaseUrl, dropDatabase, withAdmin } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { startTestService } from '../support/test-service.js';

// A stop does not wait for the reconciliation a /metrics scrape started (src/db/cancel-on-abort.ts): on a large
// ledger one outlasted SHUTDOWN_TIMEOUT_MS and the stop was forced. Also run through PgBouncer (the pgbouncer
// project), where the reconciliation's backend is the server connection its transaction holds.

// Far longer than a stop takes once the reconciliation is cancelled (well under a second), far shorter than never.
const STOP_BOUND_MS = 5_000;

describe('stopping while a scrape’s reconciliation runs', () => {
  it('cancels the reconciliation instead of waiting for it', async () => {
    const svc = await startTestService({}, { workers: false });
    const locker = new pg.Client({ connectionString: databaseUrl(svc.databaseName) });
    const waitingOnLedger = async () =>
      (
        await locker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        )
      ).rows[0]!.n;
    let stopping: Promise<void> | null = null;
    try {
      await locker.connect();
      // With the ledger locked, the reconciliation a scrape starts waits in its first read, as a long one on a large
      // ledger keeps its connection (a 600 s money-mix soak made one outlast SHUTDOWN_TIMEOUT_MS; bench/README.md).
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE accounts, transfers IN ACCESS EXCLUSIVE MODE');
      expect((await svc.http.get('/metrics')).status).toBe(200);
      await eventually(async () => expect(await waitingOnLedger()).toBe(1));

      stopping = svc.service.stop();
      const outcome = await Promise.race([
        stopping.then(() => 'stopped'),
        sleep(STOP_BOUND_MS).then(() => 'still waiting for the reconciliation'),
      ]);
      expect(outcome).toBe('stopped');
      // Stopped while the ledger is still locked: the reconciliation was cancelled, not finished.
      expect(await waitingOnLedger()).toBe(0);
    } finally {
      // Each step runs whatever the one before did: a failed test must still release the lock and drop the database.
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
      await (stopping ?? svc.service.stop()).catch(() => undefined);
      await withAdmin((admin) => dropDatabase(admin, svc.databaseName));
      await deleteQueueKeys(svc.config);
    }
  });
});
