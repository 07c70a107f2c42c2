import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, projectInProgress, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 17 item 2 (docs/api.md "Money (v1.1)", Statement): an owner's available balance over a time range, with the
// opening and closing balance, each entry's signed amount, running balance, kind and the instance and history
// seq that caused it; keyset pages; the same columns as CSV.

interface Entry {
  transferId: string;
  at: string;
  kind: string;
  amount: string;
  balanceAfter: string;
  instanceId: string | null;
  seq: number | null;
}

/** A CSV body as rows of fields (the statement's fields never hold quotes, commas or line breaks here). */
const csvRows = (body: string) =>
  body
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','));

const asCsv = (e: Entry) => [
  e.transferId,
  e.at,
  e.kind,
  e.amount,
  e.balanceAfter,
  e.instanceId ?? '',
  e.seq === null ? '' : String(e.seq),
];

describe('account statements', () => {
  let svc: TestService;
  let p: Parties;
  let milestoneId = '';
  let all: Entry[] = [];
  const statement = (owner: string, query = '') => svc.http.get(`/v1/accounts/${owner}/statement?currency=USD${query}`);

  beforeAll(async () => {
    svc = await startTestService({ PLATFORM_FEE_BPS: '1000' });
    p = await projectInProgress(svc.http);
    await deposit(svc.http, p.employer, '1000');
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '600',
      description: 'Work',
    });
    milestoneId = created.body.id as string;
    await waitSettled(svc.http, milestoneId);
    await svc.http.post(`/v1/milestones/${milestoneId}/events`, { type: 'RELEASE', actor: p.employer, amount: '250' });
    await waitSettled(svc.http, milestoneId);
    await svc.http.post(`/v1/milestones/${milestoneId}/events`, { type: 'CANCEL', actor: p.freelancer });
    expect((await waitSettled(svc.http, milestoneId)).state).toBe('cancelled');
    all = (await statement(p.employer)).body.entries as Entry[];
  });

  afterAll(async () => {
    await svc?.stop();
  });

  it('lists each movement of the available balance, signed, with the balance it left', async () => {
    const res = await statement(p.employer);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      ownerId: p.employer,
      currency: 'USD',
      currencyExponent: 2,
      from: null,
      to: null,
      openingBalance: '0',
      closingBalance: '750',
      nextCursor: null,
    });
    expect(all.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ['deposit', '1000', '1000'],
      ['fund', '-600', '400'],
      ['refund', '350', '750'],
    ]);
    expect(all[0]).toMatchObject({ instanceId: null, seq: null });
    const freelancer = await statement(p.freelancer);
    // The release less the platform's 10 %: the fee goes to the platform's account, not through the freelancer's.
    expect(freelancer.body.entries.map((e: Entry) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ['release', '225', '225'],
    ]);
  });

  it('links each settlement entry to the history event that caused it', async () => {
    const history = (await svc.http.get(`/v1/milestones/${milestoneId}/history`)).body.items as {
      seq: number;
      transfers: { id: string }[];
    }[];
    for (const e of all.slice(1)) {
      expect(e.instanceId).toBe(milestoneId);
      const caused = history.find((h) => h.seq === e.seq);
      expect(caused?.transfers.map((t) => t.id)).toContain(e.transferId);
    }
  });

  it('opens and closes a time range with the balances before its ends', async () => {
    // [the fund's time, the refund's time): the fund alone; opening = after the deposit, closing = after the fund.
    const from = all[1]!.at;
    const to = all[2]!.at;
    const res = await statement(p.employer, `&from=${from}&to=${to}`);
    expect(res.body).toMatchObject({ from, to, openingBalance: '1000', closingBalance: '400' });
    expect(res.body.entries.map((e: Entry) => e.transferId)).toEqual([all[1]!.transferId]);
    const before = await statement(p.employer, `&to=${all[0]!.at}`);
    expect(before.body).toMatchObject({ openingBalance: '0', closingBalance: '0', entries: [] });
    const after = await statement(p.employer, `&from=2999-01-01`);
    expect(after.body).toMatchObject({ openingBalance: '750', closingBalance: '750', entries: [] });
  });

  it('pages by keyset: every page carries the range’s balances and the pages add up to the whole', async () => {
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const res = await statement(p.employer, `&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.body).toMatchObject({ openingBalance: '0', closingBalance: '750' });
      expect(res.body.entries).toHaveLength(1);
      seen.push(...(res.body.entries as Entry[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor !== null);
    expect(seen).toEqual(all);
  });

  it('serves the same columns as CSV, by ?format=csv or Accept: text/csv', async () => {
    const header = ['transferId', 'at', 'kind', 'amount', 'balanceAfter', 'instanceId', 'seq'];
    const byFormat = await svc.http.get<string>(`/v1/accounts/${p.employer}/statement?currency=USD&format=csv`);
    expect(byFormat.status).toBe(200);
    expect(byFormat.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csvRows(byFormat.body)).toEqual([header, ...all.map(asCsv)]);
    const byAccept = await svc.http.get<string>(`/v1/accounts/${p.employer}/statement?currency=USD`, {
      accept: 'text/csv',
    });
    expect(byAccept.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csvRows(byAccept.body)).toEqual([header, ...all.map(asCsv)]);
    const limited = await svc.http.get<string>(`/v1/accounts/${p.employer}/statement?format=csv&limit=2`);
    expect(csvRows(limited.body)).toEqual([header, ...all.slice(0, 2).map(asCsv)]);
  });

  it('takes the owner’s only currency when none is named, and asks for one when there are several', async () => {
    const res = await svc.http.get(`/v1/accounts/${p.freelancer}/statement`);
    expect(res.body.currency).toBe('USD');
    await deposit(svc.http, p.freelancer, '5', 'EUR');
    const several = await svc.http.get(`/v1/accounts/${p.freelancer}/statement`);
    expect(several.status).toBe(400);
    expect(several.body.error.message).toContain('EUR, USD');
  });

  it('answers an owner without accounts with an empty statement', async () => {
    const res = await statement('nobody-yet');
    expect(res.body).toMatchObject({ openingBalance: '0', closingBalance: '0', entries: [], nextCursor: null });
  });

  it.each([
    ['an unknown currency', '?currency=XXY'],
    ['a malformed from', '?currency=USD&from=yesterday'],
    ['from after to', '?currency=USD&from=2026-02-01&to=2026-01-01'],
    ['an unknown format', '?currency=USD&format=xml'],
    ['a cursor of another list', '?currency=USD&cursor=WyJuIiwiMSJd'],
    ['a limit out of range', '?currency=USD&limit=0'],
  ])('refuses %s with 400 invalid_request', async (_name, query) => {
    const res = await svc.http.get(`/v1/accounts/${p.employer}/statement${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('is readable with the read scope alone', async () => {
    const reader: HttpClient = await svc.clientWith(['read']);
    expect((await reader.get(`/v1/accounts/${p.employer}/statement?currency=USD`)).status).toBe(200);
    await assertLedgerInvariants(svc.db);
  });
});
