import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics/metrics.js';
import { claimDue, msUntilNextDue, settleAttempt, type Claim } from '../src/webhooks/delivery-claims.js';
import { openSecret } from '../src/webhooks/secret-box.js';
import { sendDelivery } from '../src/webhooks/send.js';
import { UrlPolicy } from '../src/net/url-policy.js';

// A lease must outlast the slowest attempt (the HTTP timeout) with room for recording it, or a second
// dispatcher could send the same delivery while the first is still waiting for an answer.
const LEASE_MARGIN_MS = 30_000;
// Never re-poll sooner than this, even when a retry is due "now" (keeps a hot loop off the database).
const MIN_SLEEP_MS = 5;

/**
 * Sends webhook deliveries from the database: claims due ones (per-instance order is decided in the claim
 * query), POSTs them with up to WEBHOOK_CONCURRENCY in flight, records each attempt, and sleeps until the
 * next retry is due or WEBHOOK_POLL_MS passes. Deliveries live in Postgres, not Redis, so a Redis flush or
 * restart never loses a retry, and several processes can dispatch side by side (SKIP LOCKED + leases).
 */
export class WebhookDispatcher {
  private readonly policy: UrlPolicy;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics | null,
  ) {
    this.policy = new UrlPolicy(config.WEBHOOK_ALLOWED_HOSTS);
  }

  start(): void {
    this.wake();
  }

  /** Runs a pass now (or right after the current one): called after fan-out and after each finished send. */
  wake(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = this.pass()
      .catch((error: unknown) => {
        this.log.warn({ err: error }, 'webhook dispatch pass failed; will retry');
        this.sleep(this.config.WEBHOOK_POLL_MS);
      })
      .finally(() => {
        this.passing = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pass(): Promise<void> {
    const leaseMs = this.config.WEBHOOK_TIMEOUT_MS * 2 + LEASE_MARGIN_MS;
    for (;;) {
      if (this.stopped) return;
      const free = this.config.WEBHOOK_CONCURRENCY - this.inFlight.size;
      if (free <= 0) return; // a finishing send wakes us again
      const claims = await claimDue(this.db, free, leaseMs);
      for (const claim of claims) this.launch(claim);
      if (claims.length < free) break;
    }
    const dueInMs = await msUntilNextDue(this.db);
    this.sleep(
      dueInMs === null
        ? this.config.WEBHOOK_POLL_MS
        : Math.min(this.config.WEBHOOK_POLL_MS, Math.max(dueInMs, MIN_SLEEP_MS)),
    );
  }

  private sleep(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), ms);
  }

  private launch(claim: Claim): void {
    const work = this.deliver(claim)
      // Recording failed (database away) or the secret could not be opened (WEBHOOK_SECRET_KEY changed): the
      // lease runs out and the delivery is claimed again, spending its attempts, so it cannot loop forever.
      .catch((error: unknown) =>
        this.log.error(
          { err: error, deliveryId: claim.id },
          'webhook attempt failed unexpectedly; retried after its lease',
        ),
      )
      .finally(() => {
        this.inFlight.delete(work);
        this.wake();
      });
    this.inFlight.add(work);
  }

  private async deliver(claim: Claim): Promise<void> {
    const secret = openSecret(claim.secret, this.config.WEBHOOK_SECRET_KEY);
    const result = await sendDelivery(
      { deliveryId: claim.id, url: claim.url, secret, body: claim.body },
      this.policy,
      this.config.WEBHOOK_TIMEOUT_MS,
    );
    const settled = await settleAttempt(this.db, this.config, claim, result);
    this.metrics?.webhookAttempts.inc({ outcome: result.ok ? 'delivered' : 'failed' });
    if (settled === 'dead') this.metrics?.webhookDead.inc();
    const logFields = {
      deliveryId: claim.id,
      webhookId: claim.webhookId,
      attempt: claim.attempt,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      settled,
    };
    if (result.ok) this.log.debug(logFields, 'webhook delivered');
    else
      this.log.warn(
        { ...logFields, error: result.error },
        settled === 'dead' ? 'webhook delivery is dead' : 'webhook attempt failed',
      );
  }

  /** Stops claiming, then waits for the attempts in flight to finish and be recorded (STYLE §16). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.passing;
    await Promise.all([...this.inFlight]);
  }
}
