import { z } from 'zod';
import type { MachineName } from '../../machines/registry.js';
import type { Config } from '../config.js';
import { InvalidRequestError } from '../errors/index.js';
import type { ListFilters } from '../lists/instance-list.js';
import { decodeCursor, type ListKey } from '../lists/list-cursor.js';
import { knownStatePaths } from '../lists/state-filter.js';
import { clientId, parseOrThrow } from './schemas.js';

// Query strings of GET /v1/milestones and GET /v1/projects (API.md "Lists (v1.1)"). Every parameter is checked
// before any SQL runs: a malformed one is a 400 naming it, never a 500 and never an empty page by accident.

// A `+` of an unencoded offset (`+02:00`) arrives as a space in a query string: read it back as the `+` it was.
const isoTime = z
  .string()
  .transform((s) => s.replace(' ', '+'))
  .pipe(z.iso.datetime({ offset: true }))
  .transform((s) => new Date(s));
const statePath = z.string().regex(/^[a-z_]{1,64}(\.[a-z_]{1,64}){0,3}$/, 'must be a state such as in_progress');
// Decimal digits only: Number() would also take "0x10", "1e2" and " 5".
const limitText = z.string().regex(/^[0-9]{1,6}$/, 'must be a whole number');

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
  limit: limitText.optional(),
  cursor: z.string().optional(),
});

const projectQuery = milestoneQuery.pick({ state: true, party: true, limit: true, cursor: true });

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

function limitOf(text: string | undefined, config: Config): number {
  if (text === undefined) return config.LIST_LIMIT_DEFAULT;
  const limit = Number(text);
  if (limit < 1 || limit > config.LIST_LIMIT_MAX) {
    throw new InvalidRequestError(`limit must be 1 … ${config.LIST_LIMIT_MAX}.`, {
      issues: [{ path: 'limit', message: `must be 1 … ${config.LIST_LIMIT_MAX}` }],
    });
  }
  return limit;
}

/** `?state=&party=` (API.md writes its lists so): a parameter given empty is a parameter not given. */
const given = (query: Record<string, unknown>) => Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));

export function milestoneListRequest(query: Record<string, unknown>, config: Config): ListRequest {
  const q = parseOrThrow(milestoneQuery, given(query), 'query');
  const states: string[] = [];
  if (q.state !== undefined) states.push(checkState('milestone', q.state, 'state'));
  // API.md: disputeStage=awaiting_response is the same as state=disputed.awaiting_response.
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
    limit: limitOf(q.limit, config),
    after: q.cursor === undefined ? null : decodeCursor(q.cursor, order),
  };
}

export function projectListRequest(query: Record<string, unknown>, config: Config): ListRequest {
  const q = parseOrThrow(projectQuery, given(query), 'query');
  return {
    filters: { states: q.state ? [checkState('project', q.state, 'state')] : [], party: q.party },
    limit: limitOf(q.limit, config),
    after: q.cursor === undefined ? null : decodeCursor(q.cursor, 'n'),
  };
}
