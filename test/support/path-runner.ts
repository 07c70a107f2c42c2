import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import { availableEvents } from '../../src/engine/availability.js';
import type { PathEvent } from '../../src/paths/event-cases.js';
import type { GeneratedPath } from '../../src/paths/generate.js';
import { modelInput } from '../../src/paths/model-input.js';
import { activeStateIds, takenTransitions } from '../../src/paths/transitions.js';
import { QUEUE_NAMES, timerJobId } from '../../src/jobs/queues.js';
import { eventually } from './eventually.js';
import type { HttpClient } from './http-client.js';
import { MILESTONE_AMOUNT } from '../../src/paths/placeholders.js';
import { deposit, uid, waitSettled } from './scenario.js';
import type { TestService } from './test-service.js';
import type { Json } from './json.js';

/** What a run visited, in the model's terms (the live service is asserted equal to the model at every step). */
export interface Coverage {
  states: Set<string>;
  transitions: Set<string>;
}

const TIMER_EVENTS = new Set([
  'RESPONSE_TIMEOUT',
  'ARBITRATION_FEE_TIMEOUT',
  'FEEDBACK_WINDOW_CLOSED',
  'CANCEL_REQUEST_TIMEOUT',
]);
const FUNDING_EVENTS = new Set(['CREATE', 'ACCEPT_REQUEST', 'FUND']);

/** Drives generated paths through the real HTTP API and workers, asserting the model's view after each step. */
export class PathRunner {
  private readonly queue: Queue;
  private readonly redis: Redis;
  private deploymentId = '';
  /** Adjustment paths: the support client proposals go through (decisions come through another). */
  private proposer: HttpClient | undefined;

  constructor(
    private readonly svc: TestService,
    private readonly def: MachineDefinition,
    private readonly coverage: Coverage,
    /** A client with events:write and read but not support: its outsiders have no role at all. */
    private readonly plain: HttpClient,
  ) {
    this.redis = new Redis(svc.config.REDIS_URL, { maxRetriesPerRequest: null });
    this.queue = new Queue(QUEUE_NAMES.timer, { connection: this.redis, prefix: svc.config.bullmqPrefix });
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit();
  }

  async run(path: GeneratedPath): Promise<void> {
    if (!this.deploymentId) this.deploymentId = String((await this.svc.db('deployment').first('id'))?.id);
    const world = await this.setUp();
    let [model] = initialTransition(this.def.machine, modelInput(this.def) as never);
    this.visit(model);
    for (const [i, event] of path.events.entries()) {
      const next = path.events[i + 1];
      for (const t of takenTransitions(this.def.machine, model, event)) this.coverage.transitions.add(t);
      const [after] = transition(this.def.machine, model, event as never);
      const label = `${event.type} by ${event.role} (step ${i + 1})`;
      if (TIMER_EVENTS.has(event.type)) {
        // What a timer leads to may settle on its own right after; its history entry is the state it produced.
        const entry = await this.advanceTimer(world, event.type);
        expect({ type: entry.type, role: entry.role, to: entry.to }, label).toEqual({
          type: event.type,
          role: 'system',
          to: after.value,
        });
        // The view too, unless settlement already moved it on (the next step, SETTLED, then compares it).
        const live = (await this.svc.http.get(`${this.base()}/${world.instanceId}`)).body as Live;
        if (live.seq === entry.seq) this.expectSame(live, after, label);
      } else {
        this.expectSame(await this.step(world, event, next, model), after, label);
      }
      model = after;
      this.visit(model);
    }
  }

  private visit(snapshot: AnyMachineSnapshot): void {
    for (const id of activeStateIds(snapshot)) this.coverage.states.add(id);
  }

  /** A fresh project (and, for milestone paths, its parties) or owner per path: paths never share data. */
  private async setUp(): Promise<World> {
    if (this.def.name === 'payout' || this.def.name === 'adjustment') {
      // The owner holds what the model's REQUEST (or a negative adjustment) asks for, so its transfer goes through.
      const owner = uid('own');
      await deposit(this.svc.http, owner, MILESTONE_AMOUNT);
      return { employer: '', freelancer: '', owner, projectId: '', instanceId: '', openMilestones: [] };
    }
    const employer = uid('emp');
    const freelancer = uid('fl');
    const created = await this.svc.http.post('/v1/projects', {
      employerId: employer,
      title: 'Model path',
      currency: 'USD',
    });
    expect(created.status).toBe(201);
    const world: World = {
      employer,
      freelancer,
      owner: '',
      projectId: created.body.id,
      instanceId: created.body.id,
      openMilestones: [],
    };
    if (this.def.name === 'milestone') {
      await this.post(`/v1/projects/${world.projectId}/events`, {
        type: 'AWARD',
        actor: employer,
        freelancerId: freelancer,
      });
      await this.post(`/v1/projects/${world.projectId}/events`, { type: 'ACCEPT_AWARD', actor: freelancer });
      world.instanceId = '';
    }
    return world;
  }

