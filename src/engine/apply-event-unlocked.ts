import type { Knex } from 'knex';
import type { MachineName } from '../../machines/registry.js';
import { Batcher, type BatcherLimits } from '../db/batcher.js';
import { inTransaction } from '../db/transaction.js';
import type { SignalBus } from '../signals/signal-bus.js';
import { applyEvent } from './apply-event.js';
import { createMilestone, creatingEvent, planMilestone, type CreateMilestoneRequest } from './create-milestone.js';
import type { Created } from './create-project.js';
import type { EngineEvent } from './engine-event.js';
import { InstanceReader } from './instance-reader.js';
import type { InstanceRow } from './instance-row.js';
import { draftRow } from './new-instance.js';
import type { InstanceRules } from './instance-rules.js';
import { prepareEvent, type ApplyOptions, type Applied, type EventCause, type PreparedEvent } from './prepare-event.js';
import { RememberedRows, type Remembered } from './remembered-rows.js';
import { compareAndSetDependency, mayCompareAndSet } from './fast-path.js';
import { rowAfter, type TransitionWrite, type WriteOutcome } from './transition-write.js';
import { writeCreations, type Creation, type CreationOutcome } from './write-creations.js';
import { writeUpdates } from './write-updates.js';
import { NEW_INSTANCE_FACTS, withViewFacts, type ViewRow } from './view-row.js';

// Lost compare-and-set races before falling back to the locking path (which queues instead of racing).
const MAX_RACES = 3;

const UNIQUE_VIOLATION = '23505';

/**
 * Whether the write left outbox rows for the relay (settlement commands, transition rows for webhooks): the caller
 * wakes the relay only then. An event that only moved its instance and wrote history and notifications (a cancel
 * request with no webhook live) has nothing to relay, and a wasted relay pass costs five statements. The locking
 * path may have armed a timer, which the relay schedules, so it always says true.
 */
export interface RelayHint {
  relay: boolean;
}

/**
 * Applies events without holding a lock across round trips: read the instance, check and transition it, then
 * write everything in one statement that only matches while the instance is still at the seq that was read (a
 * compare-and-set in place of BEGIN, SELECT … FOR UPDATE and COMMIT). That statement is its own transaction,
 * committed before apply() returns, so the event is as durable and as atomic as on the locking path.
 *
 * Group commit: reads and writes that arrive while earlier ones are in flight share a statement (Batcher). Each
 * event in a shared write still stands alone: its compare-and-set gates only its own rows, and one that lost its
 * race is judged again on the new state without touching the others. Two events for one instance never share a
 * write (the second would always lose); it waits for the next. An event whose instance another transaction holds
 * locked (a settlement batch holding a project) is not waited for in the shared statement: it goes alone to the
 * locking path, which waits for that lock without holding up anyone else.
 *
 * The row an event is judged on is the one this process last wrote for the instance when it remembers it (decision
 * 16, remembered-rows.ts), so an instance driven through this process is only written, not read; the
 * compare-and-set is what makes that safe.
 *
 * Events whose effects need more statements (timers, fee holds) or touch other instances (derived project
 * events) go through applyEvent in one transaction (fast-path.ts decides), as does an event that keeps losing
 * races. Creating a milestone is the one derived case done here: the new row and its project's event go in one
 * statement of their own (write-creations.ts), batched apart from the updates.
 */
export class UnlockedEvents {
  private readonly reader: InstanceReader;
  private readonly updates: Batcher<TransitionWrite, WriteOutcome>;
  private readonly creations: Batcher<Creation, CreationOutcome>;
  private readonly remembered: RememberedRows<ViewRow>;

  constructor(
    private readonly db: Knex,
    limits: BatcherLimits & { rememberedRows: number },
  ) {
    this.reader = new InstanceReader(db, limits);
    this.remembered = new RememberedRows(limits.rememberedRows);
    // Two events for one instance never share a statement (the second would always lose); it waits for the next.
    this.updates = new Batcher(
      (writes) => writeUpdates(db, writes),
      limits,
      (batch, write) => !batch.some((other) => other.instanceId === write.instanceId),
    );
    this.creations = new Batcher(
      (creations) => writeCreations(db, creations),
      limits,
      (batch, c) =>
        !batch.some(
          (o) => o.dependsOn.instanceId === c.dependsOn.instanceId || o.write.instanceId === c.write.instanceId,
        ),
    );
  }

