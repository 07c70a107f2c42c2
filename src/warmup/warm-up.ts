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

/** What the real API shares with its warm-up: the parts that hold no data (or only read it), and its hot path's limits. */
export type SharedParts = Pick<ApiDeps, 'rules' | 'paths' | 'redis'> & {
  hotPath: ConstructorParameters<typeof UnlockedEvents>[1];
};

export interface WarmUpResult extends TrafficCount {
  ms: number;
}

/**
 * Runs the API's own request path for `config.WARMUP_MS` before the API takes its first request, so that the
 * first requests of a new process are served by compiled code rather than pay for V8's warm-up (about 2.5 times the
 * CPU per request over the first seconds, bench/README.md round 20). The traffic is real HTTP through a second
 * instance of the app, on a loopback port of its own, with its own database session: one transaction, over one
 * connection, in which every table is shadowed by an empty temporary copy and which may write nothing else
 * (shadow-schema.ts), rolled back at the end. Its metrics, signals and token live and die with it. A warm-up that
 * fails is logged and the service starts all the same: it only costs speed.
 */
export async function warmUp(config: Config, log: Logger, shared: SharedParts): Promise<WarmUpResult | null> {
  const started = Date.now();
  const quiet = log.child({ warmUp: true }, { level: log.levelVal > log.levels.values.warn! ? log.level : 'warn' });
  // Unnamed statements: nothing prepared on a server connection while the copies shadow the real tables.
  const db = createDb(config.DATABASE_URL, 1, quiet, false);
  // Its wake-ups go to channels of its own, which no process listens on.
  const signals = new SignalBus({ ...config, queuePrefix: `${config.queuePrefix}:warm-up` }, quiet);
  const metrics = new Metrics({ processMetrics: false });
  const server = createServer();
  let trx: Knex.Transaction | null = null;
  try {
    trx = await db.transaction();
    oneQueryAtATime((await (trx.client as PoolClient).acquireConnection()) as pg.Client);
    await shadowSchema(trx);
    const changes = new ChangeFeed(signals);
    changes.start();
    const { hotPath: _, ...parts } = shared;
    const deps: ApiDeps = {
      ...parts,
      db: trx,
      reader: new Reader(trx, null),
      config,
      log: quiet,
      changes,
      events: new UnlockedEvents(trx, shared.hotPath),
      signals,
      auth: new Authenticator(trx, config, quiet),
    };
    server.on('request', createApp(deps, { metrics, queues: [] }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { token } = await createClient(trx, `warm-up-${randomBytes(4).toString('hex')}`, [...SCOPES]);
    const traffic = new WarmUpTraffic(`http://127.0.0.1:${port}`, token, trx, config, quiet);
    const count = await traffic.run(LANES, started + config.WARMUP_MS);
    const result = { ...count, ms: Date.now() - started };
    log.info(result, 'warm-up done');
    return result;
  } catch (error) {
    log.warn({ err: error, ms: Date.now() - started }, 'warm-up failed; starting without it');
    return null;
  } finally {
    if (server.listening) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await trx?.rollback().catch(() => undefined);
    await metrics.close();
    await signals.close();
    await db.destroy();
  }
}
