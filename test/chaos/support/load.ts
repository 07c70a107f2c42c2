import { randomUUID } from 'node:crypto';
import type { HttpClient, HttpResponse } from '../../support/http-client.js';
import { uid } from '../../support/scenario.js';
import { sleep } from './ports.js';
import type { Rng } from './random.js';

/** An event the service acknowledged with a 2xx: it must be in history exactly once, at this seq. */
export interface AckedEvent {
  instanceId: string;
  seq: number;
  type: string;
  actor: string;
}

/** A deposit the service acknowledged: its transfer must exist exactly once. */
export interface AckedDeposit {
  transferId: string;
  ownerId: string;
  amount: bigint;
}

export interface LoadStats {
  /** Logical writes sent (each one with its own Idempotency-Key, however often it was retried). */
  writes: number;
  /** Refused with 409/422 because the state had moved on (a timer or settlement got there first). */
  refused: number;
  /** Attempts that got no answer (connection refused or reset: the API was down or killed mid-request). */
  networkErrors: number;
  /** Attempts answered 503 `unavailable` (a dependency down). */
  unavailable: number;
  /** Any other 5xx, and 4xx that only a bug explains; must stay empty. */
  unexpected: string[];
}

export interface LoadOptions {
  concurrency: number;
  /** A write whose outcome is unknown is retried with its key for this long before the test gives up. */
  retryWindowMs: number;
  /** Open milestones per party; beyond it a party works on what it has instead of creating more. */
  openPerParty?: number;
  /** Which disputes to file: `any` party, or only ones the `freelancer` files (the employer responds). */
  disputeFiler?: 'any' | 'freelancer';
  /** A dispute the employer filed is left unanswered with this probability, so its response timer fires. */
  leaveUnansweredProbability?: number;
}

interface Party {
  employer: string;
  freelancer: string;
  projectId: string;
  open: string[];
  /** Disputes this party's loop decided to leave to their response timer. */
  unanswered: Set<string>;
}

type Milestone = {
  id: string;
  state: string | Record<string, string>;
  remainingAmount: string;
  seq: number;
  dispute: { filedBy: 'employer' | 'freelancer'; offers: Record<'employer' | 'freelancer', string | null> } | null;
};

const SETTLING = new Set(['funding', 'releasing', 'cancelling', 'resolving']);
const FINAL = new Set(['released', 'cancelled', 'rejected', 'deleted', 'resolved', 'abandoned']);
const RETRY_BACKOFF_MS = [50, 100, 200, 400, 800];
const INITIAL_DEPOSIT = 1_000_000_000n;

/**
 * Concurrent clients driving the real API over HTTP: deposits, milestone creation, partial and full releases,
 * cancels, disputes (RESPOND, MAKE_OFFER, ACCEPT_OFFER). Every write carries an Idempotency-Key and is retried
 * with that same key until it gets a definite answer, so a request cut by a crash is never left with an
 * unknown outcome: either its first attempt committed (the retry gets the stored reply) or it did not (the
 * retry applies it). That makes "acknowledged" exact, and history can be compared with it both ways.
 */
export class Load {
  readonly events: AckedEvent[] = [];
  readonly deposits: AckedDeposit[] = [];
  readonly stats: LoadStats = { writes: 0, refused: 0, networkErrors: 0, unavailable: 0, unexpected: [] };
  private readonly parties: Party[] = [];
  private loops: Promise<void>[] = [];
  private stopping = false;

  constructor(
    private readonly http: HttpClient,
    private readonly rng: Rng,
    private readonly options: LoadOptions,
  ) {}

  /** One awarded project per concurrent client, its employer funded for the whole run. */
  async setUp(): Promise<void> {
    for (let i = 0; i < this.options.concurrency; i++) {
      const employer = uid('emp');
      const freelancer = uid('fl');
      const created = await this.write('POST', '/v1/projects', {
        employerId: employer,
        title: 'Chaos',
        currency: 'USD',
      });
      if (created.status !== 201)
        throw new Error(`project not created: ${created.status} ${JSON.stringify(created.body)}`);
      const projectId = created.body.id as string;
      await this.projectEvent(projectId, { type: 'AWARD', actor: employer, freelancerId: freelancer });
      await this.projectEvent(projectId, { type: 'ACCEPT_AWARD', actor: freelancer });
      await this.deposit(employer, INITIAL_DEPOSIT);
      this.parties.push({ employer, freelancer, projectId, open: [], unanswered: new Set() });
    }
  }

