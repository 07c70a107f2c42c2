import { z } from 'zod';
import type { MachineName } from '../../machines/registry.js';
import type { Config } from '../config.js';
import { InvalidRequestError } from '../errors/index.js';
import type { ListFilters } from '../lists/instance-list.js';
import { decodeCursor, type ListKey } from '../lists/list-cursor.js';
import { knownStatePaths } from '../lists/state-filter.js';
import { limitParam, opaqueCursorParam } from './page-params.js';
import { clientId, parseOrThrow } from './schemas.js';

// Query strings of GET /v1/milestones and GET /v1/projects (docs/api.md "Lists (v1.1)"). Every parameter is checked
// before any SQL runs: a malformed one is a 400 naming it, never a 500 and never an empty page by accident.

// A `+` of an unencoded offset (`+02:00`) arrives as a space in a query string: read it back as the `+` it was.
export const isoTime = z
  .string()
  .transform((s) => s.replace(' ', '+'))
  .pipe(z.iso.datetime({ offset: true }))
  .transform((s) => new Date(s));
const statePath = z.string().regex(/^[a-z_]{1,64}(\.[a-z_]{1,64}){0,3}$/, 'must be a state such as in_progress');

const milestoneQuery = z.object({
  projectId: clientId.optional(),
  state: statePath.optional(),
  party: clientId.optional(),
  disputeStage: z
    .string()
    .regex(/^[a-z_]{1,64}$/, 'must be a dispute stage such as awaiting_response')
    .optional(),
  deadlineBefore: isoTime.optional(),
  stuck: z.enum(['true', 'false']).optional(),
  updatedSince: isoTime.optional(),
});

// `limit` and `cursor` are read by src/api/page-params.ts, as on every list route.
const projectQuery = milestoneQuery.pick({ state: true, party: true });

export interface ListRequest {
  filters: ListFilters;
  limit: number;
  after: ListKey | null;
}

function checkState(machine: MachineName, path: string, parameter: string): string {
  const known = knownStatePaths(machine);
  if (!known.has(path)) {
    throw new InvalidRequestError(`${parameter} ${path} is not a ${machine} state.`, {
      issues: [{ path: parameter, message: `not one of ${[...known].sort().join(', ')}` }],
    });
  }
  return path;
}

function page(query: Record<string, unknown>, config: Config, order: ListKey['order']) {
  const cursor = opaqueCursorParam(query);
  return {
    limit: limitParam(query, config.LIST_LIMIT_DEFAULT, config.LIST_LIMIT_MAX),
    after: cursor === undefined ? null : decodeCursor(cursor, order),
  };
}

/** `?state=&party=` (docs/api.md writes its lists so): a parameter given empty is a parameter not given. */
const given = (query: Record<string, unknown>) => Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));

export function milestoneListRequest(query: Record<string, unknown>, config: Config): ListRequest {
  const q = parseOrThrow(milestoneQuery, given(query), 'query');
  const states: string[] = [];
  if (q.state !== undefined) states.push(checkState('milestone', q.state, 'state'));
  // docs/api.md: disputeStage=awaiting_response is the same as state=disputed.awaiting_response.
  if (q.disputeStage !== undefined) states.push(checkState('milestone', `disputed.${q.disputeStage}`, 'disputeStage'));
  const order = q.deadlineBefore === undefined ? 'n' : 'deadline';
  return {
    filters: {
      projectId: q.projectId,
      states,
      party: q.party,
      deadlineBefore: q.deadlineBefore,
      stuckAfterMs: q.stuck === 'true' ? config.STUCK_AFTER_MS : undefined,
      updatedSince: q.updatedSince,
    },
    ...page(query, config, order),
  };
}

export function projectListRequest(query: Record<string, unknown>, config: Config): ListRequest {
  const q = parseOrThrow(projectQuery, given(query), 'query');
  return {
    filters: { states: q.state ? [checkState('project', q.state, 'state')] : [], party: q.party },
    ...page(query, config, 'n'),
  };
}

const ownedQuery = milestoneQuery.pick({ state: true });

/** `GET /v1/accounts/:ownerId/payouts?state=&limit=&cursor=`: one owner's instances of a machine, oldest first. */
export function ownedListRequest(
  machine: MachineName,
  ownerId: string,
  query: Record<string, unknown>,
  config: Config,
): ListRequest {
  const q = parseOrThrow(ownedQuery, given(query), 'query');
  return {
    filters: { states: q.state ? [checkState(machine, q.state, 'state')] : [], party: ownerId },
    ...page(query, config, 'n'),
  };
}