  /** Applies the event; the row comes with its view's facts as the event left them (view-row.ts). */
  async apply(
    machine: MachineName,
    instanceId: string,
    event: EngineEvent,
    options: ApplyOptions = {},
  ): Promise<Applied<ViewRow> & RelayHint> {
    let remembered = this.remembered.get(instanceId, machine);
    for (let race = 0; race < MAX_RACES; race++) {
      const { row, prepared, fromMemory } = await this.judge(instanceId, machine, event, options, remembered);
      remembered = undefined;
      if (!mayCompareAndSet(prepared)) break;
      const outcome = await this.updates.submit(prepared.write);
      if (outcome === 'busy') break;
      if (outcome !== 'moved') {
        // Facts come from the statement for a remembered row, from the read otherwise (rowAfter keeps them).
        const after = { ...rowAfter(row, prepared.write, outcome), ...(outcome.facts ?? {}) };
        this.rememberUnlessSettling(after, prepared.write, outcome.stamp);
        return { row: after, seq: prepared.write.seq, relay: outcome.relay };
      }
      // Another event was applied in between: judge again on the new state (with If-Match, that is a 409). A
      // remembered row that lost its race to another process means that one drives this instance too; one that
      // lost it to this process's own concurrent event was replaced by that event's row, which stays.
      if (!fromMemory) this.remembered.forget(instanceId);
      else if (!this.remembered.rewrittenSince(instanceId, prepared.write.stamp!))
        this.remembered.contested(instanceId);
    }
    this.remembered.forget(instanceId);
    const applied = await inTransaction(this.db, async (trx) => {
      const applied = await applyEvent(trx, machine, instanceId, event, options);
      return { ...applied, row: await withViewFacts(trx, applied.row), relay: true };
    });
    // The events it derived may have moved the milestone's project.
    this.forgetProjectOf(applied.row);
    return applied;
  }

  /**
   * The event checked and run on the instance's row: the one this process last wrote when it remembers it, else
   * one read now. Refusals (404, 409, 403, 422) throw from here, judged on the state that was read, exactly as they
   * would be under the lock: a later change of state would only have made the same check run on newer data. A
   * remembered row may be behind the stored one (another process moved the instance), so a refusal on it is never
   * answered: the event is judged again on a fresh read (and when that accepts it, the instance is marked as driven
   * elsewhere too). An event it accepts carries the remembered write's stamp and is written only if the instance
   * still carries it and the seq (the compare-and-set), so it is never written on an outdated state either.
   */
  private async judge(
    instanceId: string,
    machine: MachineName,
    event: EngineEvent,
    options: ApplyOptions,
    remembered: Remembered<ViewRow> | undefined,
  ): Promise<{ row: ViewRow; prepared: PreparedEvent; fromMemory: boolean }> {
    if (remembered) {
      try {
        const prepared = prepareEvent(remembered.row, machine, event, options);
        const stamped = { ...prepared, write: { ...prepared.write, stamp: remembered.stamp } };
        return { row: remembered.row, prepared: stamped, fromMemory: true };
      } catch {
        this.remembered.forget(instanceId);
      }
    }
    const row = await this.reader.read(instanceId, machine);
    const prepared = prepareEvent(row, machine, event, options);
    // Refused on the remembered row, accepted on the stored one: the remembered row was behind.
    if (remembered) this.remembered.contested(instanceId);
    return { row, prepared, fromMemory: false };
  }

  /**
   * Remembers the row as written, unless its event sent money to be settled: the settlement worker moves the
   * instance on within milliseconds, so the remembered row would only cost the next event a lost race. Its project
   * is forgotten then too: a settled release or refund moves the project (MILESTONE_RELEASED, MILESTONE_CLOSED).
   */
  private rememberUnlessSettling(row: ViewRow, write: TransitionWrite, stamp: string): void {
    if (write.outbox.some((entry) => entry.topic === 'settlement')) {
      this.remembered.forget(row.id);
      this.forgetProjectOf(row);
    } else {
      this.remembered.remember(row, stamp);
    }
  }

  /** Forgets the instance's remembered row: the caller moves it another way (an event under an Idempotency-Key). */
  forget(instanceId: string): void {
    this.remembered.forget(instanceId);
  }

  /**
   * Forgets each instance another process says it changed (the workers' settlements name a milestone's project
   * when they moved it): its remembered row would only cost the next event a lost race, a creation's the heaviest
   * write of the hot path. A hint: one that is lost or late costs that race, never a wrong write.
   */
  forgetOnSignals(signals: SignalBus): void {
    signals.onInstanceChanged((id) => this.remembered.forget(id));
  }

  /** Forgets the remembered row of the milestone's project: the caller's event moved it, or will have it moved. */
  forgetProjectOf(row: InstanceRow): void {
    if (row.project_id !== null) this.remembered.forget(row.project_id);
  }