  start(): void {
    this.stopping = false;
    this.loops = this.parties.map((p) => this.loop(p));
  }

  /** Lets every client finish its current request (retries included), then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** Acknowledged writes so far (events and deposits). */
  get acknowledged(): number {
    return this.events.length + this.deposits.length;
  }

  /** Files a dispute as the employer and leaves it unanswered: its response timer has to settle it. */
  async disputeLeftToTimer(offer: bigint): Promise<string> {
    const p = this.rng.pick(this.parties);
    const id = await this.createMilestone(p, offer * 2n);
    for (;;) {
      const m = await this.read(id);
      if (m.state === 'in_progress') break;
      if (m.state !== 'funding') throw new Error(`timer milestone ${id} is ${JSON.stringify(m.state)}`);
      await sleep(50);
    }
    const res = await this.event(id, {
      type: 'OPEN_DISPUTE',
      actor: p.employer,
      reason: 'left to the timer',
      offer: offer.toString(),
    });
    if (res.status !== 200) throw new Error(`OPEN_DISPUTE refused: ${res.status} ${JSON.stringify(res.body)}`);
    return id;
  }

  private async loop(p: Party): Promise<void> {
    while (!this.stopping) {
      await this.step(p);
    }
  }

  private async step(p: Party): Promise<void> {
    const cap = this.options.openPerParty ?? 8;
    if (p.open.length < 2 || (p.open.length < cap && this.rng.next() < 0.2)) {
      p.open.push(await this.createMilestone(p, this.rng.bigint(100n, 5_000n)));
      return;
    }
    if (this.rng.next() < 0.05) {
      await this.deposit(this.rng.next() < 0.5 ? p.employer : p.freelancer, this.rng.bigint(1n, 10_000n));
      return;
    }
    const id = this.rng.pick(p.open);
    const m = await this.read(id);
    const state = typeof m.state === 'string' ? m.state : `disputed.${m.state.disputed}`;
    if (FINAL.has(state)) {
      p.open = p.open.filter((o) => o !== id);
      return;
    }
    const body = this.choose(p, m, state);
    if (!body) {
      await sleep(SETTLING.has(state) ? 20 : 50);
      return;
    }
    await this.event(id, body);
  }

  /** A next event that the milestone's state allows, picked at random among the ones the load exercises. */
  private choose(p: Party, m: Milestone, state: string): Record<string, unknown> | null {
    const remaining = BigInt(m.remainingAmount);
    const anyAmount = () => this.rng.bigint(0n, remaining).toString();
    const who = (role: 'employer' | 'freelancer') => (role === 'employer' ? p.employer : p.freelancer);
    if (state === 'in_progress') {
      const r = this.rng.next();
      if (r < 0.3 && remaining > 1n)
        return { type: 'RELEASE', actor: p.employer, amount: this.rng.bigint(1n, remaining - 1n).toString() };
      if (r < 0.45) return { type: 'RELEASE', actor: p.employer };
      if (r < 0.6) return { type: 'CANCEL', actor: p.freelancer };
      const filer = this.options.disputeFiler === 'freelancer' || this.rng.next() < 0.5 ? 'freelancer' : 'employer';
      if (filer === 'employer' && this.rng.next() < (this.options.leaveUnansweredProbability ?? 0))
        p.unanswered.add(m.id);
      return { type: 'OPEN_DISPUTE', actor: who(filer), reason: 'chaos', offer: anyAmount() };
    }
    if (state === 'disputed.awaiting_response' && m.dispute) {
      if (p.unanswered.has(m.id)) return null;
      return {
        type: 'RESPOND',
        actor: who(m.dispute.filedBy === 'employer' ? 'freelancer' : 'employer'),
        offer: anyAmount(),
      };
    }
    if (state === 'disputed.negotiation' && m.dispute) {
      const party = this.rng.next() < 0.5 ? 'employer' : 'freelancer';
      if (this.rng.next() < 0.25) return { type: 'MAKE_OFFER', actor: who(party), amountToFreelancer: anyAmount() };
      return { type: 'ACCEPT_OFFER', actor: who(party) };
    }
    return null;
  }

