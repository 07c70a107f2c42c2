import { Agent, request } from 'node:http';
import type { Knex } from 'knex';
import { settleBatch } from '../../workers/settlement.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** Answers by status, and how many requests went out. */
export interface TrafficCount {
  requests: number;
  byStatus: Record<string, number>;
}

// Cancel-request toggles per milestone: events on a funded milestone are most of what internal services send.
const TOGGLE_PAIRS = 8;
// Each lane's employer deposit, unless DEPOSIT_MAX is lower: many milestones' worth.
const DEPOSIT = 100_000_000_000n;

/** Thrown by a lane's next request once the warm-up's time is up: the lane ends where it is (all of it is rolled back). */
class TimeUp extends Error {}

interface Lane {
  employer: string;
  freelancer: string;
  projectId: string;
}

/**
 * The warm-up's client side: lanes that each drive one project's milestones through the event paths internal
 * services use most (a funded creation, reads, cancel-request toggles, a release in two parts or a cancel), until
 * `until`. Settlement runs in this process too, through the settlement worker's own code: the lanes wait for it
 * instead of a worker.
 */
export class WarmUpTraffic {
  readonly count: TrafficCount = { requests: 0, byStatus: {} };
  private settling: Promise<void> | null = null;
  // node:http rather than fetch: the client shares this process's one thread with the app it warms, and costs
  // it less per request this way, leaving more requests to the app.
  private readonly agent = new Agent({ keepAlive: true });
  private until = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly trx: Knex.Transaction,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /**
   * Runs `lanes` lanes until `until`. A lane that fails stops the others; the error of the first failed lane, in lane
   * order, is what this throws.
   */
  async run(lanes: number, until: number): Promise<TrafficCount> {
    this.until = until;
    try {
      const ended = await Promise.allSettled(
        Array.from({ length: lanes }, (_, k) =>
          this.lane(k).catch((error: unknown) => {
            this.until = 0;
            throw error;
          }),
        ),
      );
      const failed = ended.find((e) => e.status === 'rejected');
      if (failed) throw failed.reason;
      return this.count;
    } finally {
      this.agent.destroy();
    }
  }

  private async lane(k: number): Promise<void> {
    try {
      const lane = await this.project(k);
      for (let round = 0; ; round++) await this.milestone(lane, round);
    } catch (error) {
      if (!(error instanceof TimeUp)) throw error;
    }
  }

  private async project(k: number): Promise<Lane> {
    const employer = `warm-up-employer-${k}`;
    const freelancer = `warm-up-freelancer-${k}`;
    const max = BigInt(this.config.DEPOSIT_MAX);
    const amount = (max < DEPOSIT ? max : DEPOSIT).toString();
    await this.send('POST', `/v1/accounts/${employer}/deposits`, { currency: 'USD', amount });
    const { id: projectId } = await this.send('POST', '/v1/projects', {
      employerId: employer,
      title: 'warm-up',
      currency: 'USD',
    });
    const events = `/v1/projects/${String(projectId)}/events`;
    await this.send('POST', events, { type: 'AWARD', actor: employer, freelancerId: freelancer });
    await this.send('POST', events, { type: 'ACCEPT_AWARD', actor: freelancer });
    return { employer, freelancer, projectId: String(projectId) };
  }

  /** One milestone's lifecycle; every other one ends in a cancel rather than a second release. */
  private async milestone({ employer, freelancer, projectId }: Lane, round: number): Promise<void> {
    const { id } = await this.send('POST', `/v1/projects/${projectId}/milestones`, {
      type: 'CREATE',
      actor: employer,
      amount: '10000',
      description: 'warm-up',
    });
    const events = `/v1/milestones/${String(id)}/events`;
    await this.settle();
    await this.send('GET', `/v1/milestones/${String(id)}`);
    // Within the milestone's cap on cancel requests, keeping one for the cancel that ends every other lifecycle.
    const pairs = Math.min(TOGGLE_PAIRS, this.config.CANCEL_REQUESTS_MAX_PER_MILESTONE - 1);
    for (let i = 0; i < pairs; i++) {
      await this.send('POST', events, { type: 'REQUEST_CANCEL', actor: employer, reason: 'warm-up' });
      await this.send('POST', events, { type: 'REJECT_CANCEL', actor: freelancer });
    }
    await this.send('POST', events, { type: 'REQUEST_RELEASE', actor: freelancer });
    await this.send('POST', events, { type: 'RELEASE', actor: employer, amount: '4000' });
    await this.settle();
    if (round % 2 === 0) {
      await this.send('POST', events, { type: 'RELEASE', actor: employer });
    } else {
      await this.send('POST', events, { type: 'REQUEST_CANCEL', actor: employer, reason: 'warm-up' });
      await this.send('POST', events, { type: 'CANCEL', actor: freelancer });
    }
    await this.settle();
    await this.send('GET', `/v1/milestones/${String(id)}/history`);
  }

  /** Settles every pending command; lanes that ask while a pass runs wait for the next one. */
  private async settle(): Promise<void> {
    while (this.settling) await this.settling;
    this.settling = this.settlePending().finally(() => (this.settling = null));
    await this.settling;
  }

  private async settlePending(): Promise<void> {
    const rows: { id: string }[] = await this.trx('outbox')
      .where({ topic: 'settlement' })
      .whereNull('processed_at')
      .orderBy('id')
      .select(this.trx.raw('id::text AS id'));
    if (rows.length > 0)
      await settleBatch(
        this.trx,
        this.config,
        this.log,
        rows.map((r) => r.id),
      );
  }

  private async send(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    if (Date.now() >= this.until) throw new TimeUp();
    this.count.requests++;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const { status, answer } = await new Promise<{ status: number; answer: string }>((resolve, reject) => {
      const req = request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(text !== undefined && {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(text),
            }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, answer: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(text);
    });
    this.count.byStatus[status] = (this.count.byStatus[status] ?? 0) + 1;
    // A refusal here is a warm-up that went wrong, not a client mistake: the lane stops rather than go on refused.
    if (status < 200 || status >= 300) throw new Error(`warm-up ${method} ${path}: ${status} ${answer}`);
    return JSON.parse(answer) as Record<string, unknown>;
  }
}
