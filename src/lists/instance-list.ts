import type { Knex } from 'knex';
import type { MachineName } from '../../machines/registry.js';
import { instanceColumnsOf } from '../engine/instance-row.js';
import { viewFacts, type ViewRow } from '../engine/view-row.js';
import { settlingStates } from '../stuck/settling-states.js';
import type { ListKey } from './list-cursor.js';
import { stateMatch } from './state-filter.js';

/** Filters of GET /v1/milestones and GET /v1/projects (docs/api.md "Lists (v1.1)"), already validated. */
export interface ListFilters {
  projectId?: string;
  /** State paths the instance must be in (each a top-level state or a full path); all must hold. */
  states: string[];
  party?: string;
  /** Keep instances with an armed deadline due before this time, soonest first. */
  deadlineBefore?: Date;
  /** Keep instances settling for longer than this many milliseconds. */
  stuckAfterMs?: number;
  updatedSince?: Date;
}

export interface ListedRow extends ViewRow {
  /** The soonest armed deadline (deadline order only), UTC with microseconds: the cursor key. */
  due_at?: string;
}

export interface ListPage {
  rows: ListedRow[];
  next: ListKey | null;
}

// Postgres keeps microseconds; a JS Date would round them away and the next page could repeat or skip a row.
const DUE_AT_UTC = `to_char(t.fire_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS due_at`;

/**
 * One keyset page of instances of one machine. Each filter is a condition some index serves (see the
 * list_queues migration and docs/support.md): creation order walks instances' indexes by `n`; deadline order
 * walks timers_due_idx by fire time and joins each timer's instance, unless another filter narrowed the instances
 * first (then each of those looks up its own soonest timer).
 */
export async function listInstances(
  db: Knex,
  machine: MachineName,
  filters: ListFilters,
  limit: number,
  after: ListKey | null,
): Promise<ListPage> {
  const rows = (await listQuery(db, machine, filters, limit, after)) as ListedRow[];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  if (rows.length <= limit || !last) return { rows: page, next: null };
  return {
    rows: page,
    next: last.due_at ? { order: 'deadline', at: last.due_at, n: String(last.n) } : { order: 'n', n: String(last.n) },
  };
}

/** The statement of one page (one row more than `limit`, to know whether another page follows). */
export function listQuery(
  db: Knex,
  machine: MachineName,
  filters: ListFilters,
  limit: number,
  after: ListKey | null,
): Knex.QueryBuilder {
  const narrowed = filters.states.length > 0 || filters.projectId !== undefined || filters.party !== undefined;
  const query =
    filters.deadlineBefore === undefined
      ? db('instances as i')
          .select(db.raw(instanceColumnsOf('i')))
          .orderBy('i.n')
      : narrowed
        ? soonestDeadlineOf(db, filters.deadlineBefore)
        : deadlineOrder(db, filters.deadlineBefore);
  // Each item's escrow balance and armed timers in the same statement: a page costs one round trip, not one per item.
  const facts = viewFacts('i');
  query.joinRaw(facts.joins).select(db.raw(facts.columns));
  query.where('i.machine', machine).limit(limit + 1);
  applyFilters(db, query, machine, filters);
  if (after?.order === 'n') query.andWhere('i.n', '>', after.n);
  if (after?.order === 'deadline') {
    // Row comparison spelt out, so `fire_at >= ?` stays an index condition.
    query.andWhere('t.fire_at', '>=', after.at).andWhereRaw('(t.fire_at > ? OR i.n > ?)', [after.at, after.n]);
  }
  return query;
}

/**
 * Deadline order over instances another filter already narrowed (a queue: one state, a project, a party): each
 * instance's soonest armed timer, looked up by timers_one_armed_idx. Costs one lookup per instance the filter
 * keeps, where walking every armed timer in fire order would skip over the timers of all other instances.
 */
function soonestDeadlineOf(db: Knex, before: Date): Knex.QueryBuilder {
  return db('instances as i')
    .joinRaw(
      "CROSS JOIN LATERAL (SELECT min(t.fire_at) AS fire_at FROM timers t WHERE t.instance_id = i.id AND t.status = 'armed') t",
    )
    .select(db.raw(instanceColumnsOf('i')), db.raw(DUE_AT_UTC))
    .where('t.fire_at', '<', before)
    .orderBy([{ column: 't.fire_at' }, { column: 'i.n' }]);
}

/** Every armed timer by fire time, each instance once: at its soonest deadline (a later one of its own is skipped). */
function deadlineOrder(db: Knex, before: Date): Knex.QueryBuilder {
  return db('timers as t')
    .join('instances as i', 'i.id', 't.instance_id')
    .select(db.raw(instanceColumnsOf('i')), db.raw(DUE_AT_UTC))
    .where('t.status', 'armed')
    .andWhere('t.fire_at', '<', before)
    .whereRaw(
      "NOT EXISTS (SELECT 1 FROM timers t2 WHERE t2.instance_id = t.instance_id AND t2.status = 'armed' AND (t2.fire_at, t2.id) < (t.fire_at, t.id))",
    )
    .orderBy([{ column: 't.fire_at' }, { column: 'i.n' }]);
}

function applyFilters(db: Knex, query: Knex.QueryBuilder, machine: MachineName, filters: ListFilters): void {
  for (const path of filters.states) {
    const match = stateMatch(path);
    if (match.column === 'state') query.andWhere('i.state', match.value);
    // The partial index's predicate, literally, so the planner may use it.
    else query.andWhere('i.state_path', match.value).andWhereRaw('i.state_path <> i.state');
  }
  if (filters.projectId !== undefined) query.andWhere('i.project_id', filters.projectId);
  if (filters.party !== undefined) {
    query.andWhereRaw('(i.employer_id = ? OR i.freelancer_id = ?)', [filters.party, filters.party]);
  }
  if (filters.updatedSince !== undefined) query.andWhere('i.updated_at', '>=', filters.updatedSince);
  if (filters.stuckAfterMs !== undefined) {
    query
      .whereIn('i.state', [...(settlingStates().get(machine) ?? [])])
      .andWhere('i.updated_at', '<', db.raw("now() - (?::bigint * interval '1 millisecond')", [filters.stuckAfterMs]));
  }
}
