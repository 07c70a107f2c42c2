import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdsForSequences, sequenceBudget } from '../support/command-sequences.js';
import { verifyInstances, type Mismatch } from '../../src/replay/verify-instances.js';
import type { HttpClient, HttpResponse } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Four-eyes adjustments under random interleavings (docs/money.md "Adjustments"): fast-check generates deposits,
// proposals of random sign and size, and decisions by random actors through random support clients, some sent
// twice at once. After every sequence: the ledger conserves money (assertLedgerInvariants), each owner's available
// balance is their deposits plus the amounts of exactly their applied adjustments, an applied adjustment moved
// money exactly once and a rejected or proposed one never, no decision by the proposing actor or client was ever
// accepted, every answer is one docs/api.md lists, and every instance replays to its stored snapshot.
// PROPERTY_RUNS and PROPERTY_MAX_COMMANDS raise the budget; PROPERTY_SEED replays a reported failure.

const BUDGET = sequenceBudget({ runs: 20, maxCommands: 25 });
const OWNERS = 2;
const PROPOSER = 'agent-ann';
const ACTORS = [PROPOSER, 'agent-bob', 'agent-cy'] as const;
/** Index 0 is the proposing client; the decisions pick any of the three. */
const CLIENTS = 3;

type Command =
  | { kind: 'deposit'; owner: number; amount: number }
  | { kind: 'propose'; owner: number; amount: number }
  | { kind: 'decide'; pick: number; type: 'APPROVE' | 'REJECT'; actor: number; client: number; twice: boolean };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    owner: fc.nat(OWNERS - 1),
    amount: fc.integer({ min: 1, max: 500 }),
  }),
  fc.record({
    kind: fc.constant('propose' as const),
    owner: fc.nat(OWNERS - 1),
    amount: fc.integer({ min: -600, max: 600 }).filter((n) => n !== 0),
  }),
  fc.record({
    kind: fc.constant('decide' as const),
    pick: fc.nat(),
    type: fc.constantFrom('APPROVE' as const, 'REJECT' as const),
    actor: fc.nat(ACTORS.length - 1),
    client: fc.nat(CLIENTS - 1),
    twice: fc.boolean(),
  }),
);

const ALLOWED = new Set([201, 200, 403, 409, 422]);

describe('adjustments under random interleavings', () => {
  let svc: TestService;
  const clients: HttpClient[] = [];
  beforeAll(async () => {
    svc = await startTestService();
    for (let i = 0; i < CLIENTS; i++) clients.push(await svc.clientWith(['support', 'read']));
  });
  afterAll(async () => svc?.stop());

  async function runSequence(commands: Command[]): Promise<string[]> {
    const owners = Array.from({ length: OWNERS }, () => uid('own'));
    const deposited = owners.map(() => 0n);
    const ids: string[] = [];
    const problems: string[] = [];
    const note = (what: string, res: HttpResponse) => {
      if (!ALLOWED.has(res.status)) problems.push(`${what} → ${res.status} ${JSON.stringify(res.body)}`);
    };
    for (const cmd of commands) {
      if (cmd.kind === 'deposit') {
        const res = await svc.http.post(`/v1/accounts/${owners[cmd.owner]}/deposits`, {
          currency: 'USD',
          amount: String(cmd.amount),
        });
        if (res.status === 201) deposited[cmd.owner]! += BigInt(cmd.amount);
        note('deposit', res);
      } else if (cmd.kind === 'propose') {
        const res = await clients[0]!.post('/v1/adjustments', {
          ownerId: owners[cmd.owner],
          currency: 'USD',
          amount: String(cmd.amount),
          reason: 'property test',
          actor: PROPOSER,
        });
        note('propose', res);
        if (res.status === 201) ids.push(res.body.id as string);
      } else if (ids.length > 0) {
        const id = ids[cmd.pick % ids.length]!;
        const send = (client: number) =>
          clients[client]!.post(`/v1/adjustments/${id}/events`, { type: cmd.type, actor: ACTORS[cmd.actor] });
        const answers = await Promise.all(
          cmd.twice ? [send(cmd.client), send((cmd.client + 1) % CLIENTS)] : [send(cmd.client)],
        );
        answers.forEach((res, i) => {
          note(`${cmd.type} ${id}`, res);
          const client = cmd.twice ? (cmd.client + i) % CLIENTS : cmd.client;
          const fourEyesBroken = ACTORS[cmd.actor] === PROPOSER || client === 0;
          if (res.status === 200 && fourEyesBroken)
            problems.push(`${cmd.type} ${id} accepted from the proposer's side`);
          if (res.status === 403 && !fourEyesBroken) problems.push(`${cmd.type} ${id} refused for four eyes wrongly`);
        });
      }
    }
    await assertLedgerInvariants(svc.db);
    // Each owner's available = deposits + their applied adjustments; each applied one moved money exactly once.
    const applied = owners.map(() => 0n);
    for (const id of ids) {
      const view = (await svc.http.get(`/v1/adjustments/${id}`)).body as {
        state: string;
        ownerId: string;
        amount: string;
      };
      const transfers = await svc.db('transfers').where({ instance_id: id });
      if (transfers.length !== (view.state === 'applied' ? 1 : 0))
        problems.push(`${id} in ${view.state} has ${transfers.length} transfers`);
      if (view.state === 'applied') applied[owners.indexOf(view.ownerId)]! += BigInt(view.amount);
    }
    for (const [i, owner] of owners.entries()) {
      const row = await svc
        .db('accounts')
        .where({ id: `available:USD:${owner}` })
        .first();
      const available = BigInt(row?.balance ?? 0n);
      if (available !== deposited[i]! + applied[i]!)
        problems.push(`${owner}: available ${available}, expected ${deposited[i]! + applied[i]!}`);
    }
    return problems;
  }

  it(
    `holds for ${BUDGET.runs} sequences of up to ${BUDGET.maxCommands} commands`,
    { timeout: 10 * 60_000 },
    async () => {
      await holdsForSequences(commandArb, BUDGET, runSequence);
      const mismatches: Mismatch[] = [];
      const summary = await verifyInstances(
        svc.db,
        { machine: 'adjustment', batchSize: 100, historyBatchEvents: 1000, maxEvents: svc.config.REPLAY_MAX_EVENTS },
        { onMismatch: (m) => mismatches.push(m) },
      );
      expect(mismatches).toEqual([]);
      expect(summary.instances).toBeGreaterThan(BUDGET.runs);
      const states = await svc.db('instances').where({ machine: 'adjustment' }).distinct('state').pluck('state');
      expect(states.sort(), 'every outcome was reached').toEqual(['applied', 'proposed', 'rejected']);
    },
  );
});
