import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milestoneInDispute } from '../support/dispute-cases.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// docs/api.md "Views (v1.1)": remainingAmount is "0" once a milestone is closed, and heldAmount is what its escrow
// account holds, read from the ledger, on the single view, the reply to an event and every list item.
describe('milestone amounts that mean what they say', () => {
  let svc: TestService;
  let p: Parties;
  const send = async (id: string, body: object) => {
    const res = await svc.http.post(`/v1/milestones/${id}/events`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  /** The escrow account's balance, straight from the ledger; "0" while there is none. */
  const escrowBalance = async (id: string): Promise<string> => {
    const row = await svc.db('accounts').where({ milestone_id: id, kind: 'escrow' }).first('balance');
    return row === undefined ? '0' : String(row.balance);
  };
  const listed = async (id: string) => {
    const page = await svc.http.get(`/v1/milestones?projectId=${p.projectId}&limit=100`);
    return (page.body.items as { id: string; heldAmount: string }[]).find((m) => m.id === id);
  };

  beforeAll(async () => {
    svc = await startTestService({ ARBITRATION_FEE_DEFAULT: '50' });
    p = await projectInProgress(svc.http);
  });
  afterAll(async () => {
    await assertLedgerInvariants(svc.db);
    await svc?.stop();
  });

  it('holds nothing before funding and the whole amount once funded', async () => {
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'REQUEST',
      actor: p.freelancer,
      amount: '700',
      description: 'Asked for, not funded',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ state: 'requested', heldAmount: '0', remainingAmount: '700', deadlines: [] });
    const funded = await fundedMilestone(svc.http, p, '2500');
    expect(funded.heldAmount).toBe('2500');
    expect(funded.heldAmount).toBe(await escrowBalance(funded.id));
  });

  it('follows the escrow account after a partial release, then shows "0" remaining once cancelled', async () => {
    const m = await fundedMilestone(svc.http, p, '25000');
    await send(m.id, { type: 'RELEASE', actor: p.employer, amount: '5000' });
    const partly = await waitSettled(svc.http, m.id);
    expect(partly).toMatchObject({ state: 'in_progress', releasedAmount: '5000', remainingAmount: '20000' });
    expect(partly.heldAmount).toBe('20000');
    expect(partly.heldAmount).toBe(await escrowBalance(m.id));
    expect((await listed(m.id))?.heldAmount).toBe('20000');

    await send(m.id, { type: 'CANCEL', actor: p.freelancer });
    const cancelled = await waitSettled(svc.http, m.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', amount: '25000', releasedAmount: '5000' });
    expect(cancelled.remainingAmount).toBe('0');
    expect(cancelled.heldAmount).toBe('0');
    expect(await escrowBalance(m.id)).toBe('0');
    expect(await listed(m.id)).toMatchObject({ remainingAmount: '0', heldAmount: '0' });
  });

  it('holds the escrow through a dispute and shows "0" remaining once resolved', async () => {
    const id = await milestoneInDispute(svc.http, p, 'negotiation', { amount: '20000' });
    const disputed = (await svc.http.get(`/v1/milestones/${id}`)).body;
    expect(disputed).toMatchObject({ state: { disputed: 'negotiation' }, remainingAmount: '20000' });
    expect(disputed.heldAmount).toBe('20000');
    expect(disputed.heldAmount).toBe(await escrowBalance(id));
    // The freelancer filed and the employer offered 30 %: the freelancer accepts it.
    const accepted = await send(id, { type: 'ACCEPT_OFFER', actor: p.freelancer });
    expect(accepted).toMatchObject({ state: 'resolving', heldAmount: '20000' });
    const resolved = await waitSettled(svc.http, id);
    expect(resolved).toMatchObject({ state: 'resolved', releasedAmount: '6000' });
    expect(resolved.remainingAmount).toBe('0');
    expect(resolved.heldAmount).toBe('0');
    expect(await escrowBalance(id)).toBe('0');
    expect(await listed(id)).toMatchObject({ remainingAmount: '0', heldAmount: '0' });
  });
});
