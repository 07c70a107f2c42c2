/** An event as a caller hands it to the engine: type, acting user, and the payload fields beside them. */
export type EngineEvent = { type: string; actor: string } & Record<string, unknown>;

/** The event's payload as recorded in history: everything but the envelope fields. */
export function payloadOf(event: EngineEvent): Record<string, unknown> {
  const { type: _type, actor: _actor, system: _system, ...payload } = event;
  return payload;
}
