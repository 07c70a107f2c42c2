import type pg from 'pg';

type Callback = (error: Error | null, result: pg.QueryResult) => void;

/**
 * Makes `connection` take its queries one after the other, in call order. The warm-up runs many requests at once
 * over the one connection that holds its transaction; node-postgres queues queries sent to a busy connection
 * itself, but deprecates doing so (and pg@9 refuses), so they wait here instead. Both call shapes in use are
 * kept: knex's (config, callback) and the promise one (config[, values]) of src/db/prepared.ts.
 */
export function oneQueryAtATime(connection: pg.Client): void {
  const query = connection.query.bind(connection) as (...args: unknown[]) => Promise<pg.QueryResult> | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  const queued = (...args: unknown[]): Promise<pg.QueryResult> | undefined => {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const callback = last as Callback;
      const head = args.slice(0, -1);
      tail = tail.then(
        () =>
          new Promise<void>((done) => {
            try {
              void query(...head, (error: Error | null, result: pg.QueryResult) => {
                done();
                callback(error, result);
              });
            } catch (error) {
              // Thrown before the query was queued: the caller hears of it, and the queue moves on.
              done();
              callback(error as Error, undefined as unknown as pg.QueryResult);
            }
          }),
      );
      return undefined;
    }
    const result = tail.then(() => query(...args));
    tail = result.catch(() => undefined);
    return result as Promise<pg.QueryResult>;
  };
  connection.query = queued as typeof connection.query;
}
