import type { DeliveryView } from './webhook-schemas.js';

export interface DeliveryRow {
  n: bigint;
  id: string;
  webhook_id: string;
  outbox_id: bigint;
  instance_id: string;
  machine: string;
  seq: number;
  type: string;
  body: string;
  status: DeliveryView['status'];
  attempt_count: number;
  attempts_left: number;
  next_attempt_at: Date;
  leased_until: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  status_code: number | null;
  error: string | null;
  outcome: DeliveryView['attempts'][number]['outcome'];
}

export function deliveryView(d: DeliveryRow, attempts: AttemptRow[]): DeliveryView {
  return {
    id: d.id,
    webhookId: d.webhook_id,
    type: d.type,
    instanceId: d.instance_id,
    machine: d.machine,
    seq: d.seq,
    status: d.status,
    attemptCount: d.attempt_count,
    attemptsLeft: d.attempts_left,
    nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
    deliveredAt: d.delivered_at?.toISOString() ?? null,
    createdAt: d.created_at.toISOString(),
    attempts: attempts
      .filter((a) => a.delivery_id === d.id)
      .sort((a, b) => a.attempt - b.attempt)
      .map((a) => ({
        attempt: a.attempt,
        startedAt: a.started_at.toISOString(),
        finishedAt: a.finished_at?.toISOString() ?? null,
        durationMs: a.duration_ms,
        statusCode: a.status_code,
        error: a.error,
        outcome: a.outcome,
      })),
  };
}
