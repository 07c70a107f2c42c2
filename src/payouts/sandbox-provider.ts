import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError } from 'bullmq';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { PayoutOrder, PayoutProvider, ProviderOutcome } from './provider.js';

interface SandboxRow {
  amount: string;
  currency: string;
  outcome: 'paid' | 'failed';
  reference: string;
  accepted_now: boolean;
  remaining_ms: string;
}

// Parts per million: the failure rate as an integer draw, so 0 never fails and 1 always does.
const PPM = 1_000_000;

/**
 * The sandbox provider, for tests and demos: it accepts a payout, decides at once whether it will be paid or fail
 * (PAYOUT_SANDBOX_FAILURE_RATE), and reports that outcome only once PAYOUT_SANDBOX_CONFIRM_MS have passed, so the
 * worker sees a pending answer first, as from a real provider. Its records (sandbox_payouts) stand for the
 * provider's own: each call commits on its own, apart from the worker's transaction, and the first record of a
 * payout id is the one every later call answers from. PAYOUT_SANDBOX_LATENCY_MS makes the accepting call slow to
 * answer after it recorded the payout, the window in which a worker can die or time out having paid.
 */
export class SandboxProvider implements PayoutProvider {
  readonly name = 'sandbox';

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {}

  async send(order: PayoutOrder, signal: AbortSignal): Promise<ProviderOutcome> {
    const fails = randomInt(PPM) < Math.round(this.config.PAYOUT_SANDBOX_FAILURE_RATE * PPM);
    const result = await this.db.raw<{ rows: SandboxRow[] }>(
      `INSERT INTO sandbox_payouts (payout_id, amount, currency, outcome, reference, decided_at)
       VALUES (?, ?, ?, ?, ?, now() + ?::bigint * interval '1 millisecond')
       ON CONFLICT (payout_id) DO UPDATE SET calls = sandbox_payouts.calls + 1
       RETURNING amount::text, currency, outcome, reference, (xmax = 0) AS accepted_now,
                 greatest(0, ceil(extract(epoch FROM decided_at - now()) * 1000))::bigint::text AS remaining_ms`,
      [
        order.payoutId,
        order.amount.toString(),
        order.currency,
        fails ? 'failed' : 'paid',
        `sbx_${order.payoutId}`,
        this.config.PAYOUT_SANDBOX_CONFIRM_MS,
      ],
    );
    const row = result.rows[0]!;
    // A provider refuses a payout id it knows with other terms; retrying cannot change that.
    if (row.amount !== order.amount.toString() || row.currency !== order.currency) {
      throw new UnrecoverableError(`sandbox: payout ${order.payoutId} was accepted as ${row.amount} ${row.currency}`);
    }
    if (row.accepted_now && this.config.PAYOUT_SANDBOX_LATENCY_MS > 0) {
      await sleep(this.config.PAYOUT_SANDBOX_LATENCY_MS, undefined, { signal });
    }
    const remainingMs = Number(row.remaining_ms);
    if (remainingMs > 0) return { status: 'pending', retryAfterMs: remainingMs };
    return row.outcome === 'paid'
      ? { status: 'paid', reference: row.reference }
      : { status: 'failed', reason: 'declined by the sandbox provider' };
  }
}
