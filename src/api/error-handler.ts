import type { NextFunction, Request, Response } from 'express';
import {
  ApiError,
  GuardFailedError,
  InvalidRequestError,
  PayloadTooLargeError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from '../errors/index.js';
import { AccountOverflowError } from '../ledger/account-overflow-error.js';
import { DepositLimitError } from '../ledger/deposit-limit-error.js';
import { InsufficientFundsError } from '../ledger/insufficient-funds-error.js';
import type { Logger } from '../logger.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';

// Values Postgres cannot store (bad Unicode escapes, characters outside UTF-8): the client's data, not our fault.
const CLIENT_DATA_PG_CODES = new Set(['22P05', '22021']);

/**
 * Errors raised by Express and body-parser before our code runs (bad JSON, oversized or mis-encoded bodies,
 * malformed percent-encoding in the path) carry an exposed 4xx `status`; they are the client's mistake.
 */
function fromHttpLayer(error: unknown): ApiError | null {
  const e = error as { type?: unknown; status?: unknown; expose?: unknown };
  if (e.type === 'entity.too.large' || e.status === 413)
    return new PayloadTooLargeError('The request body is larger than allowed.');
  if (e.type === 'entity.parse.failed') return new InvalidRequestError('The request body is not valid JSON.');
  // Reached only by an empty body (requireJsonBody refuses a body in any charset but UTF-8 before it is read).
  if (e.type === 'charset.unsupported') return new UnsupportedMediaTypeError('A request body must be UTF-8.');
  if (error instanceof URIError) return new InvalidRequestError('The request path is not valid percent-encoding.');
  if (e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new InvalidRequestError(`The request could not be read (${(error as Error).message}).`);
  }
  return null;
}

/**
 * The ledger's refusals (src/ledger/*-error.ts): operating outcomes with a named rule (docs/api.md "Errors (v1.1)"),
 * never a misleading 400. The platform's external account overflowing is the currency being full, not the
 * caller's account, and the message says so.
 */
function fromLedger(error: unknown): ApiError | null {
  if (error instanceof DepositLimitError) {
    return new GuardFailedError(
      'deposit_limit',
      `A deposit may move at most ${error.max} minor units; this one asks ${error.amount}.`,
      { max: error.max.toString() },
    );
  }
  if (error instanceof InsufficientFundsError) {
    return new GuardFailedError(
      'insufficient_funds',
      `The balance holds ${error.balance}; ${error.amount} is needed.`,
      {
        required: error.amount.toString(),
        available: error.balance.toString(),
      },
    );
  }
  if (error instanceof AccountOverflowError) {
    const whose =
      error.kind === 'external'
        ? `the platform's external account for ${error.currency} (it carries every ${error.currency} deposit until money leaves through payouts)`
        : `${error.kind} account ${error.accountId}`;
    return new GuardFailedError(
      'balance_limit',
      `Moving ${error.amount} would take ${whose} past ${error.limit} minor units, the most the ledger holds.`,
      { account: error.kind, currency: error.currency, max: error.limit.toString() },
    );
  }
  return null;
}

/** The one place where errors become docs/api.md responses (STYLE §6, §13). */
export function errorHandler(log: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let apiError = error instanceof ApiError ? error : (fromLedger(error) ?? fromHttpLayer(error));
    if (!apiError && CLIENT_DATA_PG_CODES.has(String((error as { code?: unknown }).code))) {
      apiError = new InvalidRequestError('The request contains text that cannot be stored.');
    }
    if (!apiError && isDatabaseUnavailable(error)) {
      log.warn({ err: error, path: req.path }, 'database unavailable');
      apiError = new UnavailableError('The database is not reachable; try again shortly.', { dependency: 'postgres' });
    }
    if (!apiError) {
      log.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
      res.status(500).json({ error: { code: 'internal', message: 'Internal error.' } });
      return;
    }
    // docs/api.md writes both "…details" (spread beside code) and "details.role"; answer both readings.
    const { details, fields } = apiError;
    res
      .status(apiError.status)
      .json({ error: { code: apiError.code, message: apiError.message, ...details, details, ...fields } });
  };
}
