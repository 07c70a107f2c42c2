import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger.js';

// Probes and scrapes arrive every few seconds; logging each would drown the lines that matter.
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One structured JSON log line per request (pino-http) with a request id: the caller's `X-Request-Id` when it
 * is short and plain (so a trace spans services), else a new UUID; returned as `X-Request-Id` and available to
 * handlers as `req.id` / `req.log`. Headers are not logged: they carry bearer tokens and cookies.
 */
export function requestLog(log: Logger, maxIdChars: number) {
  const acceptable = new RegExp(`^[A-Za-z0-9._:-]{1,${maxIdChars}}$`);
  return pinoHttp({
    logger: log,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && acceptable.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0] ?? '') },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
