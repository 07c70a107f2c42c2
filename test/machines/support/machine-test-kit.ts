import { describe, expect, it } from 'vitest';
import {
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventFromLogic,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';

// Helpers shared by the pure machine unit tests. Each test file keeps its own tables (who may send what, the
// states, the paths to them, the handler table); this module only turns those tables into events, snapshots
// and tests. Snapshots are only ever reached by driving real events from initialTransition.

/** An effect as the engine sees it: a named action with its resolved parameters. */
export type Effect = { type: string; params: unknown };

/** Who an event claims to come from: the actor, plus the flags only the engine (system) or a scope (support) sets. */
export type ActorFields = { actor: string; system?: true; support?: true };

/** Effects as the engine sees them: named actions with their resolved parameters. */
export function effectsOf(actions: ReadonlyArray<{ type: string; params?: unknown }>): Effect[] {
  return actions.map((a) => ({ type: a.type, params: a.params }));
}

export const notify = (to: 'employer' | 'freelancer', type: string): Effect => ({
  type: 'notify',
  params: { to, type },
});

export const cancelTimer = (sendId: string): Effect => ({ type: 'xstate.cancel', params: { sendId } });

/** A snapshot's state as a flat key: the top-level name, or `parent.child` for a nested state. */
export function flatState(snapshot: { value: unknown }): string {
  const value = snapshot.value;
  if (typeof value === 'string') return value;
  return Object.entries(value as Record<string, unknown>)
    .map(([parent, child]) => `${parent}.${String(child)}`)
    .join(',');
}

/** One row of a file's handler table: `event` is handled in `state` and leads to `to`. */
export interface Handler<TState extends string, TEventType extends string, TSender extends string, TSnapshot> {
  state: TState;
  event: TEventType;
  to: TState;
  /** Who may send it here, when the state narrows the event's roles (respondent, filer, non-payer). */
  by?: readonly TSender[];
  /** Where to send it from when the state's representative snapshot fails the event's other guards. */
  from?: () => TSnapshot;
}

type EventTypeOf<TMachine extends AnyStateMachine> = EventFromLogic<TMachine>['type'];

export interface MachineTestKitOptions<TMachine extends AnyStateMachine, TSender extends string> {
  machine: TMachine;
  input: InputFrom<TMachine>;
  /** Each sender's identity; the key order is the order the tables try senders in. */
  actorFields: Record<TSender, ActorFields>;
  /** The roles allowed to send each event; the first is the default sender of `ev`. */
  sendersOf: Record<EventTypeOf<TMachine>, readonly TSender[]>;
  /** The payload `ev` gives each event unless told otherwise. */
  defaultPayload: Record<EventTypeOf<TMachine>, object>;
  /** What a fixture or a transition is compared against a state name by; `snapshot.value` unless given. */
  stateOf?: (snapshot: SnapshotFrom<TMachine>) => unknown;
}

export function machineTestKit<TMachine extends AnyStateMachine, TSender extends string>(
  options: MachineTestKitOptions<TMachine, TSender>,
) {
  type Snapshot = SnapshotFrom<TMachine>;
  type Event = EventFromLogic<TMachine>;
  type EventType = EventTypeOf<TMachine>;

  const { machine, input, actorFields, sendersOf, defaultPayload } = options;
  const can = (snapshot: Snapshot, event: Event): boolean => (snapshot as AnyMachineSnapshot).can(event);
  const valueOf = (snapshot: Snapshot): unknown => (snapshot as AnyMachineSnapshot).value;
  const stateOf = options.stateOf ?? valueOf;

  const SENDERS = Object.keys(actorFields) as TSender[];
  const EVENT_TYPES = Object.keys(sendersOf) as EventType[];

  function firstSender(type: EventType): TSender {
    const [first] = sendersOf[type];
    if (first === undefined) throw new Error(`no sender for ${type}`);
    return first;
  }

  function ev(type: EventType, by: TSender = firstSender(type), payload: object = {}): Event {
    return { type, ...defaultPayload[type], ...payload, ...actorFields[by] } as unknown as Event;
  }

  function start(): Snapshot {
    return initialTransition(machine as AnyStateMachine, input)[0] as Snapshot;
  }

  /** Sends an event the fixture expects to be accepted; a refusal means the fixture is wrong, so it throws. */
  function send(snapshot: Snapshot, event: Event): [Snapshot, Effect[]] {
    if (!can(snapshot, event)) {
      throw new Error(`fixture: ${event.type} refused in ${JSON.stringify(valueOf(snapshot))}`);
    }
    const [next, actions] = transition(machine, snapshot, event);
    return [next, effectsOf(actions)];
  }

  function drive(snapshot: Snapshot, ...events: Event[]): Snapshot {
    return events.reduce<Snapshot>((s, e) => send(s, e)[0], snapshot);
  }

  /** `snapshot`, after checking it is in `state`; a fixture that misses its state throws. */
  function reached(state: string, snapshot: Snapshot): Snapshot {
    if (stateOf(snapshot) !== state)
      throw new Error(`fixture: wanted ${state}, reached ${JSON.stringify(valueOf(snapshot))}`);
    return snapshot;
  }

  function expectRefused(snapshot: Snapshot, event: Event, label = ''): void {
    expect(can(snapshot, event), `can ${label}`).toBe(false);
    const [next, actions] = transition(machine, snapshot, event);
    expect(next, `snapshot ${label}`).toBe(snapshot);
    expect(actions, `actions ${label}`).toEqual([]);
  }

  const armTimer = (type: EventType, id: string, delay: number): Effect => ({
    type: 'xstate.raise',
    params: { event: { type, actor: 'system' }, id, delay },
  });

  /** The raise action's event, delivered as the engine delivers a fired timer: with the system flag. */
  function firedTimer(effects: Effect[], id: string): Event {
    const raise = effects.find((e) => e.type === 'xstate.raise' && (e.params as { id?: string }).id === id);
    if (!raise) throw new Error(`no timer ${id} armed in ${JSON.stringify(effects)}`);
    return { ...(raise.params as { event: Event }).event, system: true };
  }

  /**
   * The two describe blocks every machine file has: each handled event accepted from its senders and refused
   * from every other sender; every state × event pair the handler table leaves out refused from every sender.
   */
  function describeRoleTables<TState extends string>(
    name: string,
    tables: {
      states: readonly TState[];
      handlers: ReadonlyArray<Handler<TState, EventType, TSender, Snapshot>>;
      at: (state: TState) => Snapshot;
      /** Also expect an accepted event to yield a snapshot other than the one it was sent to. */
      acceptedMakesNewSnapshot?: boolean;
    },
  ): void {
    const { states, handlers, at, acceptedMakesNewSnapshot = false } = tables;
    const sendersFor = (h: Handler<TState, EventType, TSender, Snapshot>): readonly TSender[] =>
      h.by ?? sendersOf[h.event];
    const allowed = handlers.flatMap((h) => sendersFor(h).map((by) => ({ ...h, by })));
    const refusedSenders = handlers.flatMap((h) =>
      SENDERS.filter((by) => !sendersFor(h).includes(by)).map((by) => ({ ...h, by })),
    );

    describe(`${name}: who may send what, state by state`, () => {
      for (const { state, event, to, from, by } of allowed) {
        it(`accepts ${event} in ${state} from the ${by} (→ ${to})`, () => {
          const snapshot = from ? from() : at(state);
          const e = ev(event, by);
          expect(can(snapshot, e)).toBe(true);
          const [next] = transition(machine, snapshot, e);
          if (acceptedMakesNewSnapshot) expect(next).not.toBe(snapshot);
          expect(stateOf(next)).toBe(to);
        });
      }

      for (const { state, event, from, by } of refusedSenders) {
        it(`refuses ${event} in ${state} from the ${by}`, () => {
          const snapshot = from ? from() : at(state);
          expectRefused(snapshot, ev(event, by));
        });
      }
    });

    const unhandled = states.flatMap((state) => {
      const handled = new Set(handlers.filter((h) => h.state === state).map((h) => h.event));
      return EVENT_TYPES.filter((event) => !handled.has(event)).map((event) => ({ state, event }));
    });

    describe(`${name}: events a state does not handle`, () => {
      it('covers every state × event pair not in the handler table', () => {
        expect(unhandled.length + handlers.length).toBe(states.length * EVENT_TYPES.length);
      });

      for (const { state, event } of unhandled) {
        it(`refuses ${event} in ${state} from every sender`, () => {
          const snapshot = at(state);
          for (const by of SENDERS) expectRefused(snapshot, ev(event, by), `(${by})`);
        });
      }
    });
  }

  return {
    SENDERS,
    EVENT_TYPES,
    ev,
    start,
    send,
    drive,
    reached,
    stateOf,
    expectRefused,
    armTimer,
    firedTimer,
    describeRoleTables,
  };
}
