import { SCOPES, createClient } from '../../../src/auth/tokens.js';
import { createDb, type Db } from '../../../src/db/knex.js';
import { ensureDatabase, migrateLatest } from '../../../src/db/migrate.js';
import { createLogger } from '../../../src/logger.js';
import { HttpClient } from '../../support/http-client.js';
import { freePort } from './ports.js';
import { PrivatePostgres } from './private-postgres.js';
import { PrivateRedis } from './private-redis.js';
import { ServiceProcess } from './service-process.js';

const DATABASE = 'escrow_chaos';

/**
 * Everything one chaos test file runs on, all its own: a Postgres cluster and a Redis server on free ports, the
 * API and the workers as two child processes (`api`, `workers`) against them, a token, and a knex handle for
 * the checks. `destroy()` stops and removes all of it and is safe to call after any failure.
 */
export class ChaosWorld {
  api!: ServiceProcess;
  workers!: ServiceProcess;
  http!: HttpClient;
  db!: Db;
  private constructor(
    readonly postgres: PrivatePostgres | null,
    readonly redis: PrivateRedis | null,
  ) {}

  static async create(env: Record<string, string> = {}): Promise<ChaosWorld> {
    let postgres: PrivatePostgres | null = null;
    let redis: PrivateRedis | null = null;
    try {
      postgres = await PrivatePostgres.create();
      redis = await PrivateRedis.create();
    } catch (error) {
      await redis?.destroy();
      await postgres?.destroy();
      throw error;
    }
    const world = new ChaosWorld(postgres, redis);
    try {
      await world.boot(env);
    } catch (error) {
      await world.destroy();
      throw error;
    }
    return world;
  }

  get databaseUrl(): string {
    return this.postgres!.url(DATABASE);
  }

  private async boot(env: Record<string, string>): Promise<void> {
    // Migrated once here, so the two roles starting (and restarting) never race for knex's migration lock.
    await ensureDatabase(this.databaseUrl);
    // Silent: the checks' own pool loses its connections when the test stops Postgres, which is the point.
    this.db = createDb(this.databaseUrl, 4, createLogger('silent'));
    await migrateLatest(this.db);
    const { token } = await createClient(this.db, `chaos-${Date.now()}`, [...SCOPES]);
    // A pinned port: after a kill the API comes back where the clients expect it, as behind a load balancer.
    const port = await freePort();
    const common = {
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redis!.url,
      QUEUE_PREFIX: 'chaos',
      LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
      RELAY_POLL_MS: '100',
      WAIT_RECHECK_MS: '100',
      SWEEP_INTERVAL_MS: '500',
      SWEEP_GRACE_MS: '1500',
      SETTLEMENT_BACKOFF_MS: '100',
      SHUTDOWN_TIMEOUT_MS: '5000',
      // A short warm-up at every (re)start: kills may land in it, and it must leave nothing behind.
      WARMUP_MS: '300',
      ...env,
    };
    this.api = new ServiceProcess('api', { ...common, PORT: String(port) });
    this.workers = new ServiceProcess('workers', common);
    await this.api.start();
    await this.workers.start();
    this.http = new HttpClient(`http://127.0.0.1:${port}`, token);
  }

  /** Exits of either role that the test did not cause (a crash of the service itself). */
  get unexpectedExits(): string[] {
    return [...(this.api?.unexpectedExits ?? []), ...(this.workers?.unexpectedExits ?? [])];
  }

  /** Both processes' recent output, for a failure message. */
  logs(): string {
    return `--- api ---\n${this.api?.tail() ?? ''}\n--- workers ---\n${this.workers?.tail() ?? ''}`;
  }

  async destroy(): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      async () => this.workers?.stop(),
      async () => this.api?.stop(),
      async () => this.db?.destroy(),
      async () => this.redis?.destroy(),
      async () => this.postgres?.destroy(),
    ];
    // Every step runs whatever the one before did: a half-built world is still removed completely.
    for (const step of steps) await step().catch((error: unknown) => console.error('chaos cleanup step failed', error));
  }
}
