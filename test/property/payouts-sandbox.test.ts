import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReconciled, holdsForSequences, sequenceBudget } from '../support/command-sequences.js';
import { eventually } from '../support/eventually.js';
import type { HttpClient } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Payouts under random interleavings with the sandbox provider (issue 17; docs/money.md "Payouts"): the payout
// worker takes each request while fast-check sends deposits, requests (more than available too), repeats by
// Idempotency-Key, CANCELs racing the worker and MARK_PAIDs the sandbox refuses. The worker's outcome is not known
// while it runs, so each answer is checked against bounds: available lies between what is left if every open
// payout is paid and the deposits (every payout returned); a request within the lower bound
// must be granted, one above the upper refused with 422 insufficient_funds. Once every payout has settled: each
// ended as the sandbox decided (one sandbox record per payout handed over, none for a cancelled one), each paid
// one made exactly one payout transfer to the external account, nothing is held, available is deposits − paid,
// the ledger invariants hold and `cli reconcile` exits 0.
// PROPERTY_RUNS and PROPERTY_MAX_COMMANDS raise the budget; PROPERTY_SEED replays a reported failure.

const BUDGET = sequenceBudget({ runs: 10, maxCommands: 15 });
const OWNERS = 2;
const destination = { kind: 'bank_account', reference: 'DE89370400440532013000' };

type Command =
  | { kind: 'deposit'; owner: number; amount: number }
  /** `thenCancel`: the owner cancels as soon as it is granted, racing the worker for it. */
  | { kind: 'request'; owner: number; amount: number; keyed: boolean; thenCancel: boolean }
  | { kind: 'repeat'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'markPaid'; pick: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    owner: fc.nat(OWNERS - 1),
    amount: fc.integer({ min: 1, max: 800 }),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      owner: fc.nat(OWNERS - 1),
      amount: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 400 }) }, fc.integer({ min: 1, max: 3000 })),
      keyed: fc.boolean(),
      thenCancel: fc.boolean(),
    }),
  },
  fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat() }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  fc.record({ kind: fc.constant('markPaid' as const), pick: fc.nat() }),
);

interface Payout {
  id: string;
  owner: number;
  amount: bigint;
  cancelled: boolean;
}
interface Sent {
  owner: number;
  body: Record<string, unknown>;
  key: string | null;
  id: string | null;
}

/** What is known while the worker runs: deposits and the payouts made, and which of them were cancelled. */
class Model {
  readonly deposits: bigint[] = Array.from({ length: OWNERS }, () => 0n);
  readonly payouts: Payout[] = [];

  /** Available if every payout not cancelled is paid: the least the owner can have. */
  lower(owner: number): bigint {
    return this.payouts.reduce(
      (left, p) => (p.owner === owner && !p.cancelled ? left - p.amount : left),
      this.deposits[owner]!,
    );
  }

  /** Available if every payout is cancelled or fails, so none paid out: the most the owner can have. */
  upper(owner: number): bigint {
    return this.deposits[owner]!;
  }
}

