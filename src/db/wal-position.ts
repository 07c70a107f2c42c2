/** A write-ahead log position as Postgres prints it (`16/B374D848`), as a number that compares. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The primary's WAL position, read at `at` (ms since the epoch) or just after it. */
export interface WalSample {
  lsn: bigint;
  at: number;
}

/**
 * How current a replica that has replayed up to `replayed` is, from the primary's recent positions: the latest
 * sample it has passed. A transaction committed before a sample was taken lies at or below that sample's
 * position, so the replica holds every commit made before that instant. Null when it has passed none of them
 * (it is further behind than the samples reach). Independent of the two servers' clocks and exact when the
 * primary is idle, unlike the replica's last replayed commit time, which stands still then.
 */
export function replicaAsOf(samples: readonly WalSample[], replayed: bigint): number | null {
  let asOf: number | null = null;
  for (const s of samples) if (s.lsn <= replayed && (asOf === null || s.at > asOf)) asOf = s.at;
  return asOf;
}
