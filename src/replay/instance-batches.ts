import type { Knex } from 'knex';
import type { InstanceRow } from '../engine/instance-row.js';
import { HISTORY_COLUMNS, historyRecordOf, type HistoryRecord, type HistoryRow } from './history-record.js';

export interface InstanceFilter {
  machine?: string;
  /** Only instances changed at or after this time. */
  since?: Date;
}

export interface BatchLimits {
  /** Instances per keyset page. */
  batchSize: number;
  /** History rows read in one query; a page is split into chunks below this. */
  historyBatchEvents: number;
  /** Longer histories are not read at all (reported as too long). */
  maxEvents: number;
}

export interface LoadedInstance {
  row: InstanceRow;
  /** null when the history is longer than `maxEvents`. */
  history: HistoryRecord[] | null;
}

function filtered(db: Knex, filter: InstanceFilter) {
  const query = db<InstanceRow>('instances');
  if (filter.machine) query.where({ machine: filter.machine });
  if (filter.since) query.where('updated_at', '>=', filter.since);
  return query;
}

export async function countInstances(db: Knex, filter: InstanceFilter): Promise<number> {
  const [row] = await filtered(db, filter).count<{ count: string | bigint }[]>({ count: '*' });
  return Number(row?.count ?? 0);
}

const VERIFY_HISTORY_COLUMNS = HISTORY_COLUMNS.filter((c) => c !== 'at');
// Only what replay and the escrow check read: fewer columns, less to parse and collect per instance.
const VERIFY_INSTANCE_COLUMNS = ['n', 'id', 'machine', 'version', 'seq', 'snapshot', 'input', 'employer_id'];

/** Keyset pages over `instances.n`: constant cost per page, however far in, and nothing held between pages. */
async function* instancePages(db: Knex, filter: InstanceFilter, batchSize: number): AsyncGenerator<InstanceRow[]> {
  let after = 0n;
  for (;;) {
    const rows = (await filtered(db, filter)
      .select(VERIFY_INSTANCE_COLUMNS)
      .andWhere('n', '>', after)
      .orderBy('n')
      .limit(batchSize)) as unknown as InstanceRow[];
    if (rows.length === 0) return;
    yield rows;
    after = (rows[rows.length - 1] as InstanceRow).n;
    if (rows.length < batchSize) return;
  }
}

/** Splits a page so that no history query reads more than `historyBatchEvents` rows. */
function* byEventBudget(rows: InstanceRow[], limits: BatchLimits): Generator<InstanceRow[]> {
  let chunk: InstanceRow[] = [];
  let events = 0;
  for (const row of rows) {
    const cost = row.seq > limits.maxEvents ? 0 : row.seq;
    if (chunk.length > 0 && events + cost > limits.historyBatchEvents) {
      yield chunk;
      chunk = [];
      events = 0;
    }
    chunk.push(row);
    events += cost;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * History of a chunk of instances in one query. Rows beyond each instance's seq as read are left out: history
 * is append-only, so the instance row (snapshot + seq) and the rows up to its seq describe one consistent
 * moment even while events keep arriving, without holding a transaction open for the whole verification.
 */
export async function loadHistories(db: Knex, rows: InstanceRow[], maxEvents: number): Promise<LoadedInstance[]> {
  const readable = rows.filter((r) => r.seq > 0 && r.seq <= maxEvents);
  const byId = new Map<string, HistoryRecord[]>(readable.map((r) => [r.id, []]));
  if (readable.length > 0) {
    const history = (await db
      // No `at`: verification does not need it, and parsing a timestamp per row is a measurable cost here.
      .select(VERIFY_HISTORY_COLUMNS.map((c) => `h.${c}`))
      .from(
        db.raw('unnest(?::text[], ?::int[]) AS x(id, seq)', [readable.map((r) => r.id), readable.map((r) => r.seq)]),
      )
      .join('history as h', function () {
        this.on('h.instance_id', 'x.id').andOn('h.seq', '<=', 'x.seq');
      })
      .orderBy([{ column: 'h.instance_id' }, { column: 'h.seq' }])) as HistoryRow[];
    for (const h of history) byId.get(h.instance_id)?.push(historyRecordOf(h));
  }
  return rows.map((row) => ({ row, history: row.seq > maxEvents ? null : (byId.get(row.id) ?? []) }));
}

/** Every instance matching the filter, in `n` order, in chunks whose histories fit `historyBatchEvents`. */
export async function* instanceChunks(
  db: Knex,
  filter: InstanceFilter,
  limits: BatchLimits,
): AsyncGenerator<InstanceRow[]> {
  for await (const page of instancePages(db, filter, limits.batchSize)) yield* byEventBudget(page, limits);
}
