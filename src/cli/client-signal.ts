import type { Config } from '../config.js';
import { redisConnection } from '../net/redis-connection.js';
import { clientChannelOf } from '../signals/signal-bus.js';

const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Tells every running API process that a client changed (revoked, rotated, created), so each drops what its
 * token cache holds about it now rather than when the cache entry expires. Returns false when Redis could not
 * be reached: the change is committed anyway and takes effect within AUTH_CACHE_MS.
 */
export async function signalClientChanged(config: Config, clientId: string): Promise<boolean> {
  const redis = redisConnection(config, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    reconnect: false,
    lazyConnect: true,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.publish(clientChannelOf(config), clientId);
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
