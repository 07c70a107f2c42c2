import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeed } from '../../src/api/change-feed.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { clientChannelOf, SignalBus } from '../../src/signals/signal-bus.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, projectInProgress, uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

/** How many subscribers each of a deployment's signal channels has: outbox, instance, client. */
async function subscribers(redis: Redis, queuePrefix: string): Promise<number[]> {
  const channels = ['outbox', 'instance', 'client'].map((c) => `${queuePrefix}:signal:${c}`);
  const reply = (await redis.pubsub('NUMSUB', ...channels)) as (string | number)[];
  return channels.map((_, i) => Number(reply[2 * i + 1]));
}

// Wake-up hints after commit over Redis pub/sub (src/signals/signal-bus.ts), in place of LISTEN/NOTIFY.
describe('signal bus', () => {
  const config = loadConfig({ ...process.env, QUEUE_PREFIX: uid('signals'), SIGNAL_COALESCE_MS: '50' });
  const log = createLogger('silent');
  let sender: SignalBus;
  let receiver: SignalBus;
  const outbox: number[] = [];
  const changed: string[] = [];

  beforeAll(async () => {
    sender = new SignalBus(config, log);
    receiver = new SignalBus(config, log);
    receiver.onOutbox(() => outbox.push(Date.now()));
    receiver.onInstanceChanged((id) => changed.push(id));
    // The subscription is asynchronous: wait until a hint gets through before counting.
    await eventually(() => {
      sender.instanceChanged('ready');
      expect(changed).toContain('ready');
    });
    changed.length = 0;
  });
  afterAll(async () => {
    await sender?.close();
    await receiver?.close();
  });

  it('carries the ids of changed instances to another process', async () => {
    sender.instanceChanged('ms_a');
    sender.instanceChanged('ms_b');
    // Late copies of the readiness probe may still arrive; what counts is that both ids do.
    await eventually(() => expect(changed.filter((id) => id !== 'ready').sort()).toEqual(['ms_a', 'ms_b']));
  });

  it('wake a waiter for any instance id, "error" and "__proto__" included', async () => {
    const feed = new ChangeFeed(receiver);
    feed.start();
    for (const id of ['error', '__proto__', 'ms_c']) {
      const waiting = feed.nextChange(id, 20_000).then(() => id);
      sender.instanceChanged(id);
      expect(await waiting).toBe(id);
    }
  });

  it('take a signal for an id nobody waits on, "error" included, without throwing', () => {
    // The feed's own listener, called as the bus calls it. An EventEmitter keyed by instance id threw here
    // (ERR_UNHANDLED_ERROR for "error"), out of the Redis client's message handler.
    let deliver: (id: string) => void = () => undefined;
    const bus = {
      onInstanceChanged: (listener: (id: string) => void) => void (deliver = listener),
    } as unknown as SignalBus;
    const feed = new ChangeFeed(bus);
    feed.start();
    for (const id of ['error', '__proto__', 'constructor', 'ms_d']) expect(() => deliver(id)).not.toThrow();
  });

  it('sends the hints of one interval as one message', async () => {
    await new Promise((r) => setTimeout(r, 60));
    outbox.length = 0;
    for (let i = 0; i < 100; i++) sender.outboxWritten();
    await eventually(() => expect(outbox.length).toBe(1));
    // A hint within the interval after a send waits for its end, then goes out: never lost, never per call.
    sender.outboxWritten();
    sender.outboxWritten();
    await eventually(() => expect(outbox.length).toBe(2));
  });

  it('subscribes a process only to the channels it listens on', async () => {
    // Its own prefix, so that the other buses of this file do not count.
    const own = loadConfig({ ...process.env, QUEUE_PREFIX: uid('signals-channels') });
    const redis = new Redis(own.REDIS_URL);
    const bus = new SignalBus(own, log);
    try {
      // A workers process listens for written outbox rows only: the instance and client hints, which every
      // settlement and token change sends, must not wake it.
      bus.onOutbox(() => undefined);
      await eventually(async () => expect(await subscribers(redis, own.queuePrefix)).toEqual([1, 0, 0]));
      bus.onInstanceChanged(() => undefined);
      await eventually(async () => expect(await subscribers(redis, own.queuePrefix)).toEqual([1, 1, 0]));
      bus.onClientChanged(() => undefined);
      await eventually(async () => expect(await subscribers(redis, own.queuePrefix)).toEqual([1, 1, 1]));
      // More listeners on a channel share its one subscription (no second connection), and a hint reaches each.
      const heard: string[] = [];
      bus.onClientChanged((id) => heard.push(`a ${id}`));
      bus.onClientChanged((id) => heard.push(`b ${id}`));
      expect(await subscribers(redis, own.queuePrefix)).toEqual([1, 1, 1]);
      await redis.publish(clientChannelOf(own), 'c1');
      await eventually(() => expect(heard.sort()).toEqual(['a c1', 'b c1']));
    } finally {
      await bus.close();
      redis.disconnect();
    }
  });

  it('stays usable while Redis is away, and closes without waiting for it', async () => {
    const away = new SignalBus(loadConfig({ ...process.env, REDIS_URL: 'redis://127.0.0.1:1' }), log);
    away.onOutbox(() => undefined);
    away.outboxWritten();
    away.instanceChanged('x');
    await away.close();
  });
});

describe('a service woken by signals only', () => {
  let api: TestService | undefined;
  let workers: TestService | undefined;
  // Polling and re-reading are pushed out of reach: what happens here happens because a signal said so.
  const slow = { RELAY_POLL_MS: '600000', WAIT_RECHECK_MS: '60000' };
  afterAll(async () => {
    await workers?.stop();
    if (api) await assertLedgerInvariants(api.db);
    await api?.stop();
  });

  it('ends a wait for settlement when the workers commit the settlement', async () => {
    api = await startTestService(slow, { workers: false });
    // An API process hears instance and client hints, not the outbox hints it sends itself.
    const redis = new Redis(api.config.REDIS_URL);
    const prefix = api.config.queuePrefix;
    await eventually(async () => expect(await subscribers(redis, prefix)).toEqual([0, 1, 1]));
    const p = await projectInProgress(api.http);
    await deposit(api.http, p.employer, '50');
    const created = await api.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '50',
      description: 'd',
    });
    expect(created.body.state).toBe('funding');
    // Without the workers' signal this wait would end at its timeout, still funding (the re-read is 60 s away).
    const waiting = api.http.get(`/v1/milestones/${created.body.id}?wait=settled&timeoutMs=30000`);
    workers = await startTestService(slow, { api: false, database: api.databaseName });
    // The workers process adds the outbox channel alone.
    await eventually(async () => expect(await subscribers(redis, prefix)).toEqual([1, 1, 1]));
    redis.disconnect();
    expect((await waiting).body.state).toBe('in_progress');
    // The relay, woken by the API's signal for the settlement command a partial release writes, hands it over.
    const released = await api.http.post(`/v1/milestones/${created.body.id}/events`, {
      type: 'RELEASE',
      actor: p.employer,
      amount: '20',
    });
    expect(released.status).toBe(200);
    const settled = await api.http.get(`/v1/milestones/${created.body.id}?wait=settled&timeoutMs=30000`);
    expect(settled.body).toMatchObject({ state: 'in_progress', releasedAmount: '20' });
  });
});