  private actorFor(world: World, event: PathEvent): string {
    if (event.role === 'employer') return world.employer;
    if (event.role === 'freelancer') return world.freelancer;
    if (event.role === 'owner') return world.owner;
    return uid('staff');
  }

  private async step(
    world: World,
    event: PathEvent,
    next: PathEvent | undefined,
    model: AnyMachineSnapshot,
  ): Promise<Live> {
    if (event.role === 'system') return this.systemStep(world, event);
    await this.prepareMoney(world, event, next, model);
    await this.expectRefusedForOtherRoles(world, event);
    const { role: _role, system: _system, support: _support, actor: _actor, ...fields } = event;
    const body = {
      ...fields,
      actor: this.actorFor(world, event),
      ...(event.type === 'AWARD' ? { freelancerId: world.freelancer } : {}),
    };
    if (this.def.name === 'milestone' && (event.type === 'CREATE' || event.type === 'REQUEST')) {
      const res = await this.post(`/v1/projects/${world.projectId}/milestones`, body, 201);
      world.instanceId = res.id;
      return res;
    }
    if (this.def.name === 'adjustment' && event.type === 'PROPOSE') {
      // Proposed through a client of its own: the decision (through svc.http) passes the four-eyes client rule.
      this.proposer ??= await this.svc.clientWith(['support', 'read']);
      const { type: _type, ...proposal } = body;
      const res = await this.proposer.post('/v1/adjustments', { ownerId: world.owner, currency: 'USD', ...proposal });
      expect(res.status, `propose → ${JSON.stringify(res.body)}`).toBe(201);
      world.instanceId = res.body.id;
      return res.body;
    }
    if (this.def.name === 'payout' && event.type === 'REQUEST') {
      const { type: _type, ...request } = body;
      const res = await this.post(`/v1/accounts/${world.owner}/payouts`, { currency: 'USD', ...request }, 201);
      world.instanceId = res.id;
      return res;
    }
    return this.post(`${this.base()}/${world.instanceId}/events`, body);
  }

  /** Funding succeeds or fails as the path says: deposit exactly what the next SETTLED needs, else nothing. */
  private async prepareMoney(
    world: World,
    event: PathEvent,
    next: PathEvent | undefined,
    model: AnyMachineSnapshot,
  ): Promise<void> {
    if (this.def.name !== 'milestone') return;
    if (FUNDING_EVENTS.has(event.type) && next?.type === 'SETTLED') {
      const amount =
        event.type === 'FUND' || event.type === 'ACCEPT_REQUEST' ? String(model.context.amount) : String(event.amount);
      await deposit(this.svc.http, world.employer, amount);
    }
    if (event.type === 'PAY_ARBITRATION_FEE') {
      const payer = event.role === 'employer' ? world.employer : world.freelancer;
      await deposit(this.svc.http, payer, String(model.context.disputeRules.arbitrationFee));
    }
  }

  /** Each user event is also tried by a role that may not send it: 403 and no change. */
  private async expectRefusedForOtherRoles(world: World, event: PathEvent): Promise<void> {
    if (!world.instanceId || ['CREATE', 'REQUEST', 'PROPOSE'].includes(event.type)) return;
    const allowed = this.def.roles[event.type] ?? [];
    const refused =
      this.def.name === 'payout' || this.def.name === 'adjustment'
        ? allowed.includes('owner')
          ? uid('outsider')
          : world.owner
        : !allowed.includes('employer')
          ? world.employer
          : !allowed.includes('freelancer')
            ? world.freelancer
            : uid('outsider');
    const { role: _role, system: _system, support: _support, actor: _actor, ...fields } = event;
    const before = await this.svc.http.get(`${this.base()}/${world.instanceId}`);
    const res = await this.plain.post(`${this.base()}/${world.instanceId}/events`, { ...fields, actor: refused });
    expect(res.status, `${event.type} by a refused role: ${JSON.stringify(res.body)}`).toBe(403);
    const after = await this.svc.http.get(`${this.base()}/${world.instanceId}`);
    expect(after.body.seq).toBe(before.body.seq);
  }

  private async systemStep(world: World, event: PathEvent): Promise<Live> {
    if (event.type === 'SETTLED' || event.type === 'SETTLEMENT_FAILED')
      return waitSettled(this.svc.http, world.instanceId);
    return this.milestoneOfProject(world, event);
  }

