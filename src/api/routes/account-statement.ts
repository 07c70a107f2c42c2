import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { currencyExponent } from '../../currencies.js';
import { InvalidRequestError } from '../../errors/index.js';
import { decodeCursor, encodeCursor, type PostedKey } from '../../lists/list-cursor.js';
import { streamStatementCsv, type ChunkSink } from '../../ledger/statement-csv.js';
import { statementPage, type StatementRange } from '../../ledger/statement.js';
import { formatMoney } from '../../money.js';
import type { Db } from '../../db/knex.js';
import type { ApiDeps } from '../deps.js';
import { lagTolerant, tellReadSource } from '../read-source.js';
import { isoTime } from '../list-query.js';
import { limitParam, opaqueCursorParam } from '../page-params.js';
import { clientId, currency, parseOrThrow } from '../schemas.js';

// GET /v1/accounts/:ownerId/statement?currency=&from=&to=&limit=&cursor= (docs/api.md "Money (v1.1)"): the owner's
// available balance in one currency over [from, to), as a JSON page or, with ?format=csv or Accept: text/csv,
// the whole range as CSV streamed from a database cursor.

// A day (`2026-12-01`) reads as its midnight UTC, for statements by calendar day.
const time = z.union([z.iso.date().transform((d) => new Date(`${d}T00:00:00Z`)), isoTime]);
const statementQuery = z.object({
  currency: currency.optional(),
  from: time.optional(),
  to: time.optional(),
  format: z.enum(['json', 'csv']).optional(),
});

/** The currency asked for, or the owner's only one; which account a statement is of must never be a guess. */
async function currencyOf(db: Db, ownerId: string, asked: string | undefined): Promise<string> {
  if (asked !== undefined) return asked;
  const held = await db<{ currency: string; owner_id: string; kind: string }>('accounts')
    .where({ owner_id: ownerId, kind: 'available' })
    .orderBy('currency')
    .pluck('currency');
  if (held.length === 1) return held[0]!;
  const why = held.length === 0 ? 'the owner has no account yet' : `the owner has accounts in ${held.join(', ')}`;
  throw new InvalidRequestError(`currency is required: ${why}.`, {
    issues: [{ path: 'currency', message: 'required' }],
  });
}

function wantsCsv(req: Request, format: 'json' | 'csv' | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Resolves once the response can take more, or is gone; leaves no listener behind (a stream waits thousands of times). */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** Writes to the response, waiting while its buffer is full; a client gone away ends the stream (and its cursor). */
function responseSink(res: Response, filename: string): ChunkSink {
  return async (chunk) => {
    if (!res.headersSent) {
      res.status(200);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    }
    if (res.destroyed) throw new Error('the client closed the connection');
    if (!res.write(chunk)) await drainedOrClosed(res);
  };
}

async function sendCsv(
  deps: ApiDeps,
  db: Db,
  res: Response,
  range: StatementRange,
  after: PostedKey | null,
  limit: number | null,
): Promise<void> {
  const filename = `statement-${range.ownerId.replace(/[^A-Za-z0-9._-]/g, '_')}-${range.currency}.csv`;
  const sink = responseSink(res, filename);
  try {
    await streamStatementCsv(db, range, after, limit, sink, deps.config.STATEMENT_CSV_BATCH_ROWS);
    res.end();
  } catch (error) {
    // Before the first chunk the error handler can still answer; after it, only cutting the response short
    // tells the client the file is incomplete (a 200 that ends cleanly would pass for a whole statement).
    if (!res.headersSent) throw error;
    deps.log.warn({ err: error, ownerId: range.ownerId }, 'statement CSV cut short');
    res.destroy();
  }
}

export function statementHandler(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const ownerId = parseOrThrow(clientId, req.params.ownerId, 'owner id');
    const query = parseOrThrow(statementQuery, req.query, 'query');
    if (query.from && query.to && query.from > query.to)
      throw new InvalidRequestError('from must not be after to.', { issues: [{ path: 'from', message: 'after to' }] });
    const csv = wantsCsv(req, query.format);
    // A CSV is the whole range unless a limit is given (then the first `limit` entries, as a page would).
    const limit = limitParam(req.query, deps.config.LIST_LIMIT_DEFAULT, deps.config.LIST_LIMIT_MAX);
    const cursor = opaqueCursorParam(req.query);
    const after = cursor === undefined ? null : (decodeCursor(cursor, 'posted') as PostedKey);
    const rangeIn = async (db: Db): Promise<StatementRange> => ({
      ownerId,
      currency: await currencyOf(db, ownerId, query.currency),
      from: query.from ?? null,
      to: query.to ?? null,
    });
    if (csv) {
      // A stream cannot be run again on another pool once rows went out, so its pool is chosen once, up front.
      const { db, ...meta } = deps.reader.route();
      tellReadSource(res, meta);
      return sendCsv(deps, db, res, await rangeIn(db), after, req.query.limit === undefined ? null : limit);
    }
    const { range, page } = await lagTolerant(deps.reader, res, async (db) => {
      const range = await rangeIn(db);
      return { range, page: await statementPage(db, range, after, limit) };
    });
    res.json({
      ownerId,
      currency: range.currency,
      currencyExponent: currencyExponent(range.currency),
      from: typeof req.query.from === 'string' ? req.query.from : null,
      to: typeof req.query.to === 'string' ? req.query.to : null,
      openingBalance: formatMoney(page.openingBalance),
      closingBalance: formatMoney(page.closingBalance),
      entries: page.entries.map((e) => ({
        transferId: e.transferId,
        at: e.at.toISOString(),
        kind: e.kind,
        amount: formatMoney(e.amount),
        balanceAfter: formatMoney(e.balanceAfter),
        instanceId: e.instanceId,
        seq: e.seq,
      })),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    });
  };
}
