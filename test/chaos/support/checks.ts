import { expect } from 'vitest';
import type { MilestoneContext } from '../../../machines/milestone.v1.js';
import { pinnedMachine } from '../../../machines/registry.js';
import type { Db } from '../../../src/db/knex.js';
import type { InstanceRow } from '../../../src/engine/instance-row.js';
import { restoreSnapshot } from '../../../src/engine/snapshot.js';
import { verifyInstances, type Mismatch } from '../../../src/replay/verify-instances.js';
import { settlementLegs, type SettlementCommand } from '../../../workers/settlement-plan.js';
import { eventually } from '../../support/eventually.js';
import { assertLedgerInvariants } from '../../support/ledger-invariants.js';
import type { Load } from './load.js';

/** What is still in flight; all zero means the system has caught up with everything it acknowledged. */
export interface Backlog {
  unprocessedOutbox: number;
  settlingMilestones: number;
  dueTimers: number;
  sample: string[];
}

/**
 * `timersDueWithinMs`: armed timers due that soon count as in flight too. An audit that starts while one is about to
 * fire races its event (a dispute's response deadline, say) and the settlement that follows.
 */
export async function backlog(db: Db, timersDueWithinMs = 0): Promise<Backlog> {
  const outbox: { id: bigint; topic: string; relayed_at: Date | null }[] = await db('outbox')
    .whereNull('processed_at')
    .orderBy('id')
    .select('id', 'topic', 'relayed_at');
  const milestones: InstanceRow[] = await db('instances')
    .where({ machine: 'milestone' })
    .select('id', 'version', 'snapshot', 'state');
  const settling = milestones.filter((m) =>
    restoreSnapshot(pinnedMachine('milestone', m.version), m.snapshot).hasTag('settling'),
  );
  const timers: { id: bigint; instance_id: string }[] = await db('timers')
    .where({ status: 'armed' })
    .andWhereRaw('fire_at <= now() + make_interval(secs => ?)', [timersDueWithinMs / 1000])
    .select('id', 'instance_id');
  return {
    unprocessedOutbox: outbox.length,
    settlingMilestones: settling.length,
    dueTimers: timers.length,
    sample: [
      ...outbox.slice(0, 3).map((o) => `outbox ${o.id} ${o.topic} ${o.relayed_at ? 'relayed' : 'not relayed'}`),
      ...settling.slice(0, 3).map((m) => `milestone ${m.id} ${m.state}`),
      ...timers.slice(0, 3).map((t) => `timer ${t.id} of ${t.instance_id} due`),
    ],
  };
}

/**
 * Waits until nothing is left in flight: every outbox row processed, no milestone settling, no armed timer
 * past due, nor due within `timersDueWithinMs`. Only the service's own recovery (relay, sweeper, BullMQ
 * stalled-job checks) can get there.
 */
export async function waitForQuiescence(db: Db, timeoutMs: number, timersDueWithinMs = 0): Promise<number> {
  const started = Date.now();
  let reported = started;
  await eventually(
    async () => {
      const b = await backlog(db, timersDueWithinMs);
      if (process.env.CHAOS_VERBOSE === '1' && Date.now() - reported > 2_000) {
        reported = Date.now();
        console.log(`[chaos] +${((reported - started) / 1000).toFixed(1)}s backlog`, { ...b });
      }
      expect(
        { unprocessedOutbox: b.unprocessedOutbox, settlingMilestones: b.settlingMilestones, dueTimers: b.dueTimers },
        b.sample.join('; '),
      ).toEqual({
        unprocessedOutbox: 0,
        settlingMilestones: 0,
        dueTimers: 0,
      });
    },
    timeoutMs,
    250,
  );
  return Date.now() - started;
}

export interface Audit {
  instances: number;
  historyEvents: number;
  ackedEvents: number;
  ackedDeposits: number;
  settlements: number;
  settlementFailures: number;
  transfers: number;
  timersFired: number;
  replayed: number;
}

