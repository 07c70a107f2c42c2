import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Config } from '../config.js';
import { bornWithExpressPrototypes } from './born-with-express-prototypes.js';

/**
 * Slow or too many clients cannot hold the API's sockets (docs/security.md "Edge limits"): the request head and
 * the whole request must arrive in time, idle keep-alive sockets close, and sockets past the cap are refused.
 */
export async function listenLimited(app: Express, config: Config): Promise<Server> {
  const server = createServer(
    {
      // One shape per request and response object on the hot path (born-with-express-prototypes.ts).
      ...bornWithExpressPrototypes(app),
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      // Node checks those timeouts only this often (30 s by default, which would let a slow body overstay).
      connectionsCheckingInterval: config.HTTP_TIMEOUT_CHECK_INTERVAL_MS,
    },
    app,
  );
  if (config.HTTP_MAX_CONNECTIONS > 0) server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve(server));
  });
}
