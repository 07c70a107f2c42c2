import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { HttpClient } from './http-client.js';

export function uid(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface Parties {
  employer: string;
  freelancer: string;
  projectId: string;
  currency: string;
}

export async function deposit(http: HttpClient, ownerId: string, amount: string, currency = 'USD') {
  const res = await http.post(`/v1/accounts/${ownerId}/deposits`, { currency, amount });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A project that was awarded and accepted, ready for milestones. */
export async function projectInProgress(http: HttpClient, currency = 'USD'): Promise<Parties> {
  const employer = uid('emp');
  const freelancer = uid('fl');
  const created = await http.post('/v1/projects', { employerId: employer, title: 'Website', currency });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const projectId = created.body.id as string;
  const awarded = await http.post(`/v1/projects/${projectId}/events`, {
    type: 'AWARD',
    actor: employer,
    freelancerId: freelancer,
  });
  expect(awarded.status, JSON.stringify(awarded.body)).toBe(200);
  const accepted = await http.post(`/v1/projects/${projectId}/events`, { type: 'ACCEPT_AWARD', actor: freelancer });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  return { employer, freelancer, projectId, currency };
}

export async function waitSettled(http: HttpClient, milestoneId: string) {
  const res = await http.get(`/v1/milestones/${milestoneId}?wait=settled&timeoutMs=15000`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Deposits the amount for the employer and creates a milestone (funding goes on in the workers); its id. */
export async function createdMilestone(http: HttpClient, p: Parties, amount: string): Promise<string> {
  await deposit(http, p.employer, amount, p.currency);
  const created = await http.post(`/v1/projects/${p.projectId}/milestones`, {
    type: 'CREATE',
    actor: p.employer,
    amount,
    description: 'Work',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

/** Deposits the amount for the employer, creates a milestone and waits until it is funded. */
export async function fundedMilestone(http: HttpClient, p: Parties, amount: string) {
  const settled = await waitSettled(http, await createdMilestone(http, p, amount));
  expect(settled.state).toBe('in_progress');
  return settled;
}
