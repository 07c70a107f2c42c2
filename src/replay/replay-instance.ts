import type { AnyMachineSnapshot, StateValue } from 'xstate';
import { initialStep, step } from '../engine/machine-step.js';
import type { MachineDefinition } from '../../machines/definition.js';
import { contextMigration, type MigrationParams } from '../../machines/migrations.js';
import type { HistoryRecord } from './history-record.js';
import { jsonDifference, jsonEqual } from './json-difference.js';
import { MIGRATE, machineEventOf, migratePayloadOf, recordedEvent } from './machine-event.js';

/** Everything replay needs about one instance, already read from the database. */
export interface ReplaySource {
  id: string;
  machine: string;
  /** `instances.input`: what the instance's first snapshot was built from (create-project / create-milestone). */
  input: unknown;
  /** The version the instance is pinned to now. */
  version: number;
  seq: number;
  snapshot: { value: StateValue; context: Record<string, unknown> };
  /** Ordered by seq. */
  history: readonly HistoryRecord[];
}

export type MachineResolver = (name: string, version: number) => MachineDefinition;

/** The pure context step a version change applies before resolving (machines/migrations.ts), if any. */
export type MigrationLookup = (
  machine: string,
  from: number,
  to: number,
) => ((context: Record<string, unknown>, params: MigrationParams) => Record<string, unknown>) | null;

export interface ReplayOptions {
  /** Stop the reported steps and `final` at this seq ("time travel"); the verdict still covers everything. */
  toSeq?: number;
  /** Collect every step (the API and console); bulk verification leaves it off to stay lean. */
  keepSteps?: boolean;
  /** Defaults to the registered migrations; tests pass their own. */
  migrations?: MigrationLookup;
}

export interface ReplayStep {
  seq: number;
  event: Record<string, unknown> & { type: string; actor: string };
  role: string;
  machineVersion: number;
  state: StateValue;
}

export type DivergenceKind =
  'gap' | 'state_before' | 'state_after' | 'refused' | 'machine_version' | 'error' | 'seq' | 'snapshot';

/**
 * Where replay and the stored record first disagree. `expected` is what the database recorded (history row or
 * snapshot), `actual` what replaying the log through the machine produced.
 */
export interface Divergence {
  seq: number;
  kind: DivergenceKind;
  message: string;
  expected: unknown;
  actual: unknown;
  /** For snapshot differences: the first differing path, e.g. `context.releasedAmount`. */
  path?: string;
}

export interface ReplayResult {
  steps: ReplayStep[];
  /** The replayed snapshot at `toSeq` (or at the end). */
  final: { seq: number; state: StateValue; context: Record<string, unknown>; machineVersion: number };
  /** Replayed final value + context deep-equal the stored snapshot (over the whole history, whatever `toSeq`). */
  matchesStored: boolean;
  firstDivergence: Divergence | null;
  eventsReplayed: number;
  /** The replayed end snapshot; lets callers ask it for tags without restoring the stored one. */
  snapshot: AnyMachineSnapshot;
  definition: MachineDefinition;
}

/** The version an instance was born on: its first history entry says so (a MIGRATE names where it came from). */
export function startVersion(source: ReplaySource): number {
  const first = source.history[0];
  if (!first) return source.version;
  return first.type === MIGRATE ? migratePayloadOf(first).fromVersion : first.machineVersion;
}

/**
 * Re-runs an instance's history through its pinned machine version(s) from the initial snapshot, comparing
 * every step with what the history recorded and the end with the stored snapshot. Pure: no I/O, no clock.
 * A MIGRATE entry switches machines the way the migration did: the replayed value and context are resolved
 * in the target version's machine. Corrupt data never throws out of here; it becomes a divergence.
 */
export function replayInstance(
  source: ReplaySource,
  resolve: MachineResolver,
  options: ReplayOptions = {},
): ReplayResult {
  const run = new Replay(source, resolve, options);
  for (const record of source.history) if (!run.apply(record)) break;
  return run.finish();
}

const valueOf = (snapshot: AnyMachineSnapshot): StateValue => snapshot.value as StateValue;
const contextOf = (snapshot: AnyMachineSnapshot): Record<string, unknown> =>
  snapshot.context as Record<string, unknown>;

/** One replay in progress: the machine and snapshot it has reached, and the first divergence it met. */
class Replay {
  private def: MachineDefinition;
  private snapshot: AnyMachineSnapshot;
  private divergence: Divergence | null = null;
  private readonly steps: ReplayStep[] = [];
  private final: ReplayResult['final'];
  private readonly toSeq: number;
  private expectedSeq = 1;
  private lastSeq = 0;
  private eventsReplayed = 0;

  constructor(
    private readonly source: ReplaySource,
    private readonly resolve: MachineResolver,
    private readonly options: ReplayOptions,
  ) {
    this.toSeq = options.toSeq ?? Number.POSITIVE_INFINITY;
    this.def = resolve(source.machine, startVersion(source));
    this.snapshot = initialStep(this.def.machine, source.input)[0];
    this.final = {
      seq: 0,
      state: valueOf(this.snapshot),
      context: contextOf(this.snapshot),
      machineVersion: this.def.version,
    };
  }

  private diverge(d: Divergence): void {
    this.divergence ??= d;
  }

