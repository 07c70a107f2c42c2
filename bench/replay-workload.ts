import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../machines/definition.js';
import { pinnedMachine } from '../machines/registry.js';

// The benchmark's milestones: a few valid life stories of milestone@1 (~8 events each), replicated with
// distinct ids. Version 1 is pinned on purpose: it stays registered forever, so the numbers stay comparable.
export const BENCH_MACHINE: MachineDefinition = pinnedMachine('milestone', 1);

interface Step {
  type: string;
  actor: 'emp' | 'fl' | 'system';
  payload?: Record<string, unknown>;
}
const E = 'emp' as const;
const F = 'fl' as const;
const S = 'system' as const;

export const STORIES: Step[][] = [
  // partial release, cancel request rejected, release the rest → released (9 events)
  [
    { type: 'CREATE', actor: E, payload: { amount: '1000', description: 'Design' } },
    { type: 'SETTLED', actor: S },
    { type: 'RELEASE', actor: E, payload: { amount: '300' } },
    { type: 'SETTLED', actor: S },
    { type: 'REQUEST_CANCEL', actor: E, payload: { reason: 'scope' } },
    { type: 'REJECT_CANCEL', actor: F },
    { type: 'REQUEST_RELEASE', actor: F },
    { type: 'RELEASE', actor: E },
    { type: 'SETTLED', actor: S },
  ],
  // partial release, then the freelancer cancels → cancelled (7 events)
  [
    { type: 'CREATE', actor: E, payload: { amount: '1000', description: 'Build' } },
    { type: 'SETTLED', actor: S },
    { type: 'RELEASE', actor: E, payload: { amount: '250' } },
    { type: 'SETTLED', actor: S },
    { type: 'REQUEST_CANCEL', actor: E, payload: { reason: 'budget' } },
    { type: 'CANCEL', actor: F },
    { type: 'SETTLED', actor: S },
  ],
  // request accepted, partial and full release → released (8 events)
  [
    { type: 'REQUEST', actor: F, payload: { amount: '1000', description: 'Logo' } },
    { type: 'ACCEPT_REQUEST', actor: E },
    { type: 'SETTLED', actor: S },
    { type: 'RELEASE', actor: E, payload: { amount: '100' } },
    { type: 'SETTLED', actor: S },
    { type: 'REQUEST_RELEASE', actor: F },
    { type: 'RELEASE', actor: E },
    { type: 'SETTLED', actor: S },
  ],
  // two partial releases, still in progress holding 500 (8 events)
  [
    { type: 'CREATE', actor: E, payload: { amount: '1000', description: 'Copy' } },
    { type: 'SETTLED', actor: S },
    { type: 'RELEASE', actor: E, payload: { amount: '400' } },
    { type: 'SETTLED', actor: S },
    { type: 'REQUEST_RELEASE', actor: F },
    { type: 'RELEASE', actor: E, payload: { amount: '100' } },
    { type: 'SETTLED', actor: S },
    { type: 'REQUEST_CANCEL', actor: E, payload: { reason: 'pause' } },
  ],
];

export interface Ids {
  id: string;
  projectId: string;
  employerId: string;
  freelancerId: string;
}

export const CURRENCY = 'USD';
export const PROJECT_ID = 'bench-project';
// Parties are shared by this many milestones, so the ledger has realistic, reused available accounts.
const MILESTONES_PER_PARTY = 100;

export function idsOf(i: number): Ids {
  const party = Math.floor(i / MILESTONES_PER_PARTY);
  return { id: `bms-${i}`, projectId: PROJECT_ID, employerId: `bemp-${party}`, freelancerId: `bfl-${party}` };
}

export function storyOf(i: number): Step[] {
  return STORIES[i % STORIES.length] as Step[];
}

export function inputOf(ids: Ids) {
  return {
    id: ids.id,
    projectId: ids.projectId,
    employerId: ids.employerId,
    freelancerId: ids.freelancerId,
    currency: CURRENCY,
  };
}

/** The events exactly as the engine hands them to the machine (system flag included). */
export function machineEventsOf(i: number, ids: Ids) {
  return storyOf(i).map((s) => ({
    ...s.payload,
    type: s.type,
    actor: s.actor === 'emp' ? ids.employerId : s.actor === 'fl' ? ids.freelancerId : 'system',
    ...(s.actor === 'system' ? { system: true } : {}),
  }));
}

export interface Recorded {
  history: {
    seq: number;
    type: string;
    actor: string;
    role: string;
    payload: Record<string, unknown>;
    from: unknown;
    to: unknown;
  }[];
  final: AnyMachineSnapshot;
  /** Settlement transfers: the SETTLED seq that moved money and how. */
  transfers: { seq: number; kind: 'fund' | 'release' | 'refund'; amount: bigint }[];
}

/** Runs one story through the machine, as the engine and settlement worker would have. */
export function record(i: number, ids: Ids): Recorded {
  let snap: AnyMachineSnapshot = initialTransition(BENCH_MACHINE.machine, inputOf(ids))[0];
  const history: Recorded['history'] = [];
  const transfers: Recorded['transfers'] = [];
  const events = machineEventsOf(i, ids);
  const steps = storyOf(i);
  events.forEach((event, k) => {
    const before = snap;
    const ctx = before.context as { amount: string; releasedAmount: string; pendingRelease: string | null };
    snap = transition(BENCH_MACHINE.machine, before, event)[0];
    if (snap === before) throw new Error(`bench story ${i % STORIES.length} is invalid at event ${k}`);
    const seq = k + 1;
    if (event.type === 'SETTLED') {
      const remaining = BigInt(ctx.amount) - BigInt(ctx.releasedAmount);
      if (before.value === 'funding') transfers.push({ seq, kind: 'fund', amount: BigInt(ctx.amount) });
      else if (before.value === 'releasing')
        transfers.push({ seq, kind: 'release', amount: BigInt(ctx.pendingRelease ?? '0') });
      else if (before.value === 'cancelling') transfers.push({ seq, kind: 'refund', amount: remaining });
    }
    const role = steps[k]?.actor === 'emp' ? 'employer' : steps[k]?.actor === 'fl' ? 'freelancer' : 'system';
    history.push({
      seq,
      type: event.type,
      actor: event.actor,
      role,
      payload: { ...(steps[k]?.payload ?? {}) },
      from: before.value,
      to: snap.value,
    });
  });
  return { history, final: snap, transfers };
}
