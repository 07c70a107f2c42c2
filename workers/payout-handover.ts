import { UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import type { PayoutContext } from '../machines/payout.v1.js';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import { applyToLocked } from '../src/engine/apply-event.js';
import { lockInstance, type InstanceRow } from '../src/engine/instance-row.js';
import type { Logger } from '../src/logger.js';
import type { PayoutProvider, ProviderOutcome } from '../src/payouts/provider.js';

/** What one delivery of a payout job did. */
export type HandoverOutcome = 'paid' | 'failed' | 'pending' | 'done' | 'missing';

export interface HandoverResult {
  outcome: HandoverOutcome;
  payoutId: string | null;
  /** When `pending`: ask the provider again after this long (null: a person decides, never ask). */
  retryAfterMs?: number | null;
}

/** How step 1 left the payout: gone, decided already (nothing to do), or processing and ours to hand over. */
type Start =
  | { kind: 'missing' }
  | { kind: 'finished'; payoutId: string }
  | { kind: 'processing'; payout: InstanceRow; requestId: string | null };

export interface HandoverDeps {
  db: Db;
  log: Logger;
  providers: ReadonlyMap<string, PayoutProvider>;
  timeoutMs: number;
}

/**
 * Hands one payout to its provider and applies what the provider says (docs/money.md "Payouts"):
 * 1. in a transaction, PROCESS moves the payout from `requested` to `processing` (from then on the owner cannot
 *    cancel it, so money the provider may already be paying cannot come back to available);
 * 2. the provider is called, keyed by the payout id, outside any transaction;
 * 3. in a second transaction, its outcome is applied (PROVIDER_PAID / PROVIDER_FAILED, which move the held money)
 *    and the outbox row is stamped processed.
 * Every step is safe to repeat: a redelivered job finds the payout processing and calls the provider again, which
 * answers with the first call's payment instead of making another; a payout already decided is left alone. A
 * worker killed between 2 and 3 therefore pays once. A pending answer is returned for the caller to ask again.
 */
export async function handOverPayout(deps: HandoverDeps, outboxId: string): Promise<HandoverResult> {
  const start = await inTransaction(deps.db, (trx) => startProcessing(trx, outboxId));
  if (start.kind === 'missing') return { outcome: 'missing', payoutId: null };
  if (start.kind === 'finished') return { outcome: 'done', payoutId: start.payoutId };
  const { payout, requestId } = start;
  const context = payout.snapshot.context as unknown as PayoutContext;
  const provider = deps.providers.get(context.provider);
  if (!provider) throw new UnrecoverableError(`payout ${payout.id}: no provider named ${context.provider}`);
  const outcome = await callWithTimeout(provider, context, deps.timeoutMs);
  if (outcome.status === 'pending')
    return { outcome: 'pending', payoutId: payout.id, retryAfterMs: outcome.retryAfterMs };
  const applied = await inTransaction(deps.db, (trx) => applyOutcome(trx, outboxId, payout.id, outcome, requestId));
  deps.log.info({ outboxId, payoutId: payout.id, provider: provider.name, outcome: applied }, 'payout handed over');
  return { outcome: applied, payoutId: payout.id };
}

/** Step 1: the payout as this delivery finds it, moved to processing if it was still requested. */
async function startProcessing(trx: Knex.Transaction, outboxId: string): Promise<Start> {
  const row = await trx('outbox')
    .where({ id: outboxId })
    .first<{ instance_id: string; topic: string; processed_at: Date | null; request_id: string | null } | undefined>(
      'instance_id',
      'topic',
      'processed_at',
      'request_id',
    );
  if (!row) return { kind: 'missing' };
  if (row.topic !== 'payout') throw new UnrecoverableError(`outbox ${outboxId} is a ${row.topic}, not a payout`);
  const payout = await lockInstance(trx, row.instance_id, 'payout');
  const requestId = row.request_id;
  if (row.processed_at !== null) return { kind: 'finished', payoutId: payout.id };
  if (payout.state === 'requested') {
    const options = { origin: 'system' as const, requestId: requestId ?? undefined };
    const applied = await applyToLocked(trx, payout, 'payout', { type: 'PROCESS', actor: 'system' }, options);
    return { kind: 'processing', payout: applied.row, requestId };
  }
  if (payout.state === 'processing') return { kind: 'processing', payout, requestId };
  // Cancelled by its owner before any worker took it, or decided by an earlier delivery: nothing is left to do.
  await markProcessed(trx, outboxId);
  return { kind: 'finished', payoutId: payout.id };
}

/** Step 3: the provider's outcome as the payout's event, once, with the outbox row stamped in the same commit. */
async function applyOutcome(
  trx: Knex.Transaction,
  outboxId: string,
  payoutId: string,
  outcome: Exclude<ProviderOutcome, { status: 'pending' }>,
  requestId: string | null,
): Promise<HandoverOutcome> {
  const payout = await lockInstance(trx, payoutId, 'payout');
  await markProcessed(trx, outboxId);
  if (payout.state !== 'processing') return 'done';
  const event =
    outcome.status === 'paid'
      ? { type: 'PROVIDER_PAID', actor: 'system', reference: outcome.reference }
      : { type: 'PROVIDER_FAILED', actor: 'system', reason: outcome.reason };
  await applyToLocked(trx, payout, 'payout', event, { origin: 'system', requestId: requestId ?? undefined });
  return outcome.status;
}

async function markProcessed(trx: Knex.Transaction, outboxId: string): Promise<void> {
  await trx('outbox').where({ id: outboxId }).whereNull('processed_at').update({ processed_at: trx.fn.now() });
}

/** A provider that does not answer within PAYOUT_PROVIDER_TIMEOUT_MS fails this delivery; the job is retried. */
async function callWithTimeout(
  provider: PayoutProvider,
  context: PayoutContext,
  timeoutMs: number,
): Promise<ProviderOutcome> {
  if (context.destination === null) throw new Error(`payout ${context.id} has no destination`);
  const order = {
    payoutId: context.id,
    amount: BigInt(context.amount),
    currency: context.currency,
    destination: context.destination,
  };
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`${provider.name} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([provider.send(order, controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
