import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { HistoryRecord } from '../../src/replay/history-record.js';
import type { ReplaySource } from '../../src/replay/replay-instance.js';

export interface Sent {
  type: string;
  actor: string;
  role: string;
  payload?: Record<string, unknown>;
}

/**
 * Plays events through a machine the way the engine does (role flags added, each accepted event recorded
 * with the state before and after) and returns what the database would hold: history + stored snapshot.
 */
export function recordHistory(def: MachineDefinition, input: Record<string, unknown>, events: Sent[]): ReplaySource {
  let snapshot: AnyMachineSnapshot = initialTransition(def.machine, input)[0];
  const history: HistoryRecord[] = events.map((e, i) => {
    const machineEvent = {
      ...e.payload,
      type: e.type,
      actor: e.actor,
      ...(e.role === 'system' ? { system: true } : {}),
    };
    if (!snapshot.can(machineEvent))
      throw new Error(`test history is invalid: ${e.type} refused in ${JSON.stringify(snapshot.value)}`);
    const from = snapshot.value;
    snapshot = transition(def.machine, snapshot, machineEvent)[0];
    return {
      seq: i + 1,
      type: e.type,
      actor: e.actor,
      role: e.role,
      payload: e.payload ?? {},
      fromState: from,
      toState: snapshot.value,
      machineVersion: def.version,
      at: new Date(0),
    };
  });
  // Stored as JSON, as the snapshot column is.
  const stored = JSON.parse(JSON.stringify({ value: snapshot.value, context: snapshot.context }));
  return {
    id: String(input.id),
    machine: def.name,
    input,
    version: def.version,
    seq: events.length,
    snapshot: stored,
    history,
  };
}

export const milestoneInput = {
  id: 'ms-1',
  projectId: 'prj-1',
  employerId: 'emp',
  freelancerId: 'fl',
  currency: 'USD',
};

/** Create, fund, release 30 of 100, request release, release the rest. */
export const partialThenFullRelease: Sent[] = [
  { type: 'CREATE', actor: 'emp', role: 'employer', payload: { amount: '100', description: 'Design' } },
  { type: 'SETTLED', actor: 'system', role: 'system', payload: { settlementId: '1' } },
  { type: 'RELEASE', actor: 'emp', role: 'employer', payload: { amount: '30' } },
  { type: 'SETTLED', actor: 'system', role: 'system', payload: { settlementId: '2' } },
  { type: 'REQUEST_RELEASE', actor: 'fl', role: 'freelancer' },
  { type: 'RELEASE', actor: 'emp', role: 'employer' },
  { type: 'SETTLED', actor: 'system', role: 'system', payload: { settlementId: '3' } },
];
