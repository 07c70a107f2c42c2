import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import { createQueues, producerConnection } from './jobs/queues.js';
import { WorkerPool } from '../workers/worker-pool.js';
import { createApp } from './api/app.js';
import { listenLimited } from './api/listen-limited.js';
import { Authenticator } from './api/auth.js';
import { ChangeFeed } from './api/change-feed.js';
import type { Config } from './config.js';
import { createDb, type Db } from './db/knex.js';
import { redisConnection, type RedisConnection } from './net/redis-connection.js';
import { ensureDatabase, migrateLatest } from './db/migrate.js';
import { readerFor } from './db/open-reader.js';
import type { Reader } from './db/reader.js';
import { UnlockedEvents } from './engine/apply-event-unlocked.js';
import { instanceRulesFrom } from './engine/instance-rules.js';
import type { Logger } from './logger.js';
import { PathsThread } from './paths/paths-thread.js';
import { SignalBus } from './signals/signal-bus.js';
import { enforceSecretSealing } from './webhooks/secret-sealing.js';
import { Metrics } from './metrics/metrics.js';
import { registerStateGauges } from './metrics/state-gauges.js';
import { registerReplicaMetrics } from './metrics/replica-metrics.js';
import { warmUp, type WarmUpResult } from './warmup/warm-up.js';

export interface ServiceOptions {
  api: boolean;
  workers: boolean;
}

export interface RunningService {
  db: Db;
  /** Base URL of the API, when it runs. */
  url: string | null;
  workers: WorkerPool | null;
  /** What the API's start-up warm-up did; null when it is off, failed, or there is no API. */
  warmUp: WarmUpResult | null;
  stop(): Promise<void>;
}

/** The database, created and migrated if needed; refused (and closed) when webhook secrets would stay unsealed. */
async function openDatabase(config: Config, log: Logger): Promise<Db> {
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX, log, config.DATABASE_PREPARED_STATEMENTS);
  try {
    await migrateLatest(db);
    await enforceSecretSealing(db, config, log);
    return db;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/** The API's Reader; its replica is checked once before the first request, so reads start there when it is fresh. */
async function startReader(db: Db, config: Config, log: Logger, metrics: Metrics): Promise<Reader> {
  const reader = readerFor(db, config, config.DB_POOL_MAX, log);
  await reader.replica?.start();
  registerReplicaMetrics(metrics, reader);
  return reader;
}

/** The API hot path's group commit and remembered rows, as configured. */
function hotPathLimits(config: Config) {
  return {
    maxBatch: config.GROUP_COMMIT_MAX_EVENTS,
    maxInFlight: config.GROUP_COMMIT_IN_FLIGHT,
    rememberedRows: config.REMEMBERED_ROWS_MAX,
  };
}

/** Queue handles for the dashboard and the queue-depth gauges; fail-fast, so a Redis outage never stalls a scrape. */
function openDashboardQueues(
  config: Config,
  log: Logger,
): { dashboardRedis: RedisConnection; dashboardQueues: Queue[] } {
  const dashboardRedis = producerConnection(config);
  dashboardRedis.on('error', (error) => log.debug({ err: error }, 'dashboard redis connection error'));
  const dashboardQueues = Object.values(createQueues(config, dashboardRedis));
  // An EventEmitter 'error' without a listener would crash the API while Redis is away; readyz reports it.
  for (const q of dashboardQueues)
    q.on('error', (error) => log.debug({ err: error, queue: q.name }, 'dashboard queue error'));
  return { dashboardRedis, dashboardQueues };
}

/** Migrates, then starts the API and/or the workers in this process. */
export async function startService(config: Config, log: Logger, options: ServiceOptions): Promise<RunningService> {
  const db = await openDatabase(config, log);
  // One metrics registry per service; in `all` mode /metrics also shows what this process's workers did.
  const metrics = new Metrics();
  // Wake-up hints between this process and the others (and within it), after commit.
  const signals = new SignalBus(config, log);

  let workers: WorkerPool | null = null;
  if (options.workers) {
    workers = new WorkerPool(db, config, log, metrics, signals);
    await workers.start();
  }

  let server: Server | null = null;
  let redis: RedisConnection | null = null;
  let url: string | null = null;
  let dashboardRedis: RedisConnection | null = null;
  let dashboardQueues: Queue[] = [];
  let paths: PathsThread | null = null;
  let reader: Reader | null = null;
  let warmedUp: WarmUpResult | null = null;
  if (options.api) {
    reader = await startReader(db, config, log, metrics);
    const changes = new ChangeFeed(signals);
    changes.start();
    redis = redisConnection(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    redis.on('error', (error) => log.debug({ err: error }, 'readiness redis connection error'));
    ({ dashboardRedis, dashboardQueues } = openDashboardQueues(config, log));
    registerStateGauges(metrics, db, dashboardQueues, log);
    const hotPath = hotPathLimits(config);
    const events = new UnlockedEvents(db, hotPath);
    events.forgetOnSignals(signals);
    const auth = new Authenticator(db, config, log);
    paths = new PathsThread();
    auth.start(signals);
    const rules = instanceRulesFrom(config);
    const app = createApp(
      { db, reader, config, log, changes, events, signals, redis, auth, paths, rules },
      { metrics, queues: dashboardQueues },
    );
    if (config.WARMUP_MS > 0) warmedUp = await warmUp(config, log, { rules, paths, redis, hotPath });
    server = await listenLimited(app, config);
    url = `http://${config.HOST}:${(server.address() as AddressInfo).port}`;
  }

  return {
    db,
    url,
    workers,
    warmUp: warmedUp,
    // Shutdown order (STYLE §16): stop taking requests, finish in-flight jobs, close queues, close pools.
    async stop() {
      // Ends what the gauges started (a reconciliation) rather than wait for it below; started first, so that a
      // scrape in flight, waiting for that reconciliation, is answered at once and the server's close can finish.
      const gaugesClosed = metrics.close();
      // First, so an in-flight path request is answered (503) and the server's close below can finish.
      await paths?.close();
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          // Keep-alive connections become idle only after their in-flight request is answered; close each as
          // it does, so close() resolves once every accepted request has its response.
          const sweep = setInterval(() => s.closeIdleConnections(), 50);
          s.close(() => {
            clearInterval(sweep);
            resolve();
          });
          s.closeIdleConnections();
        });
      }
      await gaugesClosed;
      await workers?.stop();
      await signals.close();
      await Promise.all(dashboardQueues.map((q) => q.close().catch(() => undefined)));
      if (dashboardRedis) await dashboardRedis.quit().catch(() => dashboardRedis?.disconnect());
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      await reader?.close();
      await db.destroy();
    },
  };
}
