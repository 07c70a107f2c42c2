import { UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import type { MilestoneContext } from '../machines/milestone.v1.js';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { idListStatement } from '../src/db/id-list-statement.js';
import { preparedStatement } from '../src/db/prepared.js';
import { inTransaction } from '../src/db/transaction.js';
import { applyBatch, type BatchItem } from '../src/engine/apply-batch.js';
import { instanceColumnsOf, type InstanceRow } from '../src/engine/instance-row.js';
import { InsufficientFundsError } from '../src/ledger/insufficient-funds-error.js';
import {
  applyTransfers,
  lockAccounts,
  lockedAfter,
  type LockedAccounts,
  planTransfers,
  type TransferPlan,
  type TransferRequest,
} from '../src/ledger/transfer.js';
import type { Logger } from '../src/logger.js';
import { settlementLegs, type SettlementCommand } from './settlement-plan.js';

export type SettlementOutcome = 'settled' | 'failed' | 'already_done' | 'missing';

/**
 * A command's outcome, and its milestone (null for a missing row): the one to wake `?wait=settled` readers of. With
 * the milestone's project when the transaction moved it too (a settled release or refund closes the milestone
 * there): an API process that remembers the project's row forgets it on that signal (decision 17). `relay`: the
 * transaction that settled it left the relay work (outbox rows, an armed timer); only then is the relay woken.
 */
export interface SettlementResult {
  outcome: SettlementOutcome;
  instanceId: string | null;
  projectId?: string;
  relay?: boolean;
}

type ClaimedRow = InstanceRow & {
  outbox_id: string;
  command_seq: number;
  command: SettlementCommand;
  request_id: string | null;
};

// Claims the commands (stamps them processed, in this transaction) and locks their milestones in id order, in
// one round trip. A command processed already (by an earlier delivery of its job, or a batch that is committing
// it now: the lock waits for that one), or that is not a settlement, matches nothing and is told apart below.
// The rows are found by primary key alone and filtered after the lock: with "processed_at IS NULL" in the scan,
// the planner may walk the partial unprocessed index instead, and where autovacuum is off that index holds an
// entry for every command ever settled (seen: a claim reading 120,000 index entries, settlements slowing down).
// The ids go as a list (src/db/id-list-statement.ts), so the statement is not planned at every call.
const claimStatement = idListStatement<ClaimedRow>(
  'claim_settlements',
  (ids) => `WITH target AS (
     SELECT id, processed_at, topic FROM outbox WHERE id ${ids} ORDER BY id FOR UPDATE
   ), claimed AS (
     UPDATE outbox SET processed_at = now()
     FROM target
     WHERE outbox.id = target.id AND target.processed_at IS NULL AND target.topic = 'settlement'
     RETURNING outbox.id, outbox.instance_id, outbox.seq, outbox.payload, outbox.request_id
   )
   SELECT claimed.id::text AS outbox_id, claimed.seq AS command_seq, claimed.payload AS command, claimed.request_id, ${instanceColumnsOf('i')}
   FROM claimed JOIN instances AS i ON i.id = claimed.instance_id
   ORDER BY i.id
   FOR NO KEY UPDATE OF i`,
  'bigint',
);

const outboxRowsStatement = preparedStatement<{ id: string; topic: string; instance_id: string }>(
  'outbox_rows',
  'SELECT id::text, topic, instance_id FROM outbox WHERE id = ANY(?::bigint[])',
);

interface Claim {
  outboxId: string;
  milestone: InstanceRow;
  command: SettlementCommand;
  requestId: string | null;
  transfers: TransferRequest[];
}

/**
 * Carries out settlement commands from the outbox, several in one transaction (group commit: the settlement
 * worker hands over the jobs that arrive while a batch runs, workers/worker-pool.ts). For each: move the money
 * and apply SETTLED, or SETTLEMENT_FAILED when the employer's balance cannot cover it, to the milestone. The
 * outbox row's processed_at is stamped in the same transaction, so a redelivered job finds it set and changes
 * nothing; the transfer ids are derived from the outbox id as a second guard. The accounts of the whole batch
 * are locked and checked before any event is written, so every outcome is known without undoing anything.
 * Commands are checked against the balances in the order they were issued (outbox order), whatever order the
 * locks were taken in. Returns one result per id, in order. Anything unexpected fails the whole batch (the caller
 * then settles each command alone, so one bad command fails only its own job).
 */
export async function settleBatch(
  db: Db,
  config: Config,
  log: Logger,
  outboxIds: readonly string[],
): Promise<SettlementResult[]> {
  const results = await inTransaction(db, async (trx) => {
    const claimed = await claimStatement(trx, [], outboxIds);
    const result = await resultsOfUnclaimed(trx, log, outboxIds, claimed);
    // Locked in milestone order (the claim), checked and written in the order the commands were issued.
    claimed.sort((a, b) => (BigInt(a.outbox_id) < BigInt(b.outbox_id) ? -1 : 1));
    const claims = claimed.map((row) => claimOf(row, config));
    const { items, plans } = planClaims(
      await lockAccounts(
        trx,
        claims.flatMap((c) => c.transfers),
      ),
      claims,
      result,
    );
    // Every row the events moved, the projects their derived events reached included.
    const moved = new Map<string, InstanceRow>();
    const { applied, relay } = await applyBatch(trx, items, moved);
    applied.forEach((a, i) => {
      if (a.seq !== claims[i]!.milestone.seq + 1)
        throw new Error(`${items[i]!.event.type} of ${claims[i]!.milestone.id} wrote seq ${a.seq}`);
    });
    for (const { outboxId, milestone } of claims) {
      const own = result.get(outboxId)!;
      const movedProject = milestone.project_id !== null && moved.has(milestone.project_id);
      result.set(outboxId, { ...own, relay, ...(movedProject ? { projectId: milestone.project_id! } : {}) });
    }
    await applyTransfers(trx, plans);
    for (const c of claims) {
      const { outboxId, requestId, milestone, command } = c;
      const outcome = result.get(outboxId)?.outcome;
      log.info({ outboxId, requestId, milestoneId: milestone.id, kind: command.kind, outcome }, 'settlement applied');
    }
    return result;
  });
  return outboxIds.map((id) => results.get(id)!);
}

/**
 * The outcome of each command the claim did not take: missing, or done by an earlier delivery whose end may have
 * gone unreported (its readers are woken again). A row that is not a settlement is corrupt input, not a retry.
 */
async function resultsOfUnclaimed(
  trx: Knex.Transaction,
  log: Logger,
  outboxIds: readonly string[],
  claimed: readonly ClaimedRow[],
): Promise<Map<string, SettlementResult>> {
  const result = new Map<string, SettlementResult>();
  const unclaimed = outboxIds.filter((id) => !claimed.some((c) => c.outbox_id === id));
  if (unclaimed.length === 0) return result;
  const rows = new Map((await outboxRowsStatement(trx, [unclaimed])).map((r) => [r.id, r]));
  for (const id of unclaimed) {
    const row = rows.get(id);
    if (row === undefined) log.warn({ outboxId: id }, 'settlement job for a missing outbox row; dropping it');
    else if (row.topic !== 'settlement')
      throw new UnrecoverableError(`outbox ${id} is a ${row.topic}, not a settlement`);
    result.set(
      id,
      row === undefined
        ? { outcome: 'missing', instanceId: null }
        : { outcome: 'already_done', instanceId: row.instance_id },
    );
  }
  return result;
}

/** A claimed command with the transfers it asks for; they reference the history entry SETTLED is about to write. */
function claimOf(row: ClaimedRow, config: Config): Claim {
  const { outbox_id: outboxId, command_seq: commandSeq, command, request_id: requestId, ...milestone } = row;
  // The machine accepts nothing but SETTLED/SETTLEMENT_FAILED while settling, so the instance must still be at
  // the seq that asked for this settlement; anything else is corrupt state, not a retryable error.
  if (milestone.seq !== commandSeq) {
    throw new UnrecoverableError(
      `milestone ${milestone.id} is at seq ${milestone.seq}, settlement ${outboxId} was for ${commandSeq}`,
    );
  }
  const context = milestone.snapshot.context as unknown as MilestoneContext & { platformFeeBps?: number };
  // From milestone@3 on the rate recorded at creation; older versions recorded none and pay the configured one.
  const legs = settlementLegs(command, context, context.platformFeeBps ?? config.PLATFORM_FEE_BPS);
  const transfers = legs.map((leg, i) => ({
    id: `stl-${outboxId}-${i}`,
    ...leg,
    instanceId: milestone.id,
    seq: milestone.seq + 1,
  }));
  return { outboxId, milestone, command, requestId, transfers };
}

/**
 * Each command checked against the balances the commands before it leave: SETTLED with its transfers, or
 * SETTLEMENT_FAILED when the employer's balance cannot cover it (nothing moves for that one).
 */
function planClaims(
  locked: LockedAccounts,
  claims: readonly Claim[],
  result: Map<string, SettlementResult>,
): { items: BatchItem[]; plans: TransferPlan[] } {
  const plans: TransferPlan[] = [];
  const items = claims.map((c): BatchItem => {
    const system = { actor: 'system', settlementId: c.outboxId };
    const options = { origin: 'system' as const, requestId: c.requestId ?? undefined };
    try {
      const plan = planTransfers(locked, c.transfers);
      plans.push(plan);
      locked = lockedAfter(locked, plan);
      result.set(c.outboxId, { outcome: 'settled', instanceId: c.milestone.id });
      return { row: c.milestone, machine: 'milestone', event: { type: 'SETTLED', ...system }, options };
    } catch (error) {
      if (!(error instanceof InsufficientFundsError)) throw error;
      result.set(c.outboxId, { outcome: 'failed', instanceId: c.milestone.id });
      const event = { type: 'SETTLEMENT_FAILED', reason: 'insufficient_funds', ...system };
      return { row: c.milestone, machine: 'milestone', event, options };
    }
  });
  return { items, plans };
}

/** One settlement command in a transaction of its own (settleBatch of one). */
export async function settle(db: Db, config: Config, log: Logger, outboxId: string): Promise<SettlementOutcome> {
  const [result] = await settleBatch(db, config, log, [outboxId]);
  return result!.outcome;
}
