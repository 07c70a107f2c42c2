import type { Request, Response } from 'express';
import type { MachineName } from '../../machines/registry.js';
import { applyEvent } from '../engine/apply-event.js';
import { withViewFacts, type ViewRow } from '../engine/view-row.js';
import { causeOf, hasSupportScope } from './auth.js';
import type { ApiDeps } from './deps.js';
import { runWrite } from './idempotent.js';
import { eventEnvelope, expectedSeqOf, idParam, parseOrThrow } from './schemas.js';

/**
 * `POST /v1/{projects,milestones}/:id/events` (docs/api.md): applies one event and answers with the instance's view.
 * With an Idempotency-Key it runs in the key's transaction; without one, as a compare-and-set when it can.
 */
export function postEvent(
  { db, config, events, signals }: ApiDeps,
  machine: MachineName,
  view: (row: ViewRow) => unknown,
) {
  return async (req: Request, res: Response): Promise<void> => {
    const { type, actor, ...payload } = parseOrThrow(eventEnvelope, req.body, 'event');
    const event = { ...payload, type, actor };
    const options = {
      expectedSeq: expectedSeqOf(req.get('if-match')),
      supportScope: hasSupportScope(req),
      ...causeOf(req),
    };
    // The key's transaction may arm timers or write outbox rows; the compare-and-set path says whether it did.
    let relay = true;
    const reply = await runWrite(
      db,
      config,
      req,
      async (trx) => {
        // A row this process remembers would be behind once this commits.
        events.forget(idParam(req));
        const { row } = await applyEvent(trx, machine, idParam(req), event, options);
        events.forgetProjectOf(row);
        return { status: 200, body: view(await withViewFacts(trx, row)) };
      },
      async () => {
        const applied = await events.apply(machine, idParam(req), event, options);
        relay = applied.relay;
        return { status: 200, body: view(applied.row) };
      },
    );
    if (relay) signals.outboxWritten();
    res.status(reply.status).json(reply.body);
  };
}
