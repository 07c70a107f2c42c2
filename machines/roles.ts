// Roles are never claimed by a caller: they are derived from the parties the instance carries in its
// context (DESIGN.md: "the engine derives the role … a caller cannot claim a role").
export type Role = 'employer' | 'freelancer' | 'support' | 'system';

export interface Parties {
  employerId: string;
  freelancerId: string | null;
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

export function roleOf(parties: Parties, event: ActorFields): Role | null {
  if (event.system === true) return 'system';
  if (event.actor === parties.employerId) return 'employer';
  if (parties.freelancerId !== null && event.actor === parties.freelancerId) return 'freelancer';
  if (event.support === true) return 'support';
  return null;
}

export type PartyRole = 'employer' | 'freelancer';

export function otherParty(role: PartyRole): PartyRole {
  return role === 'employer' ? 'freelancer' : 'employer';
}

/** Which roles may send each event type; the machine's guard and the engine's 403 read the same table. */
export type EventRoles = Readonly<Record<string, readonly Role[]>>;

export function mayActorSend(roles: EventRoles, parties: Parties, event: ActorFields & { type: string }): boolean {
  const role = roleOf(parties, event);
  return role !== null && (roles[event.type] ?? []).includes(role);
}
