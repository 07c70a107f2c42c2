import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milestone as milestoneSchema, project as projectSchema } from '../../src/api/openapi-schemas.js';
import { milestoneInDispute } from '../support/dispute-cases.js';
import { fundedMilestone, projectInProgress, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

type Deadline = { name: string; dueAt: string; party: string | null };
const DAY = 86_400_000;

// docs/api.md "Views (v1.1)": every armed durable timer of a milestone or project, in its views, with who must act.
describe('deadlines in every view', () => {
  let svc: TestService;
  let p: Parties;
  const send = async (machine: string, id: string, body: object) => {
    const res = await svc.http.post(`/v1/${machine}/${id}/events`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  /** The armed timers of an instance, straight from the timers table. */
  const armedTimers = (id: string) =>
    svc.db('timers').where({ instance_id: id, status: 'armed' }).orderBy('fire_at').select('event', 'fire_at');
  /** The view's deadlines are exactly the armed timers (due times to the millisecond). */
  const expectArmed = async (id: string, deadlines: Deadline[]) => {
    const timers = await armedTimers(id);
    expect(deadlines.map((d) => d.name)).toEqual(timers.map((t) => (t.event as { type: string }).type));
    deadlines.forEach((d, i) =>
      expect(Math.abs(Date.parse(d.dueAt) - (timers[i]!.fire_at as Date).getTime())).toBeLessThan(1),
    );
    for (const d of deadlines) expect(d.dueAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  };

  beforeAll(async () => {
    svc = await startTestService({ ARBITRATION_FEE_DEFAULT: '50' });
    p = await projectInProgress(svc.http);
  });
  afterAll(async () => svc?.stop());

  it("shows the respondent's deadline from the moment the dispute opens, and drops it once answered", async () => {
    const m = await fundedMilestone(svc.http, p, '1000');
    expect(m.deadlines).toEqual([]);
    const before = Date.now();
    const opened = await send('milestones', m.id, {
      type: 'OPEN_DISPUTE',
      actor: p.freelancer,
      reason: 'Unpaid work',
      offer: '800',
    });
    // The freelancer filed: the employer must respond within 14 days (the default).
    expect(opened.deadlines).toEqual([{ name: 'RESPONSE_TIMEOUT', dueAt: expect.any(String), party: 'employer' }]);
    const due = Date.parse(opened.deadlines[0].dueAt);
    expect(due).toBeGreaterThanOrEqual(before + 14 * DAY - 1000);
    expect(due).toBeLessThanOrEqual(Date.now() + 14 * DAY + 1000);
    const read = (await svc.http.get(`/v1/milestones/${m.id}`)).body;
    expect(read.deadlines).toEqual(opened.deadlines);
    // The replies are what the OpenAPI document says they are.
    milestoneSchema.parse(opened);
    milestoneSchema.parse(read);
    await expectArmed(m.id, read.deadlines);

    const responded = await send('milestones', m.id, { type: 'RESPOND', actor: p.employer, offer: '300' });
    expect(responded.deadlines).toEqual([]);
    await expectArmed(m.id, responded.deadlines);
  });

  it('names the party who has not paid the arbitration fee', async () => {
    const id = await milestoneInDispute(svc.http, p, 'arbitration_pending', { filer: 'employer' });
    const view = (await svc.http.get(`/v1/milestones/${id}`)).body;
    expect(view.deadlines).toEqual([
      { name: 'ARBITRATION_FEE_TIMEOUT', dueAt: expect.any(String), party: 'freelancer' },
    ]);
    await expectArmed(id, view.deadlines);
  });

  it("shows a project's cancel-request deadline for the employer, in its view and its list", async () => {
    const q = await projectInProgress(svc.http);
    const requested = await send('projects', q.projectId, { type: 'REQUEST_PROJECT_CANCEL', actor: q.freelancer });
    expect(requested.deadlines).toEqual([
      { name: 'CANCEL_REQUEST_TIMEOUT', dueAt: expect.any(String), party: 'employer' },
    ]);
    await expectArmed(q.projectId, requested.deadlines);
    const page = (await svc.http.get(`/v1/projects?party=${q.freelancer}`)).body;
    expect(page.items).toHaveLength(1);
    expect(page.items[0].deadlines).toEqual(requested.deadlines);
    projectSchema.parse(requested);
    projectSchema.parse(page.items[0]);
    const rejected = await send('projects', q.projectId, { type: 'REJECT_PROJECT_CANCEL', actor: q.employer });
    expect(rejected.deadlines).toEqual([]);
  });

  it('lists milestones with their deadlines and held amounts', async () => {
    const q = await projectInProgress(svc.http);
    const calm = await fundedMilestone(svc.http, q, '400');
    const disputed = await milestoneInDispute(svc.http, q, 'awaiting_response', { amount: '900' });
    const page = (await svc.http.get(`/v1/milestones?projectId=${q.projectId}`)).body;
    const byId = new Map((page.items as { id: string; deadlines: Deadline[] }[]).map((m) => [m.id, m]));
    expect(byId.get(calm.id)).toMatchObject({ heldAmount: '400', deadlines: [] });
    expect(byId.get(disputed)).toMatchObject({
      heldAmount: '900',
      deadlines: [{ name: 'RESPONSE_TIMEOUT', party: 'employer' }],
    });
    await expectArmed(disputed, byId.get(disputed)!.deadlines);
    for (const item of page.items) milestoneSchema.parse(item);
  });

  it('documents deadlines, heldAmount and availableEvents as fields every view carries', async () => {
    const { schemas } = (await svc.http.get('/openapi.json')).body.components;
    expect(schemas.Milestone.required).toEqual(
      expect.arrayContaining(['remainingAmount', 'heldAmount', 'deadlines', 'allowedEvents', 'availableEvents']),
    );
    expect(schemas.Project.required).toEqual(expect.arrayContaining(['deadlines', 'availableEvents']));
    const deadline = schemas.Milestone.properties.deadlines.items;
    expect(deadline.required.sort()).toEqual(['dueAt', 'name', 'party']);
    expect(deadline.properties.dueAt.format).toBe('date-time');
    expect(deadline.properties.party.anyOf).toEqual([
      { type: 'string', enum: ['employer', 'freelancer'] },
      { type: 'null' },
    ]);
  });
});
