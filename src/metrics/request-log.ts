import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiClient } from '../auth/tokens.js';
import type { Logger } from '../logger.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: the caller's X-Request-Id when acceptable, else a new UUID (also sent back). */
    id: string;
    /** The API client the request authenticated as; set by src/api/auth.ts. */
    client?: ApiClient;
  }
}

// Probes and scrapes arrive every few seconds; logging each would drown the lines that matter.
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One structured JSON log line per request with a request id: the caller's `X-Request-Id` when it is short and
 * plain (so a trace spans services), else a new UUID; returned as `X-Request-Id` and available to handlers as
 * `req.id`. Headers are not logged: they carry bearer tokens and cookies. The line has pino-http's shape
 * (`req`, `res`, `responseTime`, "request completed" / "request errored" / "request aborted"); pino-http itself
 * built two child loggers per request whatever the level, which cost the event hot path 8 % of the API's CPU
 * (bench/README.md). Here a line is only built when its level is enabled.
 */
export function requestLog(log: Logger, maxIdChars: number) {
  const acceptable = new RegExp(`^[A-Za-z0-9._:-]{1,${maxIdChars}}$`);
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && acceptable.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    if (!QUIET_PATHS.has(req.path)) {
      const started = Date.now();
      res.once('close', () => {
        const finished = res.writableFinished;
        const level = !finished || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
        if (!log.isLevelEnabled(level)) return;
        const line = {
          // The API client that made the request (audit trail; docs/audit.md), once authentication named it.
          req: { id, method: req.method, url: req.originalUrl, client: req.client?.id ?? null },
          res: { statusCode: res.statusCode },
          responseTime: Date.now() - started,
        };
        log[level](
          line,
          finished ? (res.statusCode >= 500 ? 'request errored' : 'request completed') : 'request aborted',
        );
      });
    }
    next();
  };
}
