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
  const [top, nested] = await Promise.all([
    db('instances').select('machine', 'state as path').count({ count: '*' }).groupBy('machine', 'state') as Promise<
      GroupRow[]
    >,
    db('instances')
      .select('machine', 'state_path as path')
      .count({ count: '*' })
      .whereRaw('state_path <> state')
      .groupBy('machine', 'state_path') as Promise<GroupRow[]>,
  ]);
  const byMachine = new Map<string, Record<string, number>>();
  const add = (r: GroupRow, sign: 1 | -1, path: string) => {
    const counts = byMachine.get(r.machine) ?? {};
    counts[path] = (counts[path] ?? 0) + sign * Number(r.count);
    if (counts[path] === 0) delete counts[path];
    byMachine.set(r.machine, counts);
  };
  for (const r of top) add(r, 1, r.path);
  for (const r of nested) {
    add(r, -1, r.path.split('.')[0] ?? r.path);
    add(r, 1, r.path);
  }
  return byMachine;
}

async function countStuckMilestones(db: Knex, stuckAfterMs: number): Promise<number> {
  const row = await db('instances')
    .where('machine', 'milestone')
    .whereIn('state', [...(settlingStates().get('milestone') ?? [])])
    .andWhere('updated_at', '<', db.raw("now() - (?::bigint * interval '1 millisecond')", [stuckAfterMs]))
    .count<{ count: string }[]>({ count: '*' })
    .first();
  return Number(row?.count ?? 0);
}

async function countDeadDeliveries(db: Knex): Promise<number> {
  const row = await db('webhook_deliveries').where('status', 'dead').count<{ count: string }[]>({ count: '*' }).first();
  return Number(row?.count ?? 0);
}

export async function countStats(db: Knex, stuckAfterMs: number): Promise<Stats> {
  const [byMachine, stuck, dead] = await Promise.all([
    countByState(db),
    countStuckMilestones(db, stuckAfterMs),
    countDeadDeliveries(db),
  ]);
  return {
    milestones: { byState: byMachine.get('milestone') ?? {}, stuck },
    projects: { byState: byMachine.get('project') ?? {} },
    webhookDeliveries: { dead },
    asOf: new Date().toISOString(),
  };
}