  /**
   * Time moves forward for one armed timer: its fire time becomes now and its delayed job is promoted, so the
   * real timers worker fires it (no sleeping through the configured duration).
   */
  private async advanceTimer(world: World, type: string): Promise<Live> {
    const [timer] = await this.svc
      .db('timers')
      .where({ instance_id: world.instanceId, status: 'armed' })
      .whereRaw("event->>'type' = ?", [type])
      .update({ fire_at: this.svc.db.fn.now() })
      .returning('id');
    expect(timer, `an armed ${type} timer`).toBeDefined();
    await eventually(async () => {
      const job = await this.queue.getJob(timerJobId(this.deploymentId, timer.id));
      expect(job).toBeDefined();
      if ((await job!.getState()) === 'delayed') await job!.promote();
    });
    return eventually(async () => {
      const history = (await this.svc.http.get(`${this.base()}/${world.instanceId}/history`)).body.items as Live[];
      const entry = history.find((h) => h.type === type && h.payload.timerId === String(timer.id));
      expect(entry, `history entry of ${type}`).toBeDefined();
      return entry!;
    });
  }

  /** Project paths: each MILESTONE_* event is produced by doing the real thing to a milestone of the project. */
  private async milestoneOfProject(world: World, event: PathEvent): Promise<Live> {
    const { employer, freelancer, projectId } = world;
    switch (event.type) {
      case 'MILESTONE_REQUESTED':
        await this.post(
          `/v1/projects/${projectId}/milestones`,
          { type: 'REQUEST', actor: freelancer, amount: '100', description: 'r' },
          201,
        );
        break;
      case 'MILESTONE_OPENED': {
        await deposit(this.svc.http, employer, '100');
        const m = await this.post(
          `/v1/projects/${projectId}/milestones`,
          { type: 'CREATE', actor: employer, amount: '100', description: 'o' },
          201,
        );
        expect((await waitSettled(this.svc.http, m.id)).state).toBe('in_progress');
        world.openMilestones.push(m.id);
        break;
      }
      case 'MILESTONE_RELEASED': {
        // A partial release of 1 keeps the milestone open, so the project sees MILESTONE_RELEASED alone.
        const id = world.openMilestones[0]!;
        await this.post(`/v1/milestones/${id}/events`, {
          type: 'RELEASE',
          actor: employer,
          amount: String(event.amount),
        });
        expect((await waitSettled(this.svc.http, id)).state).toBe('in_progress');
        break;
      }
      case 'MILESTONE_CLOSED': {
        const id = world.openMilestones.shift()!;
        await this.post(`/v1/milestones/${id}/events`, { type: 'CANCEL', actor: freelancer });
        expect((await waitSettled(this.svc.http, id)).state).toBe('cancelled');
        break;
      }
      default:
        throw new Error(`no live executor for system event ${event.type}`);
    }
    return (await this.svc.http.get(`/v1/projects/${projectId}`)).body;
  }

  private expectSame(live: Live, model: AnyMachineSnapshot, label: string): void {
    expect(live.state, `${label}: state`).toEqual(model.value);
    // The model's own honest set, by the availability function the service uses, on the model's snapshot.
    const honest = availableEvents(this.def, model, 'model', 'assumed');
    expect(live.allowedEvents, `${label}: allowedEvents`).toEqual(honest.map((e) => e.type));
    expect(live.availableEvents, `${label}: availableEvents`).toEqual(honest);
    expect(live.machine, `${label}: machine version`).toEqual({ name: this.def.name, version: this.def.version });
    const c = model.context as Record<string, unknown>;
    if (this.def.name === 'payout' || this.def.name === 'adjustment') {
      expect(live.amount, `${label}: amount`).toEqual(c.amount);
    } else if (this.def.name === 'milestone') {
      expect({ amount: live.amount, releasedAmount: live.releasedAmount }, `${label}: money`).toEqual({
        amount: c.amount,
        releasedAmount: c.releasedAmount,
      });
    } else {
      expect(live.milestones, `${label}: milestones`).toEqual({
        pending: c.pendingMilestones,
        releasedTotal: c.releasedTotal,
      });
    }
  }

  private base(): string {
    const bases: Record<string, string> = {
      milestone: '/v1/milestones',
      payout: '/v1/payouts',
      adjustment: '/v1/adjustments',
    };
    return bases[this.def.name] ?? '/v1/projects';
  }

  private async post(path: string, body: object, status = 200): Promise<Live> {
    const res = await this.svc.http.post(path, body);
    expect(res.status, `POST ${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(status);
    return res.body;
  }
}

interface World {
  employer: string;
  freelancer: string;
  /** Payout paths: the owner whose money the payout moves. */
  owner: string;
  projectId: string;
  /** The instance the path drives: the project, or the milestone once created. */
  instanceId: string;
  /** Project paths: funded milestones still open, oldest first. */
  openMilestones: string[];
}

type Live = Record<string, Json>;
