import type { HistoryRecord } from './history-record.js';

/** The audited migration entry (the owner's `migrate` command): switches machine version, not an event. */
export const MIGRATE = 'MIGRATE';

export interface MigratePayload {
  fromVersion: number;
  toVersion: number;
}

export function migratePayloadOf(record: HistoryRecord): MigratePayload {
  const { fromVersion, toVersion } = record.payload as Partial<MigratePayload>;
  if (!Number.isInteger(fromVersion) || !Number.isInteger(toVersion)) {
    throw new Error(`MIGRATE at seq ${record.seq} lacks integer fromVersion/toVersion`);
  }
  return { fromVersion: fromVersion as number, toVersion: toVersion as number };
}

/** The event as a client or worker sent it: what the API's replay steps show. */
export function recordedEvent(record: HistoryRecord): Record<string, unknown> & { type: string; actor: string } {
  return { type: record.type, actor: record.actor, ...record.payload };
}

/**
 * The event exactly as the engine handed it to the machine: the recorded fields plus the role flags the engine
 * adds (`system` for its own events, `support` for support staff, `client` for the sending API client), because
 * the machines' role guards read them.
 * Without the flags a SETTLED would be refused on replay although it was accepted live.
 */
export function machineEventOf(record: HistoryRecord): Record<string, unknown> & { type: string; actor: string } {
  const event = { ...record.payload, type: record.type, actor: record.actor } as Record<string, unknown> & {
    type: string;
    actor: string;
  };
  if (record.clientId) event.client = record.clientId;
  if (record.role === 'system') event.system = true;
  else if (record.role === 'support') event.support = true;
  return event;
}
