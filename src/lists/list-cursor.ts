import { z } from 'zod';
import { InvalidRequestError } from '../errors/index.js';

// Keyset cursors of the list routes: opaque to clients (base64url of a small JSON array), checked strictly on
// the way back in, so a cursor that was not handed out by the same kind of list is a 400 and never reaches SQL.

/** Creation order: the instance number of the last item. */
export interface NumberKey {
  order: 'n';
  n: string;
}
/** Soonest deadline first: the deadline of the last item (microseconds kept, as Postgres stores it) and its number. */
export interface DeadlineKey {
  order: 'deadline';
  at: string;
  n: string;
}
/** Ledger order, an account statement's: the posting time of the last entry (microseconds) and its transfer number. */
export interface PostedKey {
  order: 'posted';
  at: string;
  n: string;
}
export type ListKey = NumberKey | DeadlineKey | PostedKey;

const instanceNumber = z.string().regex(/^[1-9][0-9]{0,17}$/);
const utcMicros = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
const keySchema = z.union([
  z.tuple([z.literal('n'), instanceNumber]),
  z.tuple([z.literal('deadline'), utcMicros, instanceNumber]),
  z.tuple([z.literal('posted'), utcMicros, instanceNumber]),
]);

export function encodeCursor(key: ListKey): string {
  const parts = key.order === 'n' ? ['n', key.n] : [key.order, key.at, key.n];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The key of a cursor this list handed out for the same order; anything else is a client mistake (400). */
export function decodeCursor(cursor: string, order: ListKey['order']): ListKey {
  const refuse = (): never => {
    throw new InvalidRequestError('cursor must be the nextCursor of a previous page of the same list.', {
      issues: [{ path: 'cursor', message: 'not a cursor of this list' }],
    });
  };
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return refuse();
  }
  const key = keySchema.safeParse(parsed);
  if (!key.success || key.data[0] !== order) return refuse();
  const decoded: ListKey =
    key.data[0] === 'n' ? { order: 'n', n: key.data[1] } : { order: key.data[0], at: key.data[1], n: key.data[2] };
  // Base64 has several spellings of one byte string: only the one we hand out is accepted.
  if (encodeCursor(decoded) !== cursor) return refuse();
  return decoded;
}
