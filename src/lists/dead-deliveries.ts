import type { Knex } from 'knex';

export interface DeadDelivery {
  id: string;
  webhookId: string;
  url: string;
  instanceId: string;
  machine: string;
  seq: number;
  type: string;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  diedAt: string;
}

interface DeadRow {
  n: string;
  id: string;
  webhook_id: string;
  url: string;
  instance_id: string;
  machine: string;
  seq: number;
  type: string;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** One page of dead deliveries (of every subscription, or of one case), oldest first, with their last failure. */
export function deadDeliveriesQuery(
  db: Knex,
  limit: number,
  afterN: string | null,
  instanceId: string | null = null,
): Knex.QueryBuilder {
  const query = db('webhook_deliveries as d')
    .join('webhooks as w', 'w.id', 'd.webhook_id')
    .leftJoin(
      db.raw(
        'LATERAL (SELECT a.status_code, a.error FROM webhook_attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt DESC LIMIT 1) AS last ON true',
      ),
    )
    .select(
      db.raw('d.n::text AS n'),
      'd.id',
      'd.webhook_id',
      'w.url',
      'd.instance_id',
      'd.machine',
      'd.seq',
      'd.type',
      'd.attempt_count',
      'last.status_code as last_status_code',
      'last.error as last_error',
      'd.created_at',
      'd.updated_at',
    )
    // The partial index's predicate, as written there (webhook_deliveries_dead_idx).
    .where('d.status', 'dead')
    .orderBy('d.n')
    .limit(limit + 1);
  if (afterN !== null) query.andWhere('d.n', '>', afterN);
  if (instanceId !== null) query.andWhere('d.instance_id', instanceId);
  return query;
}

export async function listDeadDeliveries(
  db: Knex,
  limit: number,
  afterN: string | null,
  instanceId: string | null = null,
): Promise<{ items: DeadDelivery[]; next: string | null }> {
  const rows = (await deadDeliveriesQuery(db, limit, afterN, instanceId)) as DeadRow[];
  const page = rows.slice(0, limit);
  const items = page.map((r) => ({
    id: r.id,
    webhookId: r.webhook_id,
    url: r.url,
    instanceId: r.instance_id,
    machine: r.machine,
    seq: r.seq,
    type: r.type,
    attemptCount: r.attempt_count,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    // A dead delivery's last change is the attempt that used up its tries.
    diedAt: r.updated_at.toISOString(),
  }));
  return { items, next: rows.length > limit ? (page[page.length - 1]?.n ?? null) : null };
}
