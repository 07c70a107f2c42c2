import type { Knex } from 'knex';
import type { AnyMachineSnapshot } from 'xstate';
import type { MachineName } from '../../machines/registry.js';
import type { PartyRole } from '../../machines/roles.js';
import type { EngineEvent } from './engine-event.js';
import type { MoneyMove } from '../../machines/money-moves.js';
import { holdArbitrationFee } from './hold-fee.js';
import { moveMoney, type OwnedContext } from './move-money.js';
import { armTimer, disarmTimer } from './timers.js';
import { notificationMessage } from '../notifications/messages.js';

type MilestoneParties = Parameters<typeof holdArbitrationFee>[1];

/**
 * settlement: money to move; transition: every applied event, for webhook subscribers (fanned out by the relay;
 * the write statement keeps it only while a webhook is live, write-statement-parts.ts); payout: a payout to hand to
 * its provider (the payout worker); notification: a deadline reminder for one user (workers/deadline-reminders.ts),
 * written to the inbox by the relay. An event's own notifications go to the inbox in its statement (InboxEntry).
 */
export type OutboxTopic = 'settlement' | 'notification' | 'transition' | 'payout';

/** What subscribers learn of each applied event (docs/api.md webhook delivery body, less its delivery id). */
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

/** An outbox row of the event, written in the event's own statement (see write-statement-parts.ts). */
export interface OutboxEntry {
  topic: OutboxTopic;
  payload: Record<string, unknown>;
}

/**
 * An in-app notification for one user, written in the event's own statement: the inbox is a table of the same
 * database, so nothing about it has to wait for the commit (docs/decisions/0014-notifications-in-the-event.md).
 */
export interface InboxEntry {
  userId: string;
  type: string;
  message: string;
}

/** What the named actions of a transition ask for, decided without I/O. */
export interface EffectPlan {
  outbox: OutboxEntry[];
  notifications: InboxEntry[];
  /** Events for related instances, applied by the caller in this same transaction. */
  derived: DerivedEvent[];
  /**
   * Effects that need statements of their own (timers, fee holds), run after the event's history row exists:
   * a held fee's transfer references it.
   */
  statements: ((trx: Knex.Transaction, seq: number) => Promise<void>)[];
}

/** The named action by which a machine asks for an event on its parent project (docs/concepts.md "Engine", step 6). */
export const DERIVING_ACTION = 'informProject';

/** The event an `informProject` action with these resolved params delivers to the instance's project. */
export function derivedEvent(instanceId: string, context: unknown, params: Record<string, unknown>): DerivedEvent {
  const projectId = (context as { projectId?: unknown }).projectId;
  if (typeof projectId !== 'string' || projectId === '')
    throw new Error(`${DERIVING_ACTION} from ${instanceId} without a projectId`);
  return {
    machine: 'project',
    instanceId: projectId,
    event: { ...params, type: String(params.type), actor: 'system', milestoneId: instanceId },
  };
}

/** Turns the named actions a transition returned into outbox rows, derived events and further statements. */
export function planEffects(
  instanceId: string,
  transitionRecord: TransitionRecord,
  next: AnyMachineSnapshot,
  actions: readonly ActionLike[],
): EffectPlan {
  const plan: EffectPlan = {
    outbox: [{ topic: 'transition', payload: { ...transitionRecord } }],
    notifications: [],
    derived: [],
    statements: [],
  };
  const context = next.context as { employerId?: string; freelancerId?: string | null; ownerId?: string };

  for (const action of actions) {
    const params = (action.params ?? {}) as Record<string, unknown>;
    switch (action.type) {
      case 'requestSettlement':
        plan.outbox.push({ topic: 'settlement', payload: params });
        break;
      case 'notify': {
        const userId = { employer: context.employerId, freelancer: context.freelancerId, owner: context.ownerId }[
          String(params.to) as 'employer' | 'freelancer' | 'owner'
        ];
        const type = String(params.type);
        if (userId) plan.notifications.push({ userId, type, message: notificationMessage(type) });
        break;
      }
      case 'xstate.raise': {
        const { event, id, delay } = params as { event: unknown; id?: string; delay?: number };
        // An undelayed raise is handled inside transition() and never reaches us; a delayed one is a timer.
        if (id === undefined || delay === undefined) throw new Error(`raise from ${instanceId} without id or delay`);
        plan.statements.push((trx, seq) => armTimer(trx, instanceId, seq, id, event, delay));
        break;
      }
      case 'xstate.cancel':
        plan.statements.push((trx) => disarmTimer(trx, instanceId, String(params.sendId)));
        break;
      case 'holdArbitrationFee': {
        const parties = next.context as MilestoneParties;
        plan.statements.push((trx, seq) =>
          holdArbitrationFee(trx, parties, seq, params.payer as PartyRole, BigInt(String(params.amount))),
        );
        break;
      }
      case 'moveMoney': {
        const owned = next.context as OwnedContext;
        plan.statements.push((trx, seq) => moveMoney(trx, owned, seq, params as unknown as MoneyMove));
        break;
      }
      case 'handToProvider':
        plan.outbox.push({ topic: 'payout', payload: {} });
        break;
      case DERIVING_ACTION:
        plan.derived.push(derivedEvent(instanceId, next.context, params));
        break;
      default:
        // Unknown named actions would silently lose an effect; that is a programmer error (STYLE §6).
        throw new Error(`no effect handler for action ${action.type}`);
    }
  }
  return plan;
}
