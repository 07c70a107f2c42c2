import { UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import type { MilestoneContext } from '../machines/milestone.v1.js';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { preparedStatement } from '../src/db/prepared.js';
import { inTransaction } from '../src/db/transaction.js';
import { applyToLocked } from '../src/engine/apply-event.js';
import { instanceColumnsOf, type InstanceRow } from '../src/engine/instance-row.js';
import { InsufficientFundsError } from '../src/ledger/insufficient-funds-error.js';
import { applyTransfers, prepareTransfers, type TransferPlan } from '../src/ledger/transfer.js';
import type { Logger } from '../src/logger.js';
import { settlementLegs, type SettlementCommand } from './settlement-plan.js';

export type SettlementOutcome = 'settled' | 'failed' | 'already_done' | 'missing';

type ClaimedRow = InstanceRow & { command_seq: number; command: SettlementCommand; request_id: string | null };

// Claims the command (stamps it processed, in this transaction) and locks its milestone, in one round trip. A
// command that is processed already, or not a settlement, matches nothing here and is told apart afterwards.
const claimStatement = preparedStatement<ClaimedRow>('claim_settlement', `
  WITH claimed AS (
    UPDATE outbox SET processed_at = now()
    WHERE id = ? AND processed_at IS NULL AND topic = 'settlement'
    RETURNING instance_id, seq, payload, request_id
  )
  SELECT claimed.seq AS command_seq, claimed.payload AS command, claimed.request_id, ${instanceColumnsOf('i')}
  FROM claimed JOIN instances AS i ON i.id = claimed.instance_id
  FOR NO KEY UPDATE OF i`);

async function unclaimedOutcome(trx: Knex.Transaction, log: Logger, outboxId: string): Promise<SettlementOutcome> {
  const row: { topic: string } | undefined = await trx('outbox').where({ id: outboxId }).first('topic', 'processed_at');
  if (!row) {
    log.warn({ outboxId }, 'settlement job for a missing outbox row; dropping it');
    return 'missing';
  }
  if (row.topic !== 'settlement') throw new UnrecoverableError(`outbox ${outboxId} is a ${row.topic}, not a settlement`);
  return 'already_done';
}

/**
 * Carries out one settlement command from the outbox: moves the money and applies SETTLED (or
 * SETTLEMENT_FAILED) to the milestone in one transaction. The outbox row's processed_at is stamped in that
 * same transaction, so a redelivered job finds it set and changes nothing; the transfer ids are derived
 * from the outbox id as a second guard. The accounts are locked and checked before the event is written, so
 * the outcome is known without undoing anything: round trips are the cost of a settlement (README "Benchmarks").
 */
export async function settle(db: Db, config: Config, log: Logger, outboxId: string): Promise<SettlementOutcome> {
  return inTransaction(db, async (trx) => {
    const [claimed] = await claimStatement(trx, [outboxId]);
    if (!claimed) return unclaimedOutcome(trx, log, outboxId);
    const { command_seq: commandSeq, command, request_id: requestId, ...milestone } = claimed;
    // The machine accepts nothing but SETTLED/SETTLEMENT_FAILED while settling, so the instance must still be
    // at the seq that asked for this settlement; anything else is corrupt state, not a retryable error.
    if (milestone.seq !== commandSeq) {
      throw new UnrecoverableError(`milestone ${milestone.id} is at seq ${milestone.seq}, settlement ${outboxId} was for ${commandSeq}`);
    }
    const legs = settlementLegs(command, milestone.snapshot.context as unknown as MilestoneContext, config.PLATFORM_FEE_BPS);
    // The history entry SETTLED is about to write; its transfers reference it.
    const seq = milestone.seq + 1;
    const system = { actor: 'system', settlementId: outboxId };
    const options = { origin: 'system' as const, requestId: requestId ?? undefined };

    let plan: TransferPlan;
    try {
      plan = await prepareTransfers(
        trx,
        legs.map((leg, i) => ({ id: `stl-${outboxId}-${i}`, ...leg, instanceId: milestone.id, seq })),
      );
    } catch (error) {
      if (!(error instanceof InsufficientFundsError)) throw error;
      await applyToLocked(trx, milestone, 'milestone', { type: 'SETTLEMENT_FAILED', reason: 'insufficient_funds', ...system }, options);
      log.info({ outboxId, requestId, milestoneId: milestone.id, kind: command.kind, outcome: 'failed' }, 'settlement applied');
      return 'failed';
    }
    const applied = await applyToLocked(trx, milestone, 'milestone', { type: 'SETTLED', ...system }, options);
    if (applied.seq !== seq) throw new Error(`SETTLED of ${milestone.id} wrote seq ${applied.seq}, expected ${seq}`);
    await applyTransfers(trx, plan);
    log.info({ outboxId, requestId, milestoneId: milestone.id, kind: command.kind, outcome: 'settled' }, 'settlement applied');
    return 'settled';
  });
}
