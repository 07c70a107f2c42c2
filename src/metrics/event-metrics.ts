import type { NextFunction, Request, Response } from 'express';
import { registeredMachines } from '../../machines/registry.js';
import type { Metrics } from './metrics.js';

// Routes that apply an event to a machine, and which machine. Milestone creation (CREATE / REQUEST) is the
// milestone's first event. Measured at the API because the engine has no metrics hook (docs/operations.md "Metrics").
// Paths as seen under /v1, where this is mounted.
const EVENT_ROUTES: readonly [RegExp, string][] = [
  [/^\/projects\/[^/]+\/events$/, 'project'],
  [/^\/milestones\/[^/]+\/events$/, 'milestone'],
  [/^\/projects\/[^/]+\/milestones$/, 'milestone'],
];

/**
 * Counts each event POST by machine, type and result (`applied`, or the docs/api.md error code), and times the
 * applied ones. The `type` label is limited to event types some registered machine knows, so a client cannot
 * grow the number of series by inventing types.
 */
export function eventMetrics(metrics: Metrics) {
  const knownTypes = new Set(registeredMachines().flatMap((d) => Object.keys(d.roles)));
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST') return next();
    const machine = EVENT_ROUTES.find(([pattern]) => pattern.test(req.path))?.[1];
    if (!machine) return next();
    const started = process.hrtime.bigint();
    // The error mapper writes the code into the JSON body; read it on its way out rather than parse it back.
    let errorCode: string | undefined;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
      if (typeof code === 'string') errorCode = code;
      return json(body);
    };
    res.on('finish', () => {
      const rawType = (req.body as { type?: unknown } | undefined)?.type;
      const type = typeof rawType === 'string' && knownTypes.has(rawType) ? rawType : 'unknown';
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      metrics.events.inc({ machine, type, result: ok ? 'applied' : (errorCode ?? `http_${res.statusCode}`) });
      if (ok) metrics.transitionSeconds.observe({ machine, type }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