  /**
   * Creates a milestone (POST /v1/projects/:id/milestones) with its project's event in one statement,
   * compare-and-set on the project's seq, judged again when the project moved on. The project is judged on the row
   * this process remembers from its last creation there (decision 17), else on one read now, so a project whose
   * milestones are created through this process is only written, not read. A client-chosen id that exists (found by
   * the statement), or is taken meanwhile, a project another transaction holds, and anything that needs more
   * statements go to the locking path.
   */
  async create(
    projectId: string,
    request: CreateMilestoneRequest,
    rules: InstanceRules,
    cause: EventCause = {},
  ): Promise<Created<ViewRow> & RelayHint> {
    let remembered = this.remembered.get(projectId, 'project');
    for (let race = 0; race < MAX_RACES; race++) {
      const attempt = await this.tryCreate(projectId, request, rules, cause, remembered);
      remembered = undefined;
      if (attempt === 'locking') break;
      if (attempt !== 'moved') return attempt;
    }
    this.remembered.forget(projectId);
    return inTransaction(this.db, async (trx) => {
      const { row, created } = await createMilestone(trx, projectId, request, rules, cause);
      return { row: await withViewFacts(trx, row), created, relay: true };
    });
  }

  /**
   * One compare-and-set attempt: created, `moved` (the project changed: judge again) or `locking`. A project row
   * from memory that lost its race to another process marks the project as driven elsewhere too (the workers'
   * changes are signalled and forgotten before they cost a race); one that lost it to this process's own
   * concurrent creation was replaced by that creation's row, which stays.
   */
  private async tryCreate(
    projectId: string,
    request: CreateMilestoneRequest,
    rules: InstanceRules,
    cause: EventCause,
    remembered: Remembered<ViewRow> | undefined,
  ): Promise<(Created<ViewRow> & RelayHint) | 'moved' | 'locking'> {
    const judged = await this.judgeCreation(projectId, request, rules, cause, remembered);
    if (judged === 'locking') return 'locking';
    const { project, draft, own, projectEvent } = judged;
    const creates = { machine: draft.machine, version: draft.version, input: draft.input, projectId };
    let outcome: CreationOutcome;
    try {
      outcome = await this.creations.submit({ write: own.write, creates, dependsOn: projectEvent.write });
    } catch (error) {
      // The id was taken after the statement's snapshot: the locking path answers as for any repeat.
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return 'locking';
      throw error;
    }
    // A repeat (or a conflicting create) is answered by the locking path, from what is there.
    if (outcome === 'taken') return 'locking';
    const { created: written, dependency } = outcome;
    if (written && typeof dependency === 'object') {
      const projectAfter = { ...rowAfter(project, projectEvent.write, dependency), ...(dependency.facts ?? {}) };
      this.remembered.remember(projectAfter, dependency.stamp);
      const relay = written.relay || dependency.relay;
      return { row: { ...rowAfter(draft, own.write, written), ...NEW_INSTANCE_FACTS }, created: true, relay };
    }
    const stamp = projectEvent.write.stamp;
    if (stamp === undefined || dependency === 'busy') this.remembered.forget(projectId);
    else if (!this.remembered.rewrittenSince(projectId, stamp)) this.remembered.contested(projectId);
    return dependency === 'busy' ? 'locking' : 'moved';
  }

  /**
   * The creation checked and run on the project: on the remembered row when there is one, else on one read now.
   * Refusals throw from the read row's judgement only; one on a remembered row (which may be behind) is judged
   * again on a read. With a client-chosen id, a refusal goes to the locking path instead, which answers a repeat
   * of an earlier creation before any rule is checked (docs/api.md), as this path cannot without a read.
   */
  private async judgeCreation(
    projectId: string,
    request: CreateMilestoneRequest,
    rules: InstanceRules,
    cause: EventCause,
    remembered: Remembered<ViewRow> | undefined,
  ) {
    if (remembered) {
      try {
        const judged = judgeCreationOn(remembered.row, request, rules, cause);
        if (judged === 'locking') return judged;
        const dependsOn = { ...judged.projectEvent.write, stamp: remembered.stamp };
        return { ...judged, projectEvent: { ...judged.projectEvent, write: dependsOn } };
      } catch {
        this.remembered.forget(projectId);
      }
    }
    const project = await this.reader.read(projectId, 'project');
    try {
      return judgeCreationOn(project, request, rules, cause);
    } catch (refusal) {
      if (request.id !== undefined) return 'locking';
      throw refusal;
    }
  }
}

/** A creation judged on a project row, without I/O: `locking` when it needs more than the one shared statement. */
function judgeCreationOn(project: ViewRow, request: CreateMilestoneRequest, rules: InstanceRules, cause: EventCause) {
  const draft = draftRow(planMilestone(project, request, rules));
  const own = prepareEvent(draft, 'milestone', creatingEvent(request), cause);
  const derived = compareAndSetDependency(own, project.id);
  if (derived === null) return 'locking';
  const projectEvent = prepareEvent(project, 'project', derived.event, { origin: 'system', ...cause });
  if (!mayCompareAndSet(projectEvent)) return 'locking';
  return { project, draft, own, projectEvent };
}
