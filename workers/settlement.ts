import { UnrecoverableError } from 'bullmq';
import type { MilestoneContext } from '../machines/milestone.v1.js';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import { applyEvent } from '../src/engine/apply-event.js';
import { lockInstance } from '../src/engine/instance-row.js';
import { InsufficientFundsError } from '../src/ledger/insufficient-funds-error.js';
import { transfer } from '../src/ledger/transfer.js';
import type { Logger } from '../src/logger.js';
import { settlementLegs, type SettlementCommand } from './settlement-plan.js';

export type SettlementOutcome = 'settled' | 'failed' | 'already_done' | 'missing';

/**
 * Carries out one settlement command from the outbox: moves the money and applies SETTLED (or
 * SETTLEMENT_FAILED) to the milestone in one transaction. The outbox row's processed_at is stamped in that
 * same transaction, so a redelivered job finds it set and changes nothing; the transfer ids are derived
 * from the outbox id as a second guard.
 */
export async function settle(db: Db, config: Config, log: Logger, outboxId: string): Promise<SettlementOutcome> {
  return inTransaction(db, async (trx) => {
    const row = await trx('outbox').where({ id: outboxId }).forUpdate().first();
    if (!row) {
      log.warn({ outboxId }, 'settlement job for a missing outbox row; dropping it');
      return 'missing';
    }
    if (row.processed_at !== null) return 'already_done';
    if (row.topic !== 'settlement') throw new UnrecoverableError(`outbox ${outboxId} is a ${row.topic}, not a settlement`);

    const milestone = await lockInstance(trx, row.instance_id, 'milestone');
    // The machine accepts nothing but SETTLED/SETTLEMENT_FAILED while settling, so the instance must still be
    // at the seq that asked for this settlement; anything else is corrupt state, not a retryable error.
    if (milestone.seq !== row.seq) {
      throw new UnrecoverableError(`milestone ${milestone.id} is at seq ${milestone.seq}, settlement ${outboxId} was for ${row.seq}`);
    }
    const command = row.payload as SettlementCommand;
    const legs = settlementLegs(command, milestone.snapshot.context as unknown as MilestoneContext, config.PLATFORM_FEE_BPS);
    const system = { actor: 'system', settlementId: outboxId };

    let outcome: SettlementOutcome = 'settled';
    try {
      // A savepoint: if the money cannot move, undo SETTLED and record the failure instead.
      await trx.transaction(async (sp) => {
        const applied = await applyEvent(sp, 'milestone', milestone.id, { type: 'SETTLED', ...system }, { origin: 'system', requestId: row.request_id ?? undefined });
        for (const [i, leg] of legs.entries()) {
          await transfer(sp, { id: `stl-${outboxId}-${i}`, ...leg, instanceId: milestone.id, seq: applied.seq });
        }
      });
    } catch (error) {
      if (!(error instanceof InsufficientFundsError)) throw error;
      await applyEvent(trx, 'milestone', milestone.id, { type: 'SETTLEMENT_FAILED', reason: 'insufficient_funds', ...system }, { origin: 'system', requestId: row.request_id ?? undefined });
      outcome = 'failed';
    }
    await trx('outbox').where({ id: outboxId }).update({ processed_at: trx.fn.now() });
    log.info({ outboxId, requestId: row.request_id, milestoneId: milestone.id, kind: command.kind, outcome }, 'settlement applied');
    return outcome;
  });
}
