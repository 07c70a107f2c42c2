import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { WorkerPool } from '../workers/worker-pool.js';
import { createApp } from './api/app.js';
import { ChangeFeed } from './api/change-feed.js';
import type { Config } from './config.js';
import { createDb, type Db } from './db/knex.js';
import { ensureDatabase, migrateLatest } from './db/migrate.js';
import type { Logger } from './logger.js';

export interface ServiceOptions {
  api: boolean;
  workers: boolean;
}

export interface RunningService {
  db: Db;
  /** Base URL of the API, when it runs. */
  url: string | null;
  workers: WorkerPool | null;
  stop(): Promise<void>;
}

/** Migrates, then starts the API and/or the workers in this process. */
export async function startService(config: Config, log: Logger, options: ServiceOptions): Promise<RunningService> {
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX, log);
  await migrateLatest(db);

  let workers: WorkerPool | null = null;
  if (options.workers) {
    workers = new WorkerPool(db, config, log);
    await workers.start();
  }

  let server: Server | null = null;
  let changes: ChangeFeed | null = null;
  let redis: Redis | null = null;
  let url: string | null = null;
  if (options.api) {
    changes = new ChangeFeed(config.DATABASE_URL, config.RELAY_POLL_MS, log);
    await changes.start();
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    redis.on('error', (error) => log.debug({ err: error }, 'readiness redis connection error'));
    const app = createApp({ db, config, log, changes, redis });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, (error?: Error) => (error ? reject(error) : resolve(s)));
    });
    const address = server.address() as AddressInfo;
    url = `http://${config.HOST}:${address.port}`;
  }

  return {
    db,
    url,
    workers,
    // Shutdown order (STYLE §16): stop taking requests, finish in-flight jobs, close queues, close pools.
    async stop() {
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
        });
      }
      await workers?.stop();
      await changes?.stop();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      await db.destroy();
    },
  };
}