/**
 * docs/concepts.md "Kill -9 of any process at any point: no money is created, lost or moved twice", and "nothing
 * acknowledged is ever lost", checked against the database once the system is quiet:
 * - the ledger invariants (sums, no negative balance, escrow = funded − released − returned = what the state holds);
 * - each acknowledged event is in history exactly once, at the seq the client was told, and history holds no
 *   user event nobody was told about (every write was retried to a definite answer);
 * - each acknowledged deposit exists once, and money entered only through them;
 * - no settlement ran twice or was lost: one SETTLED / SETTLEMENT_FAILED per settlement command, right after
 *   it, naming it, and exactly the transfers its legs need (ids `stl-<outboxId>-<i>`), no other `stl-` transfer;
 * - each fired timer applied its event exactly once;
 * - replaying every instance's history reproduces its stored snapshot (and escrow).
 */
export async function auditAfterChaos(db: Db, load: Load, feeBps: number): Promise<Audit> {
  await assertLedgerInvariants(db);

  // Acknowledged events ⇔ user events in history.
  const userHistory: { instance_id: string; seq: number; type: string; actor: string }[] = await db('history')
    .whereNot({ role: 'system' })
    .select('instance_id', 'seq', 'type', 'actor');
  const key = (e: { instanceId: string; seq: number; type: string; actor: string }) =>
    `${e.instanceId}#${e.seq}#${e.type}#${e.actor}`;
  const inHistory = userHistory.map((h) =>
    key({ instanceId: h.instance_id, seq: h.seq, type: h.type, actor: h.actor }),
  );
  const acked = load.events.map(key);
  const duplicates = acked.filter((k, i) => acked.indexOf(k) !== i);
  expect(duplicates, 'events acknowledged twice (two 2xx for one history entry)').toEqual([]);
  const historySet = new Set(inHistory);
  const ackedSet = new Set(acked);
  expect(
    acked.filter((k) => !historySet.has(k)),
    'acknowledged events missing from history',
  ).toEqual([]);
  expect(
    inHistory.filter((k) => !ackedSet.has(k)),
    'user events in history that no client was told about',
  ).toEqual([]);

  // Deposits: each acknowledged once, and the only money that entered.
  const depositIds = load.deposits.map((d) => d.transferId);
  const deposits: { id: string; amount: bigint }[] = await db('transfers')
    .where({ kind: 'deposit' })
    .select('id', 'amount');
  expect(deposits.map((d) => d.id).sort(), 'deposit transfers = acknowledged deposits').toEqual([...depositIds].sort());
  const external: { balance: bigint } | undefined = await db('accounts').where({ id: 'external:USD' }).first('balance');
  expect(external?.balance, 'money entered = acknowledged deposits').toBe(
    -load.deposits.reduce((s, d) => s + d.amount, 0n),
  );

  // Settlements: exactly once each.
  const commands: {
    id: bigint;
    instance_id: string;
    seq: number;
    payload: SettlementCommand;
    processed_at: Date | null;
  }[] = await db('outbox')
    .where({ topic: 'settlement' })
    .orderBy('id')
    .select('id', 'instance_id', 'seq', 'payload', 'processed_at');
  const results: { instance_id: string; seq: number; type: string; payload: { settlementId?: string } }[] = await db(
    'history',
  )
    .whereIn('type', ['SETTLED', 'SETTLEMENT_FAILED'])
    .select('instance_id', 'seq', 'type', 'payload');
  const resultBySettlement = new Map<string, (typeof results)[number][]>();
  for (const r of results) {
    const id = String(r.payload.settlementId);
    resultBySettlement.set(id, [...(resultBySettlement.get(id) ?? []), r]);
  }
  expect(results.length, 'settlement results in history = settlement commands').toBe(commands.length);
  const contexts = new Map<string, MilestoneContext>(
    (await db<InstanceRow>('instances').where({ machine: 'milestone' }).select('id', 'snapshot')).map((r) => [
      r.id,
      r.snapshot.context as unknown as MilestoneContext,
    ]),
  );
  const transfers: {
    id: string;
    debit_account_id: string;
    credit_account_id: string;
    amount: bigint;
    kind: string;
    instance_id: string;
    seq: number;
  }[] = await db('transfers')
    .where('id', 'like', 'stl-%')
    .select('id', 'debit_account_id', 'credit_account_id', 'amount', 'kind', 'instance_id', 'seq');
  const transfersByCommand = new Map<string, typeof transfers>();
  for (const t of transfers) {
    const outboxId = /^stl-(\d+)-\d+$/.exec(t.id)?.[1] ?? 'malformed';
    transfersByCommand.set(outboxId, [...(transfersByCommand.get(outboxId) ?? []), t]);
  }
  let settled = 0;
  let failed = 0;
  for (const c of commands) {
    const id = String(c.id);
    const label = `settlement ${id} (${c.payload.kind}) of ${c.instance_id}@${c.seq}`;
    expect(c.processed_at, `${label} processed`).not.toBeNull();
    const result = resultBySettlement.get(id) ?? [];
    expect(
      result.map((r) => `${r.instance_id}@${r.seq}`),
      `${label}: one result, right after the command`,
    ).toEqual([`${c.instance_id}@${c.seq + 1}`]);
    const moved = (transfersByCommand.get(id) ?? []).sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    transfersByCommand.delete(id);
    if (result[0]?.type === 'SETTLEMENT_FAILED') {
      failed++;
      expect(moved, `${label} failed and moved nothing`).toEqual([]);
      continue;
    }
    settled++;
    const context = contexts.get(c.instance_id);
    if (!context) throw new Error(`${label}: milestone missing`);
    const legs = settlementLegs(c.payload, context, feeBps);
    expect(
      moved.map((t) => ({
        id: t.id,
        debit: t.debit_account_id,
        credit: t.credit_account_id,
        amount: t.amount,
        kind: t.kind,
        at: `${t.instance_id}@${t.seq}`,
      })),
      `${label}: exactly the transfers its legs need`,
    ).toEqual(
      legs.map((leg, i) => ({
        id: `stl-${id}-${i}`,
        debit: leg.debit.id,
        credit: leg.credit.id,
        amount: leg.amount,
        kind: leg.kind,
        at: `${c.instance_id}@${c.seq + 1}`,
      })),
    );
  }
  expect([...transfersByCommand.keys()], 'settlement transfers of no settlement command').toEqual([]);

  // Timers: every fired timer applied its event once (the event names the timer).
  const fired: { id: bigint }[] = await db('timers').where({ status: 'fired' }).select('id');
  const timerEvents: { timer_id: string; n: number }[] = await db('history')
    .whereRaw("payload->>'timerId' IS NOT NULL")
    .groupByRaw("payload->>'timerId'")
    .select(db.raw("payload->>'timerId' AS timer_id"), db.raw('count(*)::int AS n'));
  expect(
    timerEvents.filter((t) => t.n !== 1),
    'timers applied more than once',
  ).toEqual([]);
  expect(timerEvents.map((t) => t.timer_id).sort(), 'fired timers = timer events in history').toEqual(
    fired.map((t) => String(t.id)).sort(),
  );

  // Replay: every instance, from its history, equals its stored snapshot and escrow.
  const mismatches: Mismatch[] = [];
  const summary = await verifyInstances(
    db,
    { batchSize: 500, historyBatchEvents: 20_000, maxEvents: 10_000 },
    { onMismatch: (m) => mismatches.push(m) },
  );
  expect(
    mismatches.map((m) => `${m.machine} ${m.id}: ${m.problems.join('; ')}`),
    'replay mismatches',
  ).toEqual([]);

  const [{ n: instances }] = (await db('instances').count({ n: '*' })) as unknown as [{ n: string }];
  const [{ n: historyEvents }] = (await db('history').count({ n: '*' })) as unknown as [{ n: string }];
  expect(summary.instances).toBe(Number(instances));
  return {
    instances: Number(instances),
    historyEvents: Number(historyEvents),
    ackedEvents: load.events.length,
    ackedDeposits: load.deposits.length,
    settlements: settled,
    settlementFailures: failed,
    transfers: transfers.length,
    timersFired: fired.length,
    replayed: summary.instances,
  };
}
