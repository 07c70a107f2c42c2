/**
 * The default variant runs inside `npm test` and stays short; `CHAOS_LONG=1` turns on the long one
 * (issue #8: 30 crash rounds, a 30 s Redis outage).
 */
export const CHAOS_LONG = process.env.CHAOS_LONG === '1';

export const chaosFigures = {
  crashRounds: CHAOS_LONG ? 30 : 6,
  /** A kill lands at a random moment this long after the previous restart. */
  crashGapMinMs: 700,
  crashGapMaxMs: CHAOS_LONG ? 4_000 : 2_500,
  /** How long a killed process stays down before the supervisor (the test) restarts it. */
  downMaxMs: CHAOS_LONG ? 3_000 : 800,
  redisOutageMs: CHAOS_LONG ? 30_000 : 5_000,
  postgresOutageMs: CHAOS_LONG ? 10_000 : 2_500,
  loadConcurrency: CHAOS_LONG ? 8 : 6,
};
