import type { Response } from 'express';
import type { Db } from '../db/knex.js';
import type { ReadMeta, Reader } from '../db/reader.js';

/**
 * Tells the client where a lag-tolerant read was served (docs/scaling.md "Read replicas"): `X-Read-Source`
 * (replica or primary), for a replica read `X-Data-As-Of` (every commit before it is in the answer) and
 * `X-Read-Lag-Ms` (how old that is now), for a primary read while a replica is configured `X-Read-Fallback`
 * (why not the replica). Without a replica nothing is added: every read is on the primary, as before.
 */
export function tellReadSource(res: Response, meta: ReadMeta): void {
  if (meta.reason === 'no_replica') return;
  res.set('X-Read-Source', meta.source);
  if (meta.asOf) {
    res.set('X-Data-As-Of', meta.asOf.toISOString());
    res.set('X-Read-Lag-Ms', String(Math.max(0, Date.now() - meta.asOf.getTime())));
  } else {
    res.set('X-Read-Fallback', meta.reason);
  }
}

/** A lag-tolerant read through the Reader, its source told in the response headers. */
export async function lagTolerant<T>(reader: Reader, res: Response, work: (db: Db) => Promise<T>): Promise<T> {
  const served = await reader.read(work);
  tellReadSource(res, served);
  return served.value;
}
