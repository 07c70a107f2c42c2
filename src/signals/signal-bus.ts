import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { closeRedis, redisConnection, type RedisConnection } from '../net/redis-connection.js';

/**
 * Wake-up hints between processes, sent after commit over Redis pub/sub: "outbox rows were written" (the relay
 * drains) and "these instances changed" (`?wait=settled` readers look again; the API forgets the rows it remembers
 * of them, decision 17). Hints only: the relay also polls every RELAY_POLL_MS, a waiting reader re-reads every
 * WAIT_RECHECK_MS and a remembered row that is behind loses its compare-and-set, so a hint lost with Redis costs
 * latency, never correctness.
 *
 * This replaced LISTEN/NOTIFY: a transaction that NOTIFYs takes one database-wide lock from its commit until it
 * ends, so every event's commit (with its WAL flush) queued behind the last, and each NOTIFY woke every
 * listening backend (bench/README.md). At most one message per channel goes out every SIGNAL_COALESCE_MS:
 * the first hint at once, those raised within the interval together at its end. Under load the relay is
 * draining anyway, so a message per event would cost the sender, Redis and the relay's process for nothing.
 */
export class SignalBus {
  private readonly publisher: RedisConnection;
  private subscriber: RedisConnection | null = null;
  private readonly subscribedChannels = new Set<string>();
  private closed = false;
  private readonly outboxListeners: (() => void)[] = [];
  private readonly instanceListeners: ((id: string) => void)[] = [];
  private readonly clientListeners: ((id: string) => void)[] = [];
  private outboxPending = false;
  private readonly changedPending = new Set<string>();
  private flushScheduled = false;
  private lastFlushAt = 0;
  private readonly outboxChannel: string;
  private readonly instanceChannel: string;
  private readonly clientChannel: string;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    // Fail fast while Redis is away: a hint that cannot go out now is not worth queueing (see above).
    this.publisher = redisConnection(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.publisher.on('error', (error) => log.debug({ err: error }, 'signal publisher: redis connection error'));
    this.outboxChannel = `${config.queuePrefix}:signal:outbox`;
    this.instanceChannel = `${config.queuePrefix}:signal:instance`;
    this.clientChannel = clientChannelOf(config);
  }

  /** Committed outbox rows are waiting for the relay. */
  outboxWritten(): void {
    this.outboxPending = true;
    this.scheduleFlush();
  }

  /** A committed change of this instance: it may end a `?wait=settled`, and an API process's row of it is behind. */
  instanceChanged(id: string): void {
    this.changedPending.add(id);
    this.scheduleFlush();
  }

  onOutbox(listener: () => void): void {
    this.outboxListeners.push(listener);
    this.listen(this.outboxChannel);
  }

  onInstanceChanged(listener: (id: string) => void): void {
    this.instanceListeners.push(listener);
    this.listen(this.instanceChannel);
  }

  /**
   * An API client was revoked, rotated or created (`cli clients`, src/cli/client-signal.ts sends it): every API
   * process drops what its token cache holds about it. Not a hint like the others: it is what makes a revoked
   * token stop within 5 s everywhere (docs/api.md), with the token cache's TTL as the fallback when it is lost.
   */
  onClientChanged(listener: (id: string) => void): void {
    this.clientListeners.push(listener);
    this.listen(this.clientChannel);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const waitMs = this.lastFlushAt + this.config.SIGNAL_COALESCE_MS - Date.now();
    if (waitMs > 0) setTimeout(() => this.flush(), waitMs).unref();
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    this.lastFlushAt = Date.now();
    const sends: [string, string][] = [];
    if (this.outboxPending) sends.push([this.outboxChannel, '']);
    // Instance ids never hold control characters (the API refuses them), so a newline separates them.
    if (this.changedPending.size > 0) sends.push([this.instanceChannel, [...this.changedPending].join('\n')]);
    this.outboxPending = false;
    this.changedPending.clear();
    for (const [channel, message] of sends) {
      this.publisher
        .publish(channel, message)
        .catch((error: unknown) => this.log.debug({ err: error, channel }, 'signal not sent'));
    }
  }

  /**
   * Subscribes to `channel`, on the process's one subscriber connection (made by the first call); ioredis subscribes
   * again by itself after a reconnect. Only to the channels this process listens on: every message Redis sends a
   * subscriber wakes its process, and a process subscribed to all three would hear its own hints (the API its
   * "outbox written", the workers their "instance changed") and those meant for the other role, for nothing (bench/
   * README.md round 19). On a Redis Cluster a PUBLISH reaches the subscribers of every node (the cluster bus
   * forwards it), so the cluster client subscribes on any one node and moves its subscription when that node goes.
   */
  private listen(channel: string): void {
    if (this.closed || this.subscribedChannels.has(channel)) return;
    this.subscribedChannels.add(channel);
    this.subscriber ??= this.connectSubscriber();
    const subscriber = this.subscriber;
    // While Redis is away the command waits for the connection (polling covers the meantime). It fails only on an
    // error reply (an ACL refusal) or a cluster subscriber that went away: then again at the next connection.
    subscriber.subscribe(channel).catch((error: unknown) => {
      this.subscribedChannels.delete(channel);
      if (this.closed) return;
      this.log.warn(
        { err: error, channel },
        'signal channel not subscribed; polling meanwhile, trying again on reconnect',
      );
      subscriber.once('ready', () => this.listen(channel));
    });
  }

  private connectSubscriber(): RedisConnection {
    const subscriber = redisConnection(this.config, { maxRetriesPerRequest: null });
    subscriber.on('error', (error) => this.log.debug({ err: error }, 'signal subscriber: redis connection error'));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.outboxChannel) for (const listener of this.outboxListeners) listener();
      if (channel === this.instanceChannel) {
        for (const id of message.split('\n')) for (const listener of this.instanceListeners) listener(id);
      }
      if (channel === this.clientChannel) for (const listener of this.clientListeners) listener(message);
    });
    return subscriber;
  }

  async close(): Promise<void> {
    this.closed = true;
    const connections = [this.publisher, ...(this.subscriber ? [this.subscriber] : [])];
    // quit() waits for a connection that may never come (Redis away): such a one is just dropped.
    await Promise.all(connections.map(closeRedis));
  }
}

/** The channel API-client changes go out on, per deployment (queue prefix). */
export function clientChannelOf(config: Pick<Config, 'queuePrefix'>): string {
  return `${config.queuePrefix}:signal:client`;
}
