import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idListStatement } from '../../src/db/id-list-statement.js';
import { createDb, type Db } from '../../src/db/knex.js';
import { InstanceReader } from '../../src/engine/instance-reader.js';
import { findInstance } from '../../src/engine/instance-row.js';
import { prepareEvent } from '../../src/engine/prepare-event.js';
import { writeUpdates } from '../../src/engine/write-updates.js';
import { createLogger } from '../../src/logger.js';
import { settleBatch } from '../../workers/settlement.js';
import { databaseUrl } from '../support/databases.js';
import { fundedMilestone, projectInProgress, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// The hot path's statements over id lists (src/db/id-list-statement.ts), on a pool of one connection of the test's
// own, so that what that connection has prepared can be read back from pg_prepared_statements.
describe('statements over a list of ids', () => {
  let svc: TestService;
  let one: Db;
  let projects: Parties[];
  beforeAll(async () => {
    svc = await startTestService();
    one = createDb(databaseUrl(svc.databaseName), 1);
    projects = await Promise.all([1, 2, 3].map(() => projectInProgress(svc.http)));
  });
  afterAll(async () => {
    await one?.destroy();
    await svc?.stop();
  });

  /** The plans the one connection has used for a statement, by name. */
  const plans = async (name: string) => {
    const { rows } = await one.raw<{ rows: { generic_plans: string; custom_plans: string }[] }>(
      'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = ?',
      [name],
    );
    return rows.map((r) => ({ generic: Number(r.generic_plans), custom: Number(r.custom_plans) }));
  };

  it('match each row once, however often its id is repeated', async () => {
    const ids = idListStatement<{ id: string }>('test_ids', (match) => `SELECT id FROM instances WHERE id ${match}`);
    const [a, b, c] = projects.map((p) => p.projectId) as [string, string, string];
    const missing = Array.from({ length: 67 }, (_, k) => `absent-${k}`);
    for (const list of [[a], [a, b, a, b, c], [b, ...missing, a, b]]) {
      const rows = await ids(one, [], list);
      expect(rows.map((r) => r.id).sort()).toEqual([...new Set(list)].filter((id) => !id.startsWith('absent')).sort());
    }
    const { rows } = await one.raw<{ rows: { name: string }[] }>(
      "SELECT name FROM pg_prepared_statements WHERE name LIKE 'test_ids%' ORDER BY name",
    );
    expect(rows.map((r) => r.name)).toEqual(['test_ids', 'test_ids/1', 'test_ids/8']);
  });

  it('read each row asked for, padded, written out or as one array', async () => {
    // Held back until the first read is answered, every other read of a burst shares the next statement.
    const reader = new InstanceReader(one, { maxBatch: 100, maxInFlight: 1 });
    const ids = projects.map((p) => p.projectId);
    const missing = Array.from({ length: 67 }, (_, k) => `absent-${k}`);
    for (const burst of [
      [ids[0]!, ids[1]!, ids[2]!, ids[1]!],
      [ids[0]!, ...missing, ids[2]!, ids[1]!],
    ]) {
      const rows = await Promise.all(burst.map((id) => reader.find(id)));
      expect(rows.map((r) => r?.id ?? null)).toEqual(burst.map((id) => (id.startsWith('absent') ? null : id)));
    }
    // Each burst's first read went alone; the other three were padded to four, the other 69 went as one array.
    const { rows } = await one.raw<{ rows: { name: string }[] }>(
      "SELECT name FROM pg_prepared_statements WHERE name LIKE 'read_view_rows%' ORDER BY name",
    );
    expect(rows.map((r) => r.name)).toEqual(['read_view_rows', 'read_view_rows/1', 'read_view_rows/4']);
  });

  it('leave planning once a list length has run a few times: its generic plan is kept', async () => {
    const reader = new InstanceReader(one, { maxBatch: 64, maxInFlight: 1 });
    const m = await fundedMilestone(svc.http, projects[0]!, '100');
    const stale = await findInstance(svc.db, m.id, 'milestone');
    const p = projects[0]!;
    const { write } = prepareEvent(stale, 'milestone', { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'r' }, {});
    const released = await svc.http.post(`/v1/milestones/${m.id}/events`, {
      type: 'REQUEST_RELEASE',
      actor: p.freelancer,
    });
    expect(released.status).toBe(200);
    for (let k = 0; k < 8; k++) {
      expect((await reader.read(m.id, 'milestone')).seq).toBe(stale.seq + 1);
      // A write checked against a seq that has moved on: the statement runs and writes nothing.
      expect(await writeUpdates(one, [write])).toEqual(['moved']);
    }
    // Postgres plans the first five executions for their parameters, then compares those plans with the generic
    // one; a statement that is planned at every call would show no generic plan here.
    for (const name of ['read_view_rows/1', 'write_updates/1']) {
      const [used] = await plans(name);
      expect(used?.generic, name).toBeGreaterThanOrEqual(3);
    }
  });

  it('claim settlement commands through a list too', async () => {
    const m = await fundedMilestone(svc.http, projects[1]!, '100');
    const [command] = await svc.db('outbox').where({ instance_id: m.id, topic: 'settlement' }).pluck('id');
    // Settled by the workers already: claimed again, it matches nothing and nothing moves.
    const log = createLogger('silent');
    expect(await settleBatch(one, svc.config, log, [String(command)])).toMatchObject([{ outcome: 'already_done' }]);
    expect(await plans('claim_settlements/1')).toHaveLength(1);
  });
});
