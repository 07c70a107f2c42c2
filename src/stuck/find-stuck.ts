import type { Knex } from 'knex';
import type { StateValue } from 'xstate';
import { settlingStates } from './settling-states.js';

// Settlement normally finishes within a second of the event that asked for it. An instance still settling
// after STUCK_AFTER_MS has lost its job (Redis flushed, a worker crashed past its retries, workers not
// running): money is held in limbo and the parties can do nothing until it settles. These functions find them.

export interface StuckInstance {
  id: string;
  machine: string;
  version: number;
  seq: number;
  state: StateValue;
  /** When the instance entered the settling state (its last change), by the database clock. */
  since: Date;
  ageMs: number;
}

export interface StuckSummary {
  count: number;
  oldest: StuckInstance | null;
  thresholdMs: number;
}

interface StuckRow {
  n: string;
  id: string;
  machine: string;
  version: number;
  seq: number;
  snapshot: { value: StateValue };
  updated_at: Date;
  age_ms: string | number;
}

/** Instances in a settling state whose last change is older than `afterMs` (database clock). */
function stuckQuery(db: Knex, afterMs: number): Knex.QueryBuilder {
  const byMachine = [...settlingStates()];
  return db('instances')
    .where((q) => {
      // Knex builders are thenables: inside a where-callback they are built on, never awaited.
      for (const [machine, states] of byMachine) q.orWhere((m) => void m.where({ machine }).whereIn('state', states));
      // No machine has a settling state: match nothing rather than everything.
      if (byMachine.length === 0) q.whereRaw('false');
    })
    .andWhere('updated_at', '<', db.raw("now() - (?::bigint * interval '1 millisecond')", [afterMs]));
}

function stuckOf(row: StuckRow): StuckInstance {
  return {
    id: row.id,
    machine: row.machine,
    version: row.version,
    seq: row.seq,
    state: row.snapshot.value,
    since: row.updated_at,
    ageMs: Math.round(Number(row.age_ms)),
  };
}

const COLUMNS = ['n', 'id', 'machine', 'version', 'seq', 'snapshot', 'updated_at'];
const AGE = '(extract(epoch FROM now() - updated_at) * 1000)::float8 AS age_ms';

/** How many instances are stuck and the oldest of them: two index-backed reads, cheap enough for readyz. */
export async function stuckSummary(db: Knex, afterMs: number): Promise<StuckSummary> {
  const [counted, oldest] = await Promise.all([
    stuckQuery(db, afterMs).count<{ n: string }[]>({ n: '*' }).first(),
    stuckQuery(db, afterMs)
      .orderBy([{ column: 'updated_at' }, { column: 'n' }])
      .first<StuckRow | undefined>([...COLUMNS, db.raw(AGE)]),
  ]);
  return { count: Number(counted?.n ?? 0), oldest: oldest ? stuckOf(oldest) : null, thresholdMs: afterMs };
}

/**
 * Stuck instances in creation order (instance number), one keyset page of at most `limit` after instance number `afterN` (the
 * `next` of the previous page; null when there is none).
 */
export async function listStuck(
  db: Knex,
  afterMs: number,
  limit: number,
  afterN = '0',
): Promise<{ items: StuckInstance[]; next: string | null }> {
  const rows: StuckRow[] = await stuckQuery(db, afterMs)
    .andWhere('n', '>', afterN)
    .orderBy('n')
    .limit(limit + 1)
    .select([...COLUMNS, db.raw(AGE)]);
  const page = rows.slice(0, limit);
  return { items: page.map(stuckOf), next: rows.length > limit ? String(page[page.length - 1]!.n) : null };
}