  private async createMilestone(p: Party, amount: bigint): Promise<string> {
    const body = { id: uid('ms'), type: 'CREATE', actor: p.employer, amount: amount.toString(), description: 'chaos' };
    const res = await this.write('POST', `/v1/projects/${p.projectId}/milestones`, body);
    if (res.status !== 201) throw new Error(`CREATE not acknowledged: ${res.status} ${JSON.stringify(res.body)}`);
    this.events.push({ instanceId: res.body.id, seq: res.body.seq, type: 'CREATE', actor: p.employer });
    return res.body.id as string;
  }

  private async event(id: string, body: Record<string, unknown>): Promise<HttpResponse> {
    const res = await this.write('POST', `/v1/milestones/${id}/events`, body);
    if (res.status === 200)
      this.events.push({ instanceId: id, seq: res.body.seq, type: String(body.type), actor: String(body.actor) });
    else this.refusal(res, body);
    return res;
  }

  private async projectEvent(id: string, body: Record<string, unknown>): Promise<void> {
    const res = await this.write('POST', `/v1/projects/${id}/events`, body);
    if (res.status !== 200)
      throw new Error(`${String(body.type)} not acknowledged: ${res.status} ${JSON.stringify(res.body)}`);
    this.events.push({ instanceId: id, seq: res.body.seq, type: String(body.type), actor: String(body.actor) });
  }

  private async deposit(ownerId: string, amount: bigint): Promise<void> {
    const res = await this.write('POST', `/v1/accounts/${ownerId}/deposits`, {
      currency: 'USD',
      amount: amount.toString(),
    });
    if (res.status !== 201) throw new Error(`deposit not acknowledged: ${res.status} ${JSON.stringify(res.body)}`);
    this.deposits.push({ transferId: res.body.transferId, ownerId, amount });
  }

  /** The state moved on under us (a timer fired, another offer landed): expected, nothing changed. */
  private refusal(res: HttpResponse, body: Record<string, unknown>): void {
    const code = res.body?.error?.code as string | undefined;
    if ((res.status === 409 && code === 'invalid_transition') || (res.status === 422 && code === 'guard_failed')) {
      this.stats.refused++;
      return;
    }
    this.stats.unexpected.push(`${String(body.type)}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  private async read(id: string): Promise<Milestone> {
    const res = await this.retrying(() => this.http.get(`/v1/milestones/${id}`), `GET ${id}`);
    if (res.status !== 200) throw new Error(`GET ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Milestone;
  }

  /** A write with its own Idempotency-Key, retried with that key until the answer is definite. */
  private write(method: string, path: string, body: unknown): Promise<HttpResponse> {
    this.stats.writes++;
    const key = randomUUID();
    return this.retrying(() => this.http.request(method, path, body, { 'idempotency-key': key }), `${method} ${path}`);
  }

  private async retrying(attempt: () => Promise<HttpResponse>, what: string): Promise<HttpResponse> {
    const deadline = Date.now() + this.options.retryWindowMs;
    for (let i = 0; ; i++) {
      let res: HttpResponse | null = null;
      try {
        res = await attempt();
      } catch {
        this.stats.networkErrors++;
      }
      if (res) {
        if (res.status === 503 && res.body?.error?.code === 'unavailable') this.stats.unavailable++;
        else if (res.status >= 500) this.stats.unexpected.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
        else return res;
      }
      if (Date.now() > deadline) throw new Error(`${what}: no definite answer within ${this.options.retryWindowMs} ms`);
      await sleep(RETRY_BACKOFF_MS[Math.min(i, RETRY_BACKOFF_MS.length - 1)] ?? 800);
    }
  }
}
