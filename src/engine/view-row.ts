import type { Knex } from 'knex';
import { preparedStatement } from '../db/prepared.js';
import { NotFoundError } from '../errors/index.js';
import { instanceColumnsOf, type InstanceRow } from './instance-row.js';

/** An armed durable timer as a view shows it: the event it will raise and when (ISO-8601 UTC, milliseconds). */
export interface ArmedDeadline {
  name: string;
  dueAt: string;
}

/**
 * What a view shows beside the snapshot (docs/api.md "Views (v1.1)"), read from the ledger and the timers in the
 * instance's own statement, so a list page is one statement however many items it holds.
 */
export interface ViewFacts {
  /** Balance of the milestone's escrow account, minor units as text; null while there is none (projects, unfunded). */
  held_amount: string | null;
  /** Armed timers (not fired, not cancelled), soonest first. */
  deadlines: ArmedDeadline[];
}

export type ViewRow = InstanceRow & ViewFacts;

/**
 * The facts of an instance its own statement just created: no timer is armed and no account exists yet (a first
 * event that arms a timer goes through the locking path, and accounts are opened by settlement after commit).
 */
export const NEW_INSTANCE_FACTS: ViewFacts = { held_amount: null, deadlines: [] };

// The escrow account by accounts_escrow_milestone_idx (its predicate repeated), the timers by timers_one_armed_idx.
// Microseconds are cut to milliseconds: the precision of the JSON times everywhere else in the API.
const armedDeadlines = (alias: string): string => `
    SELECT json_agg(
             json_build_object(
               'name', armed_timer.event ->> 'type',
               'dueAt', to_char(armed_timer.fire_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
             ORDER BY armed_timer.fire_at, armed_timer.id) AS deadlines
    FROM timers AS armed_timer
    WHERE armed_timer.instance_id = ${alias}.id AND armed_timer.status = 'armed'`;

const escrowBalance = (alias: string): string =>
  `SELECT escrow.balance::text FROM accounts AS escrow WHERE escrow.milestone_id = ${alias}.id AND escrow.kind = 'escrow'`;

const factJoins = (alias: string): string => `
  LEFT JOIN accounts AS escrow ON escrow.milestone_id = ${alias}.id AND escrow.kind = 'escrow'
  LEFT JOIN LATERAL (${armedDeadlines(alias)}) AS armed ON true`;

/**
 * ViewFacts as two scalar columns of a statement over instances aliased `alias`, computed only where `when` holds
 * (both null elsewhere). Scalar subqueries are an index lookup per row, where a join over a handful of rows let the
 * planner hash every escrow account: the write statements, which need the facts of a few of their rows only.
 */
export const scalarViewFacts = (alias: string, when: string): string => `
  CASE WHEN ${when} THEN (${escrowBalance(alias)}) END AS held_amount,
  CASE WHEN ${when} THEN coalesce((${armedDeadlines(alias)}), '[]'::json) END AS deadlines`;

const FACT_COLUMNS = `escrow.balance::text AS held_amount, coalesce(armed.deadlines, '[]'::json) AS deadlines`;

/** The joins and columns that add ViewFacts to a statement over instances aliased `alias` (lists). */
export const viewFacts = (alias: string) => ({ joins: factJoins(alias), columns: FACT_COLUMNS });

/**
 * Instance rows with their facts, by id (src/engine/instance-reader.ts): one statement per list length, `ids`
 * matching them (src/db/id-list-statement.ts).
 */
export const readViewRowsSql = (ids: string): string => `SELECT ${instanceColumnsOf('i')}, ${FACT_COLUMNS}
  FROM instances AS i ${factJoins('i')} WHERE i.id ${ids}`;

const findViewRowStatement = preparedStatement<ViewRow>(
  'find_view_row',
  `SELECT ${instanceColumnsOf('i')}, ${FACT_COLUMNS} FROM instances AS i ${factJoins('i')}
   WHERE i.id = ? AND i.machine = ?`,
);

const readFactsStatement = preparedStatement<ViewFacts>(
  'read_view_facts',
  `SELECT ${FACT_COLUMNS} FROM (SELECT ?::text AS id) AS i ${factJoins('i')}`,
);

/** The instance with its facts, as GET /v1/{milestones,projects}/:id shows it. */
export async function findViewRow(db: Knex, id: string, machine: string): Promise<ViewRow> {
  const [row] = await findViewRowStatement(db, [id, machine]);
  if (!row) throw new NotFoundError(`No ${machine} with id ${id}.`, { id });
  return row;
}

/**
 * A row this transaction wrote, with its facts as the transaction sees them (the timers its event armed or
 * disarmed included): the reply to an event applied on the locking path.
 */
export async function withViewFacts(db: Knex, row: InstanceRow): Promise<ViewRow> {
  const [facts] = await readFactsStatement(db, [row.id]);
  return { ...row, ...facts! };
}
