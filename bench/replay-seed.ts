import type { Knex } from 'knex';
import { initialTransition } from 'xstate';
import { projectV1 } from '../machines/project.v1.js';
import { availableAccount, escrowAccount, externalAccount } from '../src/ledger/accounts.js';
import { BENCH_MACHINE, CURRENCY, PROJECT_ID, idsOf, inputOf, record } from './replay-workload.js';

// Rows per INSERT … SELECT FROM json_populate_recordset: one round trip carries a whole batch.
const SEED_BATCH = 2_000;

async function insertJson(db: Knex, table: string, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  // Named columns only, so columns other migrations add keep their defaults.
  const cols = Object.keys(rows[0] as object)
    .map((c) => `"${c}"`)
    .join(', ');
  await db.raw(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(null::${table}, ?::json)`, [
    JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
  ]);
}

/**
 * Seeds `count` milestones with valid histories, snapshots, escrow accounts and settlement transfers (plus the
 * deposits that paid for them), so that `verify` finds every one of them matching.
 */
export async function seedMilestones(db: Knex, count: number): Promise<{ events: number }> {
  const columns = async (table: string) =>
    (await db.raw(`SELECT column_name FROM information_schema.columns WHERE table_name = ?`, [table])).rows.map(
      (r: { column_name: string }) => r.column_name,
    ) as string[];
  const has = new Set(await columns('instances'));
  const now = new Date().toISOString();
  // The milestones' project row, as created (seq 0, `open`): milestone replay never reads it, but a full
  // `verify` over the bench database should find it valid too.
  const projectInput = { id: PROJECT_ID, employerId: 'bemp-0', title: 'Bench', currency: CURRENCY };
  const [initial] = initialTransition(projectV1.machine, projectInput);
  const project = { value: initial.value, context: initial.context, status: initial.status };
  await db('instances').insert({
    id: PROJECT_ID,
    machine: 'project',
    version: 1,
    seq: 0,
    state: 'open',
    snapshot: project,
    input: projectInput,
    employer_id: 'bemp-0',
  });

  const balances = new Map<string, { spec: ReturnType<typeof availableAccount>; balance: bigint }>();
  const move = (spec: ReturnType<typeof availableAccount>, delta: bigint) => {
    const a = balances.get(spec.id) ?? { spec, balance: 0n };
    a.balance += delta;
    balances.set(spec.id, a);
  };
  // Each transfer records both accounts' balances after it (the statement's running balance), in seeding order.
  const after = new Map<string, bigint>();
  const balanceAfter = (id: string, delta: bigint): bigint => {
    const balance = (after.get(id) ?? 0n) + delta;
    after.set(id, balance);
    return balance;
  };
  let events = 0;
  let transferNo = 0;
  for (let start = 0; start < count; start += SEED_BATCH) {
    const instances: object[] = [];
    const history: object[] = [];
    const escrows: object[] = [];
    const transfers: object[] = [];
    for (let i = start; i < Math.min(count, start + SEED_BATCH); i++) {
      const ids = idsOf(i);
      const r = record(i, ids);
      events += r.history.length;
      const persisted = { value: r.final.value, context: r.final.context, status: r.final.status };
      const row: Record<string, unknown> = {
        id: ids.id,
        machine: 'milestone',
        version: BENCH_MACHINE.version,
        seq: r.history.length,
        state: r.final.value,
        snapshot: persisted,
        input: inputOf(ids),
        project_id: PROJECT_ID,
        employer_id: ids.employerId,
        freelancer_id: ids.freelancerId,
        created_at: now,
        updated_at: now,
      };
      instances.push(Object.fromEntries(Object.entries(row).filter(([k]) => has.has(k))));
      for (const h of r.history) {
        history.push({
          instance_id: ids.id,
          seq: h.seq,
          type: h.type,
          actor: h.actor,
          role: h.role,
          payload: h.payload,
          from_state: h.from,
          to_state: h.to,
          machine_version: BENCH_MACHINE.version,
          at: now,
        });
      }
      const escrow = escrowAccount(ids.id, ids.employerId, CURRENCY);
      const employer = availableAccount(ids.employerId, CURRENCY);
      const freelancer = availableAccount(ids.freelancerId, CURRENCY);
      const external = externalAccount(CURRENCY);
      let held = 0n;
      const add = (debit: { id: string }, credit: { id: string }, amount: bigint, kind: string, seq: number | null) => {
        transfers.push({
          id: `bench-${transferNo++}`,
          debit_account_id: debit.id,
          credit_account_id: credit.id,
          amount,
          currency: CURRENCY,
          kind,
          instance_id: seq === null ? null : ids.id,
          seq,
          created_at: now,
          debit_balance_after: balanceAfter(debit.id, -amount),
          credit_balance_after: balanceAfter(credit.id, amount),
        });
      };
      for (const t of r.transfers) {
        if (t.kind === 'fund') {
          add(external, employer, t.amount, 'deposit', null);
          move(external, -t.amount);
          add(employer, escrow, t.amount, 'fund', t.seq);
          held += t.amount;
        } else if (t.kind === 'release') {
          add(escrow, freelancer, t.amount, 'release', t.seq);
          move(freelancer, t.amount);
          held -= t.amount;
        } else {
          add(escrow, employer, t.amount, 'refund', t.seq);
          move(employer, t.amount);
          held -= t.amount;
        }
      }
      if (r.transfers.length > 0)
        escrows.push({
          id: escrow.id,
          owner_id: escrow.ownerId,
          currency: CURRENCY,
          kind: 'escrow',
          milestone_id: ids.id,
          balance: held,
          created_at: now,
        });
      move(employer, 0n);
      move(freelancer, 0n);
      move(external, 0n);
    }
    // Parent rows first: transfers reference accounts and history, escrow accounts reference instances.
    await insertJson(db, 'instances', instances);
    await insertJson(db, 'history', history);
    const parties = [...balances.values()].map((a) => ({
      id: a.spec.id,
      owner_id: a.spec.ownerId,
      currency: CURRENCY,
      kind: a.spec.kind,
      milestone_id: null,
      balance: a.balance,
      created_at: now,
    }));
    const cols = 'id, owner_id, currency, kind, milestone_id, balance, created_at';
    await db.raw(
      `INSERT INTO accounts (${cols}) SELECT ${cols} FROM json_populate_recordset(null::accounts, ?::json) ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance`,
      [JSON.stringify(parties, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))],
    );
    await insertJson(db, 'accounts', escrows);
    await insertJson(db, 'transfers', transfers);
  }
  await db.raw('ANALYZE');
  return { events };
}