describe('payouts under random interleavings (sandbox provider and payout worker)', () => {
  let svc: TestService;
  let support: HttpClient;
  beforeAll(async () => {
    svc = await startTestService({
      PAYOUT_PROVIDER: 'sandbox',
      PAYOUT_SANDBOX_CONFIRM_MS: '20',
      PAYOUT_SANDBOX_FAILURE_RATE: '0.3',
    });
    support = await svc.clientWith(['events:write', 'support', 'read']);
  });
  afterAll(async () => svc?.stop());

  async function available(owner: string): Promise<{ available: bigint; held: bigint }> {
    const res = await svc.http.get(`/v1/accounts/${owner}`);
    const usd = (res.body?.balances ?? []).find((b: { currency: string }) => b.currency === 'USD');
    return { available: BigInt(usd?.available ?? 0), held: BigInt(usd?.held ?? 0) };
  }

  async function request(owners: string[], model: Model, sent: Sent, problems: string[]) {
    const headers: Record<string, string> = sent.key ? { 'idempotency-key': sent.key } : {};
    const res = await svc.http.post(`/v1/accounts/${owners[sent.owner]}/payouts`, sent.body, headers);
    const what = `request ${String(sent.body.amount)} (${model.lower(sent.owner)}..${model.upper(sent.owner)})`;
    if (sent.id !== null) {
      if (res.status !== 201 || res.body.id !== sent.id || res.headers.get('idempotent-replayed') !== 'true')
        problems.push(`${what} repeated → ${res.status} ${JSON.stringify(res.body)}`);
      return;
    }
    const amount = BigInt(sent.body.amount as string);
    if (res.status === 201) {
      if (amount > model.upper(sent.owner)) problems.push(`${what} granted`);
      model.payouts.push({ id: res.body.id as string, owner: sent.owner, amount, cancelled: false });
      if (sent.key) sent.id = res.body.id as string;
    } else if (
      res.status !== 422 ||
      res.body.error?.rule !== 'insufficient_funds' ||
      amount <= model.lower(sent.owner)
    ) {
      problems.push(`${what} → ${res.status} ${JSON.stringify(res.body)}`);
    }
  }

  /** The worker may have taken it already: then 409, and the payout goes on to the sandbox's outcome. */
  async function cancel(owners: string[], p: Payout, problems: string[]) {
    const res = await svc.http.post(`/v1/payouts/${p.id}/events`, { type: 'CANCEL', actor: owners[p.owner] });
    if (res.status === 200) p.cancelled = true;
    else if (res.status !== 409) problems.push(`CANCEL ${p.id} → ${res.status}`);
  }

  async function step(owners: string[], model: Model, sent: Sent[], cmd: Command, problems: string[]) {
    const p = 'pick' in cmd && model.payouts.length > 0 ? model.payouts[cmd.pick % model.payouts.length] : undefined;
    if (cmd.kind === 'deposit') {
      const res = await svc.http.post(`/v1/accounts/${owners[cmd.owner]}/deposits`, {
        currency: 'USD',
        amount: String(cmd.amount),
      });
      if (res.status !== 201) problems.push(`deposit → ${res.status}`);
      else model.deposits[cmd.owner]! += BigInt(cmd.amount);
    } else if (cmd.kind === 'request') {
      const body = { currency: 'USD', amount: String(cmd.amount), destination, actor: owners[cmd.owner] };
      const s: Sent = { owner: cmd.owner, body, key: cmd.keyed ? uid('key') : null, id: null };
      sent.push(s);
      const before = model.payouts.length;
      await request(owners, model, s, problems);
      const granted = model.payouts[before];
      if (cmd.thenCancel && granted) await cancel(owners, granted, problems);
    } else if (cmd.kind === 'repeat') {
      const keyed = sent.filter((s) => s.key !== null);
      if (keyed.length > 0) await request(owners, model, keyed[cmd.pick % keyed.length]!, problems);
    } else if (p && cmd.kind === 'cancel') {
      await cancel(owners, p, problems);
    } else if (p) {
      const res = await support.post(`/v1/payouts/${p.id}/events`, {
        type: 'MARK_PAID',
        actor: 'agent-ann',
        reference: 'x',
      });
      if (res.status !== 422 && res.status !== 409) problems.push(`MARK_PAID on a sandbox payout → ${res.status}`);
    }
  }

  /** Each owner's available between the model's bounds, and no more held than their payouts not cancelled. */
  async function withinBounds(owners: string[], model: Model, problems: string[]) {
    for (const [i, owner] of owners.entries()) {
      const got = await available(owner);
      const open = model.deposits[i]! - model.lower(i);
      if (got.available < model.lower(i) || got.available > model.upper(i) || got.held > open)
        problems.push(
          `${owner}: ${got.available}/${got.held}, bounds ${model.lower(i)}..${model.upper(i)}, open ${open}`,
        );
    }
  }

  /** Once settled: each payout as the sandbox decided, paid once at most, and the owners' money adds up. */
  async function settled(owners: string[], model: Model, problems: string[]) {
    const paid = owners.map(() => 0n);
    for (const p of model.payouts) {
      const view = await eventually(async () => {
        const res = await svc.http.get(`/v1/payouts/${p.id}`);
        expect(['paid', 'failed', 'cancelled']).toContain(res.body.state);
        return res.body as { state: string };
      }, 30_000);
      const sandbox = await svc.db('sandbox_payouts').where({ payout_id: p.id }).pluck('outcome');
      const expected = p.cancelled ? [] : [view.state];
      if (sandbox.join() !== expected.join()) problems.push(`${p.id} ${view.state}, sandbox says ${sandbox.join()}`);
      const out = await svc.db('transfers').where({ instance_id: p.id, kind: 'payout' });
      const rows = out.map((t) => `${t.credit_account_id} ${t.amount}`);
      if (rows.join() !== (view.state === 'paid' ? `external:USD ${p.amount}` : ''))
        problems.push(`${p.id} (${view.state}) payout transfers: ${rows.join('; ')}`);
      if (view.state === 'paid') paid[p.owner]! += p.amount;
    }
    for (const [i, owner] of owners.entries()) {
      const got = await available(owner);
      if (got.available !== model.deposits[i]! - paid[i]! || got.held !== 0n)
        problems.push(
          `${owner} settled at ${got.available}/${got.held}, deposits ${model.deposits[i]}, paid ${paid[i]}`,
        );
    }
  }

  async function runSequence(commands: Command[]): Promise<string[]> {
    const owners = Array.from({ length: OWNERS }, () => uid('own'));
    const model = new Model();
    const sent: Sent[] = [];
    const problems: string[] = [];
    for (const owner of owners.keys())
      await step(owners, model, sent, { kind: 'deposit', owner, amount: 1000 }, problems);
    for (const [n, cmd] of commands.entries()) {
      await step(owners, model, sent, cmd, problems);
      await withinBounds(owners, model, problems);
      if (problems.length > 0) return [`after command ${n} ${JSON.stringify(cmd)}`, ...problems];
    }
    await settled(owners, model, problems);
    await assertLedgerInvariants(svc.db);
    return problems;
  }

  it(
    `holds for ${BUDGET.runs} sequences of up to ${BUDGET.maxCommands} commands`,
    { timeout: 10 * 60_000 },
    async () => {
      await holdsForSequences(commandArb, BUDGET, runSequence);
      // The random sequences hand the provider only about ten payouts between them (most are cancelled or refused),
      // so at a failure rate of 0.3 none failed in about one run in 25. A fixed sequence of plain requests, checked
      // like any other, hands it 40 more: the outcomes below are then all reached but once in about 1.6 million.
      const plain = Array.from({ length: 40 }, (_, n): Command => ({
        kind: 'request',
        owner: n % OWNERS,
        amount: 10,
        keyed: false,
        thenCancel: false,
      }));
      expect(await runSequence(plain)).toEqual([]);
      await expectReconciled(svc);
      const states = await svc.db('instances').where({ machine: 'payout' }).distinct('state').pluck('state');
      expect(states.sort(), 'every outcome was reached').toEqual(['cancelled', 'failed', 'paid']);
    },
  );
});
