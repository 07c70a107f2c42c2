import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/error-handler.js';
import { createDb } from '../../src/db/knex.js';
import { inTransaction } from '../../src/db/transaction.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_URL } from '../support/databases.js';

/**
 * The smallest reproduction of what the Postgres restart chaos test found: a restart (`pg_ctl stop -m fast`) or
 * crash (`-m immediate`) ends the backend of every open transaction. pg marks the client broken as soon as the
 * socket errors; the transaction's next statement, and then knex's ROLLBACK, fail with "Client has encountered
 * a connection error and is not queryable", which has no `code`, and knex rejects with the ROLLBACK's error.
 * The API's error mapper answered that with 500 until it learnt the message (37aac23); this keeps it at 503.
 * Only this test's own backend is terminated; the shared server keeps running.
 */
describe('a write whose Postgres connection dies mid-transaction', () => {
  it('is answered 503 unavailable, never 500', async () => {
    const log = createLogger('silent');
    const db = createDb(ADMIN_URL, 1, log);
    const killer = createDb(ADMIN_URL, 1, log);
    let thrown: unknown = null;
    try {
      await inTransaction(db, async (trx) => {
        const { rows } = await trx.raw('SELECT pg_backend_pid() AS pid');
        await killer.raw('SELECT pg_terminate_backend(?)', [rows[0].pid]);
        // The socket's error arrives before the next statement, as when the server goes away between two.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await trx.raw('SELECT 1');
      });
    } catch (error) {
      thrown = error;
    } finally {
      await db.destroy();
      await killer.destroy();
    }
    expect(thrown, 'the transaction failed').not.toBeNull();

    let answer: { status: number; body: unknown } = { status: 0, body: null };
    const res = {
      status(status: number) {
        answer.status = status;
        return res;
      },
      json(body: unknown) {
        answer = { ...answer, body };
      },
    };
    errorHandler(log)(
      thrown,
      { method: 'POST', path: '/v1/milestones/m/events' } as Request,
      res as unknown as Response,
      () => undefined,
    );
    expect(answer, `mapped from: ${(thrown as Error).message}`).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable' } },
    });
  });
});
