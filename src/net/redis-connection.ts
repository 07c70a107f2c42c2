import { Cluster, Redis } from 'ioredis';
import type { Config } from '../config.js';

/** A connection to one Redis server or to a Redis Cluster: BullMQ and every caller here take either. */
export type RedisConnection = Redis | Cluster;

/** What a caller asks of its connection; it means the same on one server and on a cluster. */
export interface RedisRole {
  /** null: a command waits across reconnects (BullMQ workers, subscribers); a number: it fails after that many. */
  maxRetriesPerRequest: number | null;
  /** false: a command sent while disconnected fails at once instead of waiting in memory. */
  enableOfflineQueue?: boolean;
  /** true: connect on `connect()` or the first command rather than now. */
  lazyConnect?: boolean;
  connectTimeout?: number;
  /** false: a lost connection stays lost (one-shot commands such as the CLI's signal). */
  reconnect?: boolean;
}

type RedisSettings = Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>;

/** `host:port,host:port` as ioredis's startup nodes. */
export function clusterNodes(spec: string): { host: string; port: number }[] {
  return spec
    .split(',')
    .filter((entry) => entry !== '')
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
    });
}

/**
 * The one place the service opens Redis connections: a Cluster client when REDIS_CLUSTER_NODES names seed nodes,
 * a single-server client on REDIS_URL otherwise. A cluster client keeps per-node connections and follows slot
 * moves itself; the role's options go where ioredis reads them on each kind (some on the cluster, the rest on
 * each node's connection).
 */
export function redisConnection(config: RedisSettings, role: RedisRole): RedisConnection {
  const {
    maxRetriesPerRequest,
    enableOfflineQueue = true,
    lazyConnect = false,
    connectTimeout,
    reconnect = true,
  } = role;
  const perConnection = { maxRetriesPerRequest, ...(connectTimeout !== undefined && { connectTimeout }) };
  if (config.REDIS_CLUSTER_NODES === '') {
    return new Redis(config.REDIS_URL, {
      ...perConnection,
      enableOfflineQueue,
      lazyConnect,
      ...(!reconnect && { retryStrategy: () => null }),
    });
  }
  return new Cluster(clusterNodes(config.REDIS_CLUSTER_NODES), {
    redisOptions: perConnection,
    enableOfflineQueue,
    lazyConnect,
    ...(!reconnect && { clusterRetryStrategy: () => null }),
  });
}

/**
 * The servers that hold keys: a cluster's masters (a SCAN on the cluster client reaches one node only), or the
 * one server itself.
 */
export function keyHolders(connection: RedisConnection): Redis[] {
  return connection instanceof Cluster ? connection.nodes('master') : [connection];
}

/** Closes politely when connected; a connection that never came (Redis away) is just dropped. */
export async function closeRedis(connection: RedisConnection): Promise<void> {
  if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
  else connection.disconnect();
}