  /** Replays one history record; false when replay cannot go on (a step threw). */
  apply(record: HistoryRecord): boolean {
    this.checkBefore(record);
    try {
      if (record.type === MIGRATE) this.migrate(record);
      else this.step(record);
    } catch (error) {
      this.diverge({
        seq: record.seq,
        kind: 'error',
        message: `Replay failed at seq ${record.seq} (${record.type}): ${(error as Error).message}`,
        expected: record.toState,
        actual: this.snapshot.value,
      });
      return false;
    }
    this.checkAfter(record);
    return true;
  }

  private checkBefore(record: HistoryRecord): void {
    if (record.seq !== this.expectedSeq) {
      this.diverge({
        seq: record.seq,
        kind: 'gap',
        message: `History jumps from seq ${this.expectedSeq - 1} to ${record.seq}.`,
        expected: this.expectedSeq,
        actual: record.seq,
      });
    }
    this.expectedSeq = record.seq + 1;
    this.lastSeq = record.seq;
    if (!jsonEqual(this.snapshot.value, record.fromState)) {
      this.diverge({
        seq: record.seq,
        kind: 'state_before',
        message: `Before seq ${record.seq} (${record.type}) the history says ${show(record.fromState)}, replay is in ${show(this.snapshot.value)}.`,
        expected: record.fromState,
        actual: this.snapshot.value,
      });
    }
  }

  private migrate(record: HistoryRecord): void {
    const { fromVersion, toVersion } = migratePayloadOf(record);
    if (fromVersion !== this.def.version) {
      this.diverge({
        seq: record.seq,
        kind: 'machine_version',
        message: `MIGRATE from version ${fromVersion}, but replay is on version ${this.def.version}.`,
        expected: fromVersion,
        actual: this.def.version,
      });
    }
    const migrate = (this.options.migrations ?? contextMigration)(this.source.machine, fromVersion, toVersion);
    this.def = this.resolve(this.source.machine, toVersion);
    // Exactly what the migration command did: the registered context step with the parameters it recorded
    // (none registered: the context as it is), then the target version resolves value and context.
    const params = (record.payload.params ?? {}) as MigrationParams;
    const context = migrate ? migrate(contextOf(this.snapshot), params) : contextOf(this.snapshot);
    this.snapshot = this.def.machine.resolveState({ value: valueOf(this.snapshot), context });
  }

  private step(record: HistoryRecord): void {
    if (record.machineVersion !== this.def.version) {
      this.diverge({
        seq: record.seq,
        kind: 'machine_version',
        message: `Seq ${record.seq} was applied by version ${record.machineVersion}, replay is on version ${this.def.version}.`,
        expected: record.machineVersion,
        actual: this.def.version,
      });
    }
    const event = machineEventOf(record);
    const next = step(this.def.machine, this.snapshot, event)[0];
    // A step hands back the same snapshot object when no transition was taken; can() tells a refused
    // event from an enabled one that changed nothing, and is only paid on that rare path.
    if (next === this.snapshot && !this.snapshot.can(event)) {
      this.diverge({
        seq: record.seq,
        kind: 'refused',
        message: `The machine refuses ${record.type} in ${show(this.snapshot.value)} on replay.`,
        expected: record.toState,
        actual: this.snapshot.value,
      });
    }
    this.snapshot = next;
    this.eventsReplayed++;
  }

  private checkAfter(record: HistoryRecord): void {
    const value = valueOf(this.snapshot);
    if (!jsonEqual(value, record.toState)) {
      this.diverge({
        seq: record.seq,
        kind: 'state_after',
        message: `After seq ${record.seq} (${record.type}) the history says ${show(record.toState)}, replay gives ${show(value)}.`,
        expected: record.toState,
        actual: value,
      });
    }
    if (record.seq > this.toSeq) return;
    if (this.options.keepSteps) {
      this.steps.push({
        seq: record.seq,
        event: recordedEvent(record),
        role: record.role,
        machineVersion: this.def.version,
        state: value,
      });
    }
    this.final = { seq: record.seq, state: value, context: contextOf(this.snapshot), machineVersion: this.def.version };
  }

  /** The verdict over the whole history: where it ends, on which version, and the stored snapshot compared. */
  finish(): ReplayResult {
    const { source, def } = this;
    if (this.lastSeq !== source.seq) {
      this.diverge({
        seq: Math.max(this.lastSeq, source.seq),
        kind: 'seq',
        message: `History ends at seq ${this.lastSeq}, the instance is at seq ${source.seq}.`,
        expected: source.seq,
        actual: this.lastSeq,
      });
    }
    if (def.version !== source.version) {
      this.diverge({
        seq: source.seq,
        kind: 'machine_version',
        message: `Replay ends on version ${def.version}, the instance is pinned to ${source.version}.`,
        expected: source.version,
        actual: def.version,
      });
    }
    const replayed = { value: valueOf(this.snapshot), context: contextOf(this.snapshot) };
    const stored = { value: source.snapshot.value, context: source.snapshot.context };
    const path = jsonDifference(stored, replayed);
    if (path !== null) {
      this.diverge({
        seq: source.seq,
        kind: 'snapshot',
        message: `The stored snapshot differs from the replayed one at ${path}.`,
        expected: { state: stored.value, context: stored.context },
        actual: { state: replayed.value, context: replayed.context },
        path,
      });
    }
    return {
      steps: this.steps,
      final: this.final,
      matchesStored: path === null,
      firstDivergence: this.divergence,
      eventsReplayed: this.eventsReplayed,
      snapshot: this.snapshot,
      definition: def,
    };
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
