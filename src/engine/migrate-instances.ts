import type { Knex } from 'knex';
import { contextMigration, type MigrationParams } from '../../machines/migrations.js';
import type { MilestoneCounts } from '../../machines/milestone.v3.js';
import { pinnedMachine, type MachineName } from '../../machines/registry.js';
import { inTransaction } from '../db/transaction.js';
import { lockInstance, topLevelState, type InstanceRow } from './instance-row.js';
import type { InstanceRules } from './instance-rules.js';
import { persistSnapshot, restoreSnapshot } from './snapshot.js';

export interface MigrationRequest {
  machine: MachineName;
  from: number;
  to: number;
  dryRun: boolean;
  /** Who runs it, recorded as the actor of each MIGRATE history entry. */
  actor: string;
  batchSize: number;
}

export interface MigrationReport {
  migrated: { id: string; state: unknown }[];
  refused: { id: string; state: unknown; reason: string }[];
}

export const MIGRATE_EVENT = 'MIGRATE';

/**
 * Moves instances from one machine version to another, one transaction each, writing a MIGRATE history entry
 * per instance. Refuses (and lists) those it cannot map: a state the target version does not have, or a
 * settlement in flight (its command was issued under the old version; migrate once it has settled).
 */
export async function migrateInstances(
  db: Knex,
  request: MigrationRequest,
  rules: InstanceRules,
): Promise<MigrationReport> {
  const migrate = contextMigration(request.machine, request.from, request.to);
  if (!migrate) throw new Error(`no migration registered for ${request.machine} ${request.from} -> ${request.to}`);
  const source = pinnedMachine(request.machine, request.from);
  const target = pinnedMachine(request.machine, request.to);
  const report: MigrationReport = { migrated: [], refused: [] };

  let after = 0n;
  for (;;) {
    const batch: Pick<InstanceRow, 'n' | 'id'>[] = await db('instances')
      .where({ machine: request.machine, version: request.from })
      .andWhere('n', '>', after.toString())
      .orderBy('n')
      .limit(request.batchSize)
      .select('n', 'id');
    if (batch.length === 0) return report;
    after = batch[batch.length - 1]!.n;
    for (const { id } of batch) {
      await inTransaction(db, async (trx) => {
        const row = await lockInstance(trx, id, request.machine);
        if (row.version !== request.from) return;
        const value = row.snapshot.value;
        if (restoreSnapshot(source, row.snapshot).hasTag('settling')) {
          report.refused.push({ id, state: value, reason: 'settlement in flight' });
          return;
        }
        let migrated;
        const params = await paramsFor(trx, request, row, rules);
        try {
          migrated = target.machine.resolveState({ value, context: migrate(row.snapshot.context, params) });
        } catch (error) {
          report.refused.push({
            id,
            state: value,
            reason: `state does not exist in version ${request.to}: ${(error as Error).message}`,
          });
          return;
        }
        report.migrated.push({ id, state: value });
        if (request.dryRun) return;
        await writeMigration(trx, row, request, params, persistSnapshot(migrated));
      });
    }
  }
}

/** What a step records in its MIGRATE entry: the rules the target version adds, as configured now. */
async function paramsFor(
  trx: Knex.Transaction,
  request: MigrationRequest,
  row: InstanceRow,
  rules: InstanceRules,
): Promise<MigrationParams> {
  if (request.machine === 'project') return { rules: rules.project };
  if (request.to === 3) {
    const { milestoneLimits: limits, platformFeeBps } = rules;
    return { limits, counts: await countedCycles(trx, row.id), platformFeeBps };
  }
  return { disputeRules: rules.disputeRulesFor(String(row.snapshot.context.currency)) };
}

/**
 * The capped cycles an instance's history already holds (milestone 2->3): its REQUEST_CANCEL and OPEN_DISPUTE
 * entries. Counted here, under the instance's lock, and recorded in the MIGRATE entry, so replay needs no query.
 */
async function countedCycles(trx: Knex.Transaction, instanceId: string): Promise<MilestoneCounts> {
  const rows: { type: string; n: string | number }[] = await trx('history')
    .where({ instance_id: instanceId })
    .whereIn('type', ['REQUEST_CANCEL', 'OPEN_DISPUTE'])
    .groupBy('type')
    .select('type', trx.raw('count(*) AS n'));
  const count = (type: string) => Number(rows.find((r) => r.type === type)?.n ?? 0);
  return { cancelRequests: count('REQUEST_CANCEL'), disputes: count('OPEN_DISPUTE') };
}

async function writeMigration(
  trx: Knex.Transaction,
  row: InstanceRow,
  request: MigrationRequest,
  params: MigrationParams,
  snapshot: ReturnType<typeof persistSnapshot>,
): Promise<void> {
  const seq = row.seq + 1;
  await trx('history').insert({
    instance_id: row.id,
    seq,
    type: MIGRATE_EVENT,
    actor: request.actor,
    role: 'support',
    payload: { fromVersion: request.from, toVersion: request.to, params },
    from_state: JSON.stringify(row.snapshot.value),
    to_state: JSON.stringify(snapshot.value),
    machine_version: request.to,
  });
  await trx('instances')
    .where({ id: row.id })
    .update({ version: request.to, seq, state: topLevelState(snapshot.value), snapshot, updated_at: trx.fn.now() });
}
