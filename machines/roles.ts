import { roleList, type Rule } from './rules.js';

// Roles are never claimed by a caller: they are derived from the parties the instance carries in its
// context (docs/concepts.md: "the engine derives the role … a caller cannot claim a role").
export type Role = 'employer' | 'freelancer' | 'owner' | 'support' | 'system';

/** The two parties of a project and its milestones. */
export interface ProjectParties {
  employerId: string;
  freelancerId: string | null;
}

/** The one user an owned instance (a payout, an adjustment) is about: whose money it moves. */
export interface Owner {
  ownerId: string;
}

/** Whoever an instance's context names as its parties: the roles of its events are derived from them. */
export type Parties = ProjectParties | Owner;

/**
 * The users an instance belongs to as the instances table indexes them (employer_id, freelancer_id): an owned
 * instance's owner fills the first column, so lists by party and the console's search find it the same way.
 */
export function partyColumnsOf(parties: Parties): ProjectParties {
  return 'ownerId' in parties ? { employerId: parties.ownerId, freelancerId: null } : parties;
}

/**
 * Every machine event carries the acting user. `system` is set only by the engine for its own events;
 * `support` only by the engine, when the caller's token holds the support scope and the actor is no party.
 */
export interface ActorFields {
  actor: string;
  system?: true;
  support?: true;
}

/** An event as rules shared between versions read it: its type and who sent it. */
export type SentEvent = ActorFields & { type: string };

export function roleOf(parties: Parties, event: ActorFields): Role | null {
  if (event.system === true) return 'system';
  if ('ownerId' in parties) {
    if (event.actor === parties.ownerId) return 'owner';
  } else {
    if (event.actor === parties.employerId) return 'employer';
    if (parties.freelancerId !== null && event.actor === parties.freelancerId) return 'freelancer';
  }
  if (event.support === true) return 'support';
  return null;
}

export type PartyRole = 'employer' | 'freelancer';

export function otherParty(role: PartyRole): PartyRole {
  return role === 'employer' ? 'freelancer' : 'employer';
}

/**
 * The party that sent an event. Only for events the roles table gives to parties alone, after the role check
 * passed: anyone else reaching here is a programmer error (STYLE §6), never a silent default.
 */
export function partyOf(parties: ProjectParties, event: ActorFields & { type: string }): PartyRole {
  const role = roleOf(parties, event);
  if (role !== 'employer' && role !== 'freelancer') {
    throw new Error(`${event.type} from ${event.actor} (${role ?? 'no role'}) reached a rule for parties only`);
  }
  return role;
}

/** Which roles may send each event type; the machine's guard and the engine's 403 read the same table. */
export type EventRoles = Readonly<Record<string, readonly Role[]>>;

export function mayActorSend(roles: EventRoles, parties: Parties, event: SentEvent): boolean {
  const role = roleOf(parties, event);
  return role !== null && (roles[event.type] ?? []).includes(role);
}

/** The id of the rule every machine version checks first: the sender's role may send this event. */
export const ACTOR_MAY_SEND = 'actor_may_send';

/**
 * The `actorMaySend` rule of a machine version, read from its roles table: the one implementation every version
 * uses (a refusal is a 403 from the engine, which checks the same table before any rule).
 */
export function actorMaySendRule(roles: EventRoles): Rule<Parties, SentEvent> {
  return {
    id: ACTOR_MAY_SEND,
    kind: 'role',
    check: ({ context, event }) => mayActorSend(roles, context, event),
    message: ({ context, event }) => {
      const role = roleOf(context, event);
      const allowed = roleList(roles[event.type] ?? []);
      return role === null
        ? `${event.actor} is not a party, and ${event.type} is sent by ${allowed}.`
        : `${event.type} is sent by ${allowed}, not by the ${role}.`;
    },
    details: ({ context, event }) => ({ role: roleOf(context, event), allowedRoles: roles[event.type] ?? [] }),
  };
}
