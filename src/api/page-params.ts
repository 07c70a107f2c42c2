import { InvalidRequestError } from '../errors/index.js';

// `limit` and `cursor` of every list route, read one way (docs/api.md "Conventions (v1.1)"): a malformed value is a
// 400 invalid_request naming the parameter, checked before any SQL runs, so a value the database cannot hold
// (`?cursor=2147483648` against an integer column) never becomes a 500. A parameter given empty (`?limit=`) is
// one not given, as the list routes have always read their filters.

/** A cursor kind: a row number of a bigserial column, or a history seq (an integer column: 0 … 2^31-1). */
export type CursorKind = 'serial' | 'seq';

const INT4_MAX = 2_147_483_647;
// Whole decimal numbers only: Number() would also take "0x10", "1e2", " 5", "+5" and "1.0".
const DIGITS = /^[0-9]+$/;
// A bigserial value has at most 19 digits; 18 keeps every accepted cursor below 2^63-1 without BigInt.
const SERIAL = /^[0-9]{1,18}$/;

function refuse(parameter: string, message: string): never {
  throw new InvalidRequestError(`${parameter} ${message}.`, { issues: [{ path: parameter, message }] });
}

/** The one value of a query parameter, or undefined when absent or empty; a repeated parameter is refused. */
function single(query: Record<string, unknown>, parameter: string): string | undefined {
  const value = query[parameter];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return refuse(parameter, 'must be given once');
  return value;
}

/** `limit`: a whole number 1 … `max`; `fallback` when not given. */
export function limitParam(query: Record<string, unknown>, fallback: number, max: number): number {
  const text = single(query, 'limit');
  if (text === undefined) return fallback;
  const message = `must be a whole number from 1 to ${max}`;
  // Twelve digits bound the number well inside what a double holds exactly, whatever `max` is.
  if (!DIGITS.test(text) || text.length > 12) return refuse('limit', message);
  const limit = Number(text);
  if (limit < 1 || limit > max) return refuse('limit', message);
  return limit;
}

/** `cursor` of a list keyed by a number (a bigserial row number, or a history seq), as a decimal string. */
export function numberCursorParam(query: Record<string, unknown>, kind: CursorKind): string | undefined {
  const text = single(query, 'cursor');
  if (text === undefined) return undefined;
  const message = 'must be the nextCursor of a previous page';
  if (!SERIAL.test(text)) return refuse('cursor', message);
  if (kind === 'seq' && Number(text) > INT4_MAX) return refuse('cursor', message);
  return text;
}

/** The opaque `cursor` text of a keyset list (src/lists/list-cursor.ts decodes it). */
export function opaqueCursorParam(query: Record<string, unknown>): string | undefined {
  return single(query, 'cursor');
}

/** `limit` and a number `cursor`: the page of a list that is not filtered further than its path. */
export function pageQuery(
  query: Record<string, unknown>,
  defaultLimit: number,
  maxLimit: number,
  kind: CursorKind = 'serial',
): { limit: number; cursor: string | undefined } {
  return { limit: limitParam(query, defaultLimit, maxLimit), cursor: numberCursorParam(query, kind) };
}
