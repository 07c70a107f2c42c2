import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReconciled, holdsForSequences, sequenceBudget } from '../support/command-sequences.js';
import type { HttpClient, HttpResponse } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Payouts under random interleavings (issue 17; docs/money.md "Payouts"), manual provider: fast-check generates
// deposits, payout requests of random size (more than available too), repeats of a request by its id or its
// Idempotency-Key, CANCEL by the owner or a stranger, MARK_PAID / MARK_FAILED with or without the support scope,
// and races of two events on one payout. After every command the answer, each owner's available and held
// balances and the payout's state must be what a small model says: 422 insufficient_funds exactly when the model
// has less available than asked. After every sequence the ledger conserves money (assertLedgerInvariants), each
// paid payout made exactly one payout transfer to the external account and no other payout made any, and
// `cli reconcile` exits 0. PROPERTY_RUNS and PROPERTY_MAX_COMMANDS raise the budget; PROPERTY_SEED replays a failure.

const BUDGET = sequenceBudget({ runs: 15, maxCommands: 20 });
const OWNERS = 3;
const destination = { kind: 'bank_account', reference: 'DE89370400440532013000' };

type Mark = 'CANCEL' | 'MARK_PAID' | 'MARK_FAILED';
type Command =
  | { kind: 'deposit'; owner: number; amount: number }
  /** `everything`: exactly what the model has available (the edge of insufficient_funds), else `amount`. */
  | { kind: 'request'; owner: number; amount: number; everything: boolean; by: 'id' | 'key' | 'none' }
  | { kind: 'repeat'; pick: number }
  | { kind: 'event'; pick: number; type: Mark; authorised: boolean }
  | { kind: 'race'; pick: number; types: [Mark, Mark] };

const markArb = fc.constantFrom<Mark>('CANCEL', 'MARK_PAID', 'MARK_FAILED');
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    owner: fc.nat(OWNERS - 1),
    amount: fc.integer({ min: 1, max: 800 }),
  }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      owner: fc.nat(OWNERS - 1),
      amount: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 400 }) }, fc.integer({ min: 1, max: 3000 })),
      everything: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      by: fc.constantFrom('id' as const, 'key' as const, 'none' as const),
    }),
  },
  fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat() }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      pick: fc.nat(),
      type: markArb,
      authorised: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
  },
  fc.record({ kind: fc.constant('race' as const), pick: fc.nat(), types: fc.tuple(markArb, markArb) }),
);

interface Payout {
  id: string;
  owner: number;
  amount: bigint;
  state: 'requested' | 'paid' | 'failed' | 'cancelled';
}
/** A request as sent, to repeat it byte for byte. */
interface Sent {
  owner: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  by: 'id' | 'key' | 'none';
  first: HttpResponse | null;
}

/** What the ledger should show: per owner available and held, and every payout's state. */
class Model {
  readonly available: bigint[] = Array.from({ length: OWNERS }, () => 0n);
  readonly held: bigint[] = Array.from({ length: OWNERS }, () => 0n);
  readonly payouts = new Map<string, Payout>();

  create(id: string, owner: number, amount: bigint) {
    this.available[owner]! -= amount;
    this.held[owner]! += amount;
    this.payouts.set(id, { id, owner, amount, state: 'requested' });
  }

  /** The state a granted event leads to, moving the held money out (paid) or back (cancelled, failed). */
  apply(p: Payout, type: Mark) {
    this.held[p.owner]! -= p.amount;
    if (type !== 'MARK_PAID') this.available[p.owner]! += p.amount;
    p.state = type === 'CANCEL' ? 'cancelled' : type === 'MARK_PAID' ? 'paid' : 'failed';
  }
}

