import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/knex.js';
import { inTransaction } from '../../src/db/transaction.js';
import { deposit } from '../../src/ledger/deposit.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// An account is created by the first transfer that names it (src/ledger/transfer.ts), so the first deposits of a
// new owner can run at the same moment and race to create the same account row. Each of them must move its
// money; none may fail because another created the row a moment earlier. Through one API process the race is
// rare (it reads requests one at a time), so the deposits run here on connections of their own: each opens its
// transaction, waits until all have, and then all deposit at once. Without the retry in src/db/transaction.ts
// about one round in nine failed on a 2-core machine.

const ROUNDS = 100;
const CONCURRENT = 8;
const MAX = 10n ** 12n;

/** A promise for each of `n` parties that resolves once all `n` have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++arrived === n) release();
    return all;
  };
}

describe('accounts created by concurrent first transfers', () => {
  let svc: TestService;
  let db: Db;

  beforeAll(async () => {
    svc = await startTestService();
    db = createDb(svc.config.DATABASE_URL, CONCURRENT);
  });
  afterAll(async () => {
    await assertLedgerInvariants(svc.db);
    await db?.destroy();
    await svc?.stop();
  });

  it('every first deposit of a new owner moves its money, all racing to create its account', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const owner = uid('racer');
      const allBegun = barrier(CONCURRENT);
      const outcomes = await Promise.allSettled(
        Array.from({ length: CONCURRENT }, () =>
          inTransaction(db, async (trx) => {
            await trx.raw('SELECT 1');
            await allBegun();
            return deposit(trx, owner, 'USD', 5n, MAX);
          }),
        ),
      );
      const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
      expect(errors, `round ${round}`).toEqual([]);
      const balances = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.balance] : []));
      expect(balances.sort((a, b) => (a < b ? -1 : 1))).toEqual(
        Array.from({ length: CONCURRENT }, (_, i) => 5n * BigInt(i + 1)),
      );
    }
    const created = await svc
      .db('accounts')
      .where('id', 'like', 'available:USD:racer-%')
      .count<{ n: string }[]>('* as n');
    expect(Number(created[0]!.n)).toBe(ROUNDS);
  });
});
