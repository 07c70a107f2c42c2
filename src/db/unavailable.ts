// Postgres and driver failures that mean "the database is not reachable right now", not "the request is bad".
const UNAVAILABLE_PG_CLASSES = ['08', '53', '57'];
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** True when the error says the database could not be reached or dropped the connection, whatever the query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  if (e.name === 'KnexTimeoutError') return true;
  if (typeof e.code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(e.code)) return true;
    if (e.code.length === 5 && UNAVAILABLE_PG_CLASSES.some((c) => (e.code as string).startsWith(c))) return true;
  }
  return (
    typeof e.message === 'string' &&
    /Connection terminated|connection (is )?closed|connection error and is not queryable/i.test(e.message)
  );
}