describe('payouts under random interleavings (manual provider)', () => {
  let svc: TestService;
  let support: HttpClient;
  let plain: HttpClient;
  beforeAll(async () => {
    svc = await startTestService();
    support = await svc.clientWith(['events:write', 'support', 'read']);
    plain = await svc.clientWith(['events:write', 'read']);
  });
  afterAll(async () => svc?.stop());

  async function balances(owner: string) {
    const res = await svc.http.get(`/v1/accounts/${owner}`);
    const usd = (res.body?.balances ?? []).find((b: { currency: string }) => b.currency === 'USD');
    return { available: BigInt(usd?.available ?? 0), held: BigInt(usd?.held ?? 0) };
  }

  /** Sends a request (first time or repeated) and checks its answer against the model, which it updates. */
  async function sendRequest(owners: string[], model: Model, sent: Sent, problems: string[]) {
    const owner = owners[sent.owner]!;
    const res = await svc.http.post(`/v1/accounts/${owner}/payouts`, sent.body, sent.headers);
    const amount = BigInt(sent.body.amount as string);
    const id =
      (sent.body.id as string | undefined) ?? (sent.first?.status === 201 ? (sent.first.body.id as string) : undefined);
    const existing = id === undefined ? undefined : model.payouts.get(id);
    const what = `request ${JSON.stringify(sent.body)} ${sent.by}`;
    if (existing && sent.by !== 'none') {
      // The same id answers 200 with the payout; the same Idempotency-Key the first answer again, marked replayed.
      const expected = sent.by === 'id' ? 200 : 201;
      if (res.status !== expected || res.body.id !== existing.id) problems.push(`${what} repeated → ${res.status}`);
      if (sent.by === 'key' && res.headers.get('idempotent-replayed') !== 'true') problems.push(`${what} not replayed`);
      return;
    }
    const enough = amount <= model.available[sent.owner]!;
    if (enough && res.status === 201 && res.body.state === 'requested') {
      model.create(res.body.id as string, sent.owner, amount);
      sent.first = res;
    } else if (enough || res.status !== 422 || res.body.error?.rule !== 'insufficient_funds') {
      problems.push(
        `${what} with ${model.available[sent.owner]} available → ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
  }

  /** One event by an authorised or an unauthorised sender: the owner or a stranger, support or a plain client. */
  function sendEvent(owners: string[], p: Payout, type: Mark, authorised: boolean) {
    if (type === 'CANCEL')
      return svc.http.post(`/v1/payouts/${p.id}/events`, { type, actor: authorised ? owners[p.owner] : uid('x') });
    const extra = type === 'MARK_PAID' ? { reference: `REF-${p.id}` } : { reason: 'bank refused' };
    return (authorised ? support : plain).post(`/v1/payouts/${p.id}/events`, { type, actor: 'agent-ann', ...extra });
  }

  async function event(owners: string[], model: Model, cmd: Extract<Command, { kind: 'event' }>, problems: string[]) {
    const p = [...model.payouts.values()][cmd.pick % model.payouts.size]!;
    const before = p.state;
    const res = await sendEvent(owners, p, cmd.type, cmd.authorised);
    const expected = !cmd.authorised ? 403 : before === 'requested' ? 200 : 409;
    if (res.status !== expected) problems.push(`${cmd.type} on ${before} ${p.id} → ${res.status}, not ${expected}`);
    if (res.status === 200) model.apply(p, cmd.type);
  }

  /** Two events on one payout at once: exactly one wins while it is requested, none after. */
  async function race(owners: string[], model: Model, cmd: Extract<Command, { kind: 'race' }>, problems: string[]) {
    const p = [...model.payouts.values()][cmd.pick % model.payouts.size]!;
    const before = p.state;
    const answers = await Promise.all(cmd.types.map((type) => sendEvent(owners, p, type, true)));
    const won = answers.flatMap((res, i) => (res.status === 200 ? [cmd.types[i]!] : []));
    if (answers.some((res) => res.status !== 200 && res.status !== 409))
      problems.push(`race ${cmd.types.join('+')} on ${p.id} → ${answers.map((r) => r.status).join('+')}`);
    if (won.length !== (before === 'requested' ? 1 : 0))
      problems.push(`race ${cmd.types.join('+')} on ${before} ${p.id}: ${won.join('+')} won`);
    if (won[0]) model.apply(p, won[0]);
  }

  async function step(owners: string[], model: Model, sent: Sent[], cmd: Command, problems: string[]) {
    if (cmd.kind === 'deposit') {
      const res = await svc.http.post(`/v1/accounts/${owners[cmd.owner]}/deposits`, {
        currency: 'USD',
        amount: String(cmd.amount),
      });
      if (res.status !== 201) problems.push(`deposit → ${res.status}`);
      else model.available[cmd.owner]! += BigInt(cmd.amount);
    } else if (cmd.kind === 'request') {
      const owner = owners[cmd.owner]!;
      const all = model.available[cmd.owner]!;
      const amount = cmd.everything && all > 0n ? String(all) : String(cmd.amount);
      const body = { currency: 'USD', amount, destination, actor: owner };
      const s: Sent = {
        owner: cmd.owner,
        body: cmd.by === 'id' ? { ...body, id: uid('po') } : body,
        headers: cmd.by === 'key' ? { 'idempotency-key': uid('key') } : {},
        by: cmd.by,
        first: null,
      };
      sent.push(s);
      await sendRequest(owners, model, s, problems);
    } else if (cmd.kind === 'repeat') {
      if (sent.length > 0) await sendRequest(owners, model, sent[cmd.pick % sent.length]!, problems);
    } else if (model.payouts.size > 0) {
      await (cmd.kind === 'event' ? event(owners, model, cmd, problems) : race(owners, model, cmd, problems));
    }
  }

  /** Balances and states after a command, against the model. */
  async function compare(owners: string[], model: Model, problems: string[]) {
    for (const [i, owner] of owners.entries()) {
      const got = await balances(owner);
      if (got.available !== model.available[i] || got.held !== model.held[i])
        problems.push(`${owner}: ${got.available}/${got.held}, model ${model.available[i]}/${model.held[i]}`);
    }
    for (const p of model.payouts.values()) {
      const state = (await svc.http.get(`/v1/payouts/${p.id}`)).body.state;
      if (state !== p.state) problems.push(`${p.id} is ${state}, model ${p.state}`);
    }
  }

  /** Nothing paid twice: one payout transfer to the external account per paid payout, none for any other. */
  async function paidOnce(model: Model, problems: string[]) {
    for (const p of model.payouts.values()) {
      const out = await svc.db('transfers').where({ instance_id: p.id, kind: 'payout' });
      const rows = out.map((t) => `${t.credit_account_id} ${t.amount}`);
      const expected = p.state === 'paid' ? [`external:USD ${p.amount}`] : [];
      if (rows.join() !== expected.join()) problems.push(`${p.id} (${p.state}) payout transfers: ${rows.join('; ')}`);
    }
  }

  async function runSequence(commands: Command[]): Promise<string[]> {
    const owners = Array.from({ length: OWNERS }, () => uid('own'));
    const model = new Model();
    const sent: Sent[] = [];
    const problems: string[] = [];
    // Each owner starts with money, so most sequences request payouts that fit as well as ones that do not.
    for (const owner of owners.keys())
      await step(owners, model, sent, { kind: 'deposit', owner, amount: 1000 }, problems);
    for (const [n, cmd] of commands.entries()) {
      await step(owners, model, sent, cmd, problems);
      await compare(owners, model, problems);
      if (problems.length > 0) return [`after command ${n} ${JSON.stringify(cmd)}`, ...problems];
    }
    await assertLedgerInvariants(svc.db);
    await paidOnce(model, problems);
    return problems;
  }

  it(
    `holds for ${BUDGET.runs} sequences of up to ${BUDGET.maxCommands} commands`,
    { timeout: 10 * 60_000 },
    async () => {
      await holdsForSequences(commandArb, BUDGET, runSequence);
      await expectReconciled(svc);
      const states = await svc.db('instances').where({ machine: 'payout' }).distinct('state').pluck('state');
      expect(states.sort(), 'every outcome was reached').toEqual(['cancelled', 'failed', 'paid', 'requested']);
    },
  );
});
