import type { Knex } from 'knex';
import type { AnyMachineSnapshot } from 'xstate';
import type { MachineName } from '../../machines/registry.js';
import type { PartyRole } from '../../machines/roles.js';
import type { EngineEvent } from './engine-event.js';
import { holdArbitrationFee } from './hold-fee.js';
import { armTimer, disarmTimer } from './timers.js';

type MilestoneParties = Parameters<typeof holdArbitrationFee>[1];

export const OUTBOX_CHANNEL = 'outbox';

/**
 * settlement: money to move; notification: an in-app message for one user; transition: every applied event,
 * for webhook subscribers (fanned out by the webhook worker, so the hot path does not read subscriptions).
 */
export type OutboxTopic = 'settlement' | 'notification' | 'transition';

/** What subscribers learn of each applied event (API.md webhook delivery body, less its delivery id). */
export interface TransitionRecord {
  machine: string;
  seq: number;
  type: string;
  actor: string;
  from: unknown;
  to: unknown;
}

export interface DerivedEvent {
  machine: MachineName;
  instanceId: string;
  event: EngineEvent;
}

interface ActionLike {
  type: string;
  params: unknown;
}

/**
 * Turns the named actions a transition returned into rows of the outbox (run after commit by workers) and
 * into events for related instances (applied in this same transaction by the caller).
 */
export async function recordEffects(
  trx: Knex.Transaction,
  instanceId: string,
  transitionRecord: TransitionRecord,
  next: AnyMachineSnapshot,
  actions: readonly ActionLike[],
  requestId: string | null,
): Promise<DerivedEvent[]> {
  const { seq } = transitionRecord;
  const outbox: { instance_id: string; seq: number; topic: OutboxTopic; payload: Record<string, unknown> }[] = [
    { instance_id: instanceId, seq, topic: 'transition', payload: { ...transitionRecord } },
  ];
  const derived: DerivedEvent[] = [];
  const context = next.context as { employerId: string; freelancerId: string | null; projectId?: string };

  for (const action of actions) {
    const params = (action.params ?? {}) as Record<string, unknown>;
    switch (action.type) {
      case 'requestSettlement':
        outbox.push({ instance_id: instanceId, seq, topic: 'settlement', payload: params });
        break;
      case 'notify': {
        const userId = params.to === 'employer' ? context.employerId : context.freelancerId;
        if (userId) outbox.push({ instance_id: instanceId, seq, topic: 'notification', payload: { userId, type: params.type } });
        break;
      }
      case 'xstate.raise': {
        const { event, id, delay } = params as { event: unknown; id?: string; delay?: number };
        // An undelayed raise is handled inside transition() and never reaches us; a delayed one is a timer.
        if (id === undefined || delay === undefined) throw new Error(`raise from ${instanceId} without id or delay`);
        await armTimer(trx, instanceId, seq, id, event, delay);
        break;
      }
      case 'xstate.cancel':
        await disarmTimer(trx, instanceId, String(params.sendId));
        break;
      case 'holdArbitrationFee':
        await holdArbitrationFee(trx, next.context as MilestoneParties, seq, params.payer as PartyRole, BigInt(String(params.amount)));
        break;
      case 'informProject':
        if (!context.projectId) throw new Error(`informProject from ${instanceId} without a projectId`);
        derived.push({
          machine: 'project',
          instanceId: context.projectId,
          event: { ...params, type: String(params.type), actor: 'system', milestoneId: instanceId },
        });
        break;
      default:
        // Unknown named actions would silently lose an effect; that is a programmer error (STYLE §6).
        throw new Error(`no effect handler for action ${action.type}`);
    }
  }
  await trx('outbox').insert(outbox.map((row) => ({ ...row, request_id: requestId })));
  return derived;
}
