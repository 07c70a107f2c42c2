import type { Knex } from 'knex';
import type { InstanceRow } from '../engine/instance-row.js';

export interface SearchHit {
  id: string;
  machine: string;
  version: number;
  state: string;
  seq: number;
  projectId: string | null;
  employerId: string;
  freelancerId: string | null;
  /** Why it matched: the id itself, its project, or a party (user id). */
  match: 'id' | 'project' | 'party';
  updatedAt: string;
}

/**
 * The console's one search box: a milestone id, a project id (the project and its milestones) or a user id
 * (everything they are party to). Each term uses an index of `instances`; results are capped at `limit`.
 */
export async function searchInstances(
  db: Knex,
  term: string,
  limit: number,
): Promise<{ items: SearchHit[]; truncated: boolean }> {
  const rows: InstanceRow[] = await db<InstanceRow>('instances')
    .where({ id: term })
    .orWhere({ project_id: term })
    .orWhere({ employer_id: term })
    .orWhere({ freelancer_id: term })
    .orderBy('n')
    .limit(limit + 1);
  const items = rows.slice(0, limit).map((r): SearchHit => ({
    id: r.id,
    machine: r.machine,
    version: r.version,
    state: r.state,
    seq: r.seq,
    projectId: r.project_id,
    employerId: r.employer_id,
    freelancerId: r.freelancer_id,
    match: r.id === term ? 'id' : r.project_id === term ? 'project' : 'party',
    updatedAt: r.updated_at.toISOString(),
  }));
  // Exact id first: typing a milestone id should put that milestone on top.
  items.sort((a, b) => Number(b.match === 'id') - Number(a.match === 'id'));
  return { items, truncated: rows.length > limit };
}
