import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type pg from 'pg';
import { createApp } from '../api/app.js';
import { Authenticator } from '../api/auth.js';
import { ChangeFeed } from '../api/change-feed.js';
import type { ApiDeps } from '../api/deps.js';
import { createClient, SCOPES } from '../auth/tokens.js';
import type { Config } from '../config.js';
import { createDb } from '../db/knex.js';
import type { PoolClient } from '../db/prepared.js';
import { Reader } from '../db/reader.js';
import { UnlockedEvents } from '../engine/apply-event-unlocked.js';
import type { Logger } from '../logger.js';
import { Metrics } from '../metrics/metrics.js';
import { SignalBus } from '../signals/signal-bus.js';
import { oneQueryAtATime } from './one-query-at-a-time.js';
import { shadowSchema } from './shadow-schema.js';
import { WarmUpTraffic, type TrafficCount } from './warm-up-traffic.js';

// Lanes of warm-up traffic at once: enough that the hot path's shared statements carry several events each.
const LANES = 32;
// How long the warm-up waits for a lock another session holds before it gives up (and the service starts cold).
const LOCK_TIMEOUT_MS = 2000;
// How far past WARMUP_MS the warm-up may run (its last requests, the rollback) before it is cut off.
const GRACE_MS = 5000;

/** What the real API shares with its warm-up: the parts that hold no data (or only read it), and its hot path's limits. */
export type SharedParts = Pick<ApiDeps, 'rules' | 'paths' | 'redis'> & {
  hotPath: ConstructorParameters<typeof UnlockedEvents>[1];
};

export interface WarmUpResult extends TrafficCount {
  ms: number;
}

/**
 * Runs the API's own request path for `config.WARMUP_MS` before the API takes its first request, so that the first
 * requests of a new process pay less for V8's warm-up (about 2.5 times the CPU per request over the first seconds cold,
 * about 1.8 times warm: bench/README.md rounds 20 and 21). The traffic is real HTTP through a second instance of the
 * app, on a loopback port of its own, with its own database session: one transaction, over one connection, in which
 * every table is shadowed by an empty temporary copy and which may write nothing else (shadow-schema.ts), rolled back
 * at the end. Its metrics, signals and token live and die with it. A warm-up that fails is logged and the service
 * starts all the same: it only costs speed.
 */
export async function warmUp(config: Config, log: Logger, shared: SharedParts): Promise<WarmUpResult | null> {
  const started = Date.now();
  const quiet = log.child({ warmUp: true }, { level: log.levelVal > log.levels.values.warn! ? log.level : 'warn' });
  const own = warmUpConfig(config);
  // Unnamed statements: nothing prepared on a server connection while the copies shadow the real tables.
  const db = createDb(config.DATABASE_URL, 1, quiet, false);
  const signals = new SignalBus(own, quiet);
  const metrics = new Metrics({ processMetrics: false });
  const server = createServer();
  let trx: Knex.Transaction | null = null;
  let connection: pg.Client | null = null;
  // However it goes, the warm-up ends by this time: its connection is closed under it, and it fails.
  const deadline = setTimeout(() => void connection?.end().catch(() => undefined), config.WARMUP_MS + GRACE_MS);
  try {
    trx = await db.transaction();
    connection = (await (trx.client as PoolClient).acquireConnection()) as pg.Client;
    oneQueryAtATime(connection);
    // It waits for no lock another session holds (a migration's), and no statement of it runs past the deadline.
    await trx.raw("SELECT set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true)", [
      String(LOCK_TIMEOUT_MS),
      String(config.WARMUP_MS + GRACE_MS),
    ]);
    await shadowSchema(trx);
    const changes = new ChangeFeed(signals);
    changes.start();
    const { hotPath, ...parts } = shared;
    const deps: ApiDeps = {
      ...parts,
      db: trx,
      reader: new Reader(trx, null),
      config: own,
      log: quiet,
      changes,
      events: new UnlockedEvents(trx, hotPath),
      signals,
      auth: new Authenticator(trx, own, quiet),
    };
    server.on('request', createApp(deps, { metrics, queues: [] }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const { token } = await createClient(trx, `warm-up-${randomBytes(4).toString('hex')}`, [...SCOPES]);
    const traffic = new WarmUpTraffic(`http://127.0.0.1:${port}`, token, trx, own, quiet);
    const count = await traffic.run(LANES, started + config.WARMUP_MS);
    const result = { ...count, ms: Date.now() - started };
    log.info(result, 'warm-up done');
    return result;
  } catch (error) {
    log.warn({ err: error, ms: Date.now() - started }, 'warm-up failed; starting without it');
    return null;
  } finally {
    clearTimeout(deadline);
    await closeQuietly(async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    await closeQuietly(async () => trx?.rollback());
    await closeQuietly(() => metrics.close());
    await closeQuietly(() => signals.close());
    await closeQuietly(() => db.destroy());
  }
}

/**
 * The configuration the warm-up's app runs with: the service's, but with no per-token rate limit (its one token
 * sends far more than a client budget is sized for) and with wake-up channels of its own, which no process listens
 * on (a random name, so that two processes warming up at once do not hear each other either).
 */
function warmUpConfig(config: Config): Config {
  return {
    ...config,
    RATE_LIMIT_PER_SEC: 0,
    queuePrefix: `${config.queuePrefix}:warm-up:${randomBytes(4).toString('hex')}`,
  };
}

/** A clean-up step whose failure must not turn a finished warm-up into a failed start. */
async function closeQuietly(step: () => Promise<unknown>): Promise<void> {
  await step().catch(() => undefined);
}
