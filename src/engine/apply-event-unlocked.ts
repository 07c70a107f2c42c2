import type { Knex } from 'knex';
import type { MachineName } from '../../machines/registry.js';
import { Batcher, type BatcherLimits } from '../db/batcher.js';
import { inTransaction } from '../db/transaction.js';
import { applyEvent } from './apply-event.js';
import { createMilestone, creatingEvent, planMilestone, type CreateMilestoneRequest } from './create-milestone.js';
import type { Created } from './create-project.js';
import type { EngineEvent } from './engine-event.js';
import { InstanceReader } from './instance-reader.js';
import { draftRow } from './new-instance.js';
import type { InstanceRules } from './instance-rules.js';
import { prepareEvent, type ApplyOptions, type Applied, type EventCause } from './prepare-event.js';
import { rowAfter, writeTransitions, type TransitionWrite, type WriteOutcome } from './write-transition.js';

// Lost compare-and-set races before falling back to the locking path (which queues instead of racing).
const MAX_RACES = 3;

/** Writes that succeed or fail together (a new milestone and the event it derives for its project). */
type WriteGroup = readonly TransitionWrite[];

const UNIQUE_VIOLATION = '23505';

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
 * Events whose effects need more statements (timers, fee holds) or touch other instances (derived project
 * events) go through applyEvent in one transaction, as does an event that keeps losing races. Creating a
 * milestone is the one derived case done here: the new row and its project's event are one write group.
 */
export class UnlockedEvents {
  private readonly reader: InstanceReader;
  private readonly writer: Batcher<WriteGroup, WriteOutcome[]>;

  constructor(
    private readonly db: Knex,
    limits: BatcherLimits,
  ) {
    this.reader = new InstanceReader(db, limits);
    this.writer = new Batcher(
      (groups) => writeGroups(db, groups),
      limits,
      (batch, group) => !group.some((w) => batch.some((other) => other.some((o) => o.instanceId === w.instanceId))),
    );
  }

  async apply(
    machine: MachineName,
    instanceId: string,
    event: EngineEvent,
    options: ApplyOptions = {},
  ): Promise<Applied> {
    for (let race = 0; race < MAX_RACES; race++) {
      const row = await this.reader.read(instanceId, machine);
      // Refusals (404, 409, 403, 422) throw from here, judged on the state that was read, exactly as they would
      // be under the lock: a later change of state would only have made the same check run on newer data.
      const { write, plan } = prepareEvent(row, machine, event, options);
      if (plan.statements.length > 0 || plan.derived.length > 0) break;
      const [outcome] = await this.writer.submit([write]);
      if (outcome === 'busy') break;
      if (outcome !== 'moved') return { row: rowAfter(row, write, outcome!), seq: write.seq };
      // Another event was applied in between: judge again on the new state (with If-Match, that is a 409).
    }
    return inTransaction(this.db, (trx) => applyEvent(trx, machine, instanceId, event, options));
  }

  /**
   * Creates a milestone (POST /v1/projects/:id/milestones) as one write group: the new row with its creating
   * event, and the event it derives for the project, compare-and-set on the project's seq. A client-chosen id
   * that exists, or is taken meanwhile, and anything that needs more statements, go to the locking path.
   */
  async create(
    projectId: string,
    request: CreateMilestoneRequest,
    rules: InstanceRules,
    cause: EventCause = {},
  ): Promise<Created> {
    for (let race = 0; race < MAX_RACES; race++) {
      const [project, existing] = await Promise.all([
        this.reader.read(projectId, 'project'),
        request.id === undefined ? null : this.reader.find(request.id),
      ]);
      if (existing) break;
      const draft = draftRow(planMilestone(project, request, rules));
      const own = prepareEvent(draft, 'milestone', creatingEvent(request), cause);
      const [derived, ...more] = own.plan.derived;
      if (own.plan.statements.length > 0 || !derived || more.length > 0 || derived.instanceId !== project.id) break;
      const projectEvent = prepareEvent(project, 'project', derived.event, { origin: 'system', ...cause });
      if (projectEvent.plan.statements.length > 0 || projectEvent.plan.derived.length > 0) break;
      const creation: TransitionWrite = {
        ...own.write,
        creates: { machine: draft.machine, version: draft.version, input: draft.input, projectId },
        with: 0,
      };
      let outcomes: WriteOutcome[];
      try {
        outcomes = await this.writer.submit([projectEvent.write, creation]);
      } catch (error) {
        // The id was taken between the read and the write: the locking path answers as for any repeat.
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) break;
        throw error;
      }
      const [projectOutcome, milestoneOutcome] = outcomes;
      if (projectOutcome === 'busy') break;
      if (typeof milestoneOutcome === 'object')
        return { row: rowAfter(draft, creation, milestoneOutcome), created: true };
      // The project moved on (another milestone, a project event): judge again on its new state.
    }
    return inTransaction(this.db, (trx) => createMilestone(trx, projectId, request, rules, cause));
  }
}

/** Write groups as one statement: positions within a group become positions within the whole batch. */
async function writeGroups(db: Knex, groups: readonly WriteGroup[]): Promise<WriteOutcome[][]> {
  const flat: TransitionWrite[] = [];
  for (const group of groups) {
    const offset = flat.length;
    flat.push(...group.map((w) => (w.with === undefined ? w : { ...w, with: w.with + offset })));
  }
  const written = await writeTransitions(db, flat);
  let at = 0;
  return groups.map((group) => {
    const slice = written.slice(at, at + group.length);
    at += group.length;
    return slice;
  });
}
