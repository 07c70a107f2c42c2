import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createDb, type Db } from './knex.js';
import { Reader } from './reader.js';
import { Replica } from './replica.js';

/** The Reader for this configuration: with DATABASE_READ_URL's replica (not yet checked) or the primary alone. */
export function readerFor(primary: Db, config: Config, poolMax: number, log?: Logger): Reader {
  if (!config.DATABASE_READ_URL) return new Reader(primary, null);
  // The pool's own connection warnings would repeat at every check while the replica is away; Replica logs the
  // change once instead, so the pool reports errors only.
  const pool = createDb(config.DATABASE_READ_URL, poolMax, log?.child({ pool: 'replica' }, { level: 'error' }));
  const options = { maxLagMs: config.READ_REPLICA_MAX_LAG_MS, checkIntervalMs: config.READ_REPLICA_CHECK_MS };
  return new Reader(primary, new Replica(pool, primary, options, log));
}
