import type { ActorFields } from '../../machines/roles.js';

/** An event as machines receive it: type, acting user, and the payload fields flat beside them. */
export type EngineEvent = ActorFields & { type: string } & Record<string, unknown>;

/** The event's payload as recorded in history: everything but the envelope fields. */
export function payloadOf(event: EngineEvent): Record<string, unknown> {
  const { type: _type, actor: _actor, system: _system, ...payload } = event;
  return payload;
}
