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

/**
 * How much of an attempt's outcome a reader sees. `full` (admin clients, who register the URLs): the receiver's
 * status, the error text and the duration. `summary` (everyone else with read): the status class and a short
 * reason only. The full text tells a closed port (ECONNREFUSED) from a silent one (timeout) from a live server
 * (its status), and durations tell them apart too: with URLs on the allow-list that is a port scanner of the
 * internal network for anyone who can read deliveries (issue 15).
 */
export type AttemptDetail = 'full' | 'summary';

type StatusClass = DeliveryView['attempts'][number]['statusClass'];

function statusClassOf(statusCode: number | null): StatusClass {
  if (statusCode === null || statusCode < 100 || statusCode > 599) return null;
  return `${Math.floor(statusCode / 100)}xx` as StatusClass;
}

/** The reason a `summary` reader sees: which side failed, never how the network answered. */
function shortReason(a: AttemptRow): string | null {
  if (a.outcome === 'delivered' || a.outcome === 'in_flight') return null;
  if (a.outcome === 'abandoned') return 'the dispatcher stopped during the attempt';
  if (a.status_code !== null) return `the receiver answered ${statusClassOf(a.status_code) ?? 'an invalid status'}`;
  if (a.error?.startsWith('url refused')) return 'the url is not allowed';
  return 'no response from the receiver';
}

function attemptView(a: AttemptRow, detail: AttemptDetail): DeliveryView['attempts'][number] {
  const full = detail === 'full';
  return {
    attempt: a.attempt,
    startedAt: a.started_at.toISOString(),
    finishedAt: a.finished_at?.toISOString() ?? null,
    durationMs: full ? a.duration_ms : null,
    statusCode: full ? a.status_code : null,
    statusClass: statusClassOf(a.status_code),
    error: full ? a.error : shortReason(a),
    outcome: a.outcome,
  };
}

export function deliveryView(d: DeliveryRow, attempts: AttemptRow[], detail: AttemptDetail): DeliveryView {
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
      .map((a) => attemptView(a, detail)),
  };
}
