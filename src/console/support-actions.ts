import type { Knex } from 'knex';

/** A support action that is not a machine event: the timeline shows it beside the case's history. */
export interface SupportAction {
  at: string;
  /** `redrive` (a stuck settlement's job put back on its queue) or `retry_delivery` (a dead webhook sent again). */
  action: string;
  /** What it acted on besides the case: the delivery id of a retry. */
  subject: string | null;
  outcome: string;
  client: { id: string; name: string };
}

export interface NewSupportAction {
  instanceId: string;
  action: 'redrive' | 'retry_delivery';
  subject: string | null;
  outcome: string;
  clientId: string;
}

export async function recordSupportAction(db: Knex, a: NewSupportAction): Promise<void> {
  await db('support_actions').insert({
    instance_id: a.instanceId,
    action: a.action,
    subject: a.subject,
    outcome: a.outcome,
    client_id: a.clientId,
  });
}

interface ActionRow {
  action: string;
  subject: string | null;
  outcome: string;
  client_id: string;
  client_name: string;
  created_at: Date;
}

/** A case's support actions, oldest first, at most `limit` (the newest are kept when there are more). */
export async function listSupportActions(db: Knex, instanceId: string, limit: number): Promise<SupportAction[]> {
  const rows: ActionRow[] = await db('support_actions as a')
    .join('api_clients as c', 'c.id', 'a.client_id')
    .where('a.instance_id', instanceId)
    .orderBy('a.n', 'desc')
    .limit(limit)
    .select('a.action', 'a.subject', 'a.outcome', 'a.client_id', 'c.name as client_name', 'a.created_at');
  return rows.reverse().map((r) => ({
    at: r.created_at.toISOString(),
    action: r.action,
    subject: r.subject,
    outcome: r.outcome,
    client: { id: r.client_id, name: r.client_name },
  }));
}
