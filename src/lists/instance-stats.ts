import type { Knex } from 'knex';
import { settlingStates } from '../stuck/settling-states.js';

export interface Stats {
  milestones: { byState: Record<string, number>; stuck: number };
  projects: { byState: Record<string, number> };
  webhookDeliveries: { dead: number };
  /** When these were counted (they may be reused for a moment, see StatsCache). */
  asOf: string;
}

interface GroupRow {
  machine: string;
  path: string;
  count: string;
}

/**
 * Instances per machine and state path, counted from the indexes alone: top-level states from
 * instances_machine_state_idx (an index-only scan, the narrowest index that has every row), nested paths from
 * the small partial index on state_path, which then replace their top-level total. Nothing is counted on the
 * write path: a counter row per state would be one more row every event locks.
 */
async function countByState(db: Knex): Promise<Map<string, Record<string, number>>> {
  // Serially, in one read-only transaction: parallel workers took longer to start than they saved (a 14,000-row
  // count took 126 ms in parallel on the 2-core bench machine), and stats must not take cores from the events.
  const [top, nested] = await db.transaction(
    async (trx) => {
      await trx.raw('SET LOCAL max_parallel_workers_per_gather = 0');
      const queries = statsQueries(trx, 0);
      return [(await queries.topLevelStates) as GroupRow[], (await queries.nestedStates) as GroupRow[]];
    },
    { readOnly: true },
  );
  const byMachine = new Map<string, Record<string, number>>();
  const add = (r: GroupRow, sign: 1 | -1, path: string) => {
    const counts = byMachine.get(r.machine) ?? {};
    counts[path] = (counts[path] ?? 0) + sign * Number(r.count);
    if (counts[path] === 0) delete counts[path];
    byMachine.set(r.machine, counts);
  };
  for (const r of top ?? []) add(r, 1, r.path);
  for (const r of nested ?? []) {
    add(r, -1, r.path.split('.')[0] ?? r.path);
    add(r, 1, r.path);
  }
  return byMachine;
}

/** The statements behind the counts, by name (docs/support.md shows their plans at a million instances). */
export function statsQueries(db: Knex, stuckAfterMs: number) {
  return {
    topLevelStates: db('instances')
      .select('machine', 'state as path')
      .count({ count: '*' })
      .groupBy('machine', 'state'),
    nestedStates: db('instances')
      .select('machine', 'state_path as path')
      .count({ count: '*' })
      .whereRaw('state_path <> state')
      .groupBy('machine', 'state_path'),
    stuckMilestones: db('instances')
      .where('machine', 'milestone')
      .whereIn('state', [...(settlingStates().get('milestone') ?? [])])
      .andWhere('updated_at', '<', db.raw("now() - (?::bigint * interval '1 millisecond')", [stuckAfterMs]))
      .count({ count: '*' }),
    deadDeliveries: db('webhook_deliveries').where('status', 'dead').count({ count: '*' }),
  };
}

async function countOne(query: Knex.QueryBuilder): Promise<number> {
  const [row] = (await query) as { count: string }[];
  return Number(row?.count ?? 0);
}

export async function countStats(db: Knex, stuckAfterMs: number): Promise<Stats> {
  const queries = statsQueries(db, stuckAfterMs);
  const [byMachine, stuck, dead] = await Promise.all([
    countByState(db),
    countOne(queries.stuckMilestones),
    countOne(queries.deadDeliveries),
  ]);
  return {
    milestones: { byState: byMachine.get('milestone') ?? {}, stuck },
    projects: { byState: byMachine.get('project') ?? {} },
    webhookDeliveries: { dead },
    asOf: new Date().toISOString(),
  };
}
