import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, SCOPES } from '../../src/auth/tokens.js';
import { createDb } from '../../src/db/knex.js';
import { databaseUrl, dropDatabase, withAdmin } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { HttpClient } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, projectInProgress } from '../support/scenario.js';
import { cloneTemplate, startTestService, type TestService } from '../support/test-service.js';

const LOAD_CONCURRENCY = 8;
const ACKS_BEFORE_SIGTERM = 40;

function waitForUrl(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /escrow API listening on (http:\/\/\S+)/.exec(output.join(''));
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`service exited with ${code} before listening:\n${output.join('')}`)),
    );
  });
}

describe('graceful shutdown', () => {
  let child: ChildProcess | null = null;
  let restarted: TestService | null = null;
  let receiver: Server | null = null;
  let database = '';

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await restarted?.stop();
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    if (database) await withAdmin((admin) => dropDatabase(admin, database));
  });

  it('on SIGTERM under load loses no acknowledged event and leaves no job half-done', async () => {
    database = await cloneTemplate();
    const db = createDb(databaseUrl(database), 2);
    const { token } = await createClient(db, 'shutdown-test', [...SCOPES]);

    // A slow webhook receiver, so deliveries are in flight when the signal arrives.
    const received: { id: string; instanceId: string; seq: number }[] = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { id: string; instanceId: string; seq: number };
        setTimeout(() => {
          received.push(body);
          res.writeHead(204).end();
        }, 30);
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const output: string[] = [];
    // `node --import tsx`, not the `tsx` CLI: the CLI is a parent process that relays signals and SIGKILLs its
    // child when the child's acknowledgement takes over 30 ms, which a loaded service can exceed (exit 143).
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl(database),
        QUEUE_PREFIX: `test-${database}`,
        PORT: '0',
        LOG_LEVEL: 'warn',
        RELAY_POLL_MS: '100',
        WEBHOOK_POLL_MS: '50',
        SHUTDOWN_TIMEOUT_MS: '20000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const http = new HttpClient(await waitForUrl(child, output), token);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    expect(
      (await http.post('/v1/webhooks', { url: hookUrl, events: ['*'], secret: 'shutdown-secret-0123' })).status,
    ).toBe(201);
    const parties = await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, () => projectInProgress(http)));
    for (const p of parties) await deposit(http, p.employer, '1000000');

    // Load: each loop creates milestones (an applied CREATE, then settlement, notifications, webhooks) until the
    // service stops answering. Only 2xx answers are acknowledged events.
    const acknowledged: string[] = [];
    let sigtermSent = false;
    const loop = async (p: (typeof parties)[number]) => {
      for (;;) {
        let res;
        try {
          res = await http.post(`/v1/projects/${p.projectId}/milestones`, {
            type: 'CREATE',
            actor: p.employer,
            amount: '1',
            description: 'load',
          });
        } catch {
          return; // connection refused or closed: the server has stopped taking requests
        }
        if (res.status >= 200 && res.status < 300) acknowledged.push(res.body.id as string);
        else if (!sigtermSent) throw new Error(`unexpected ${res.status} before SIGTERM: ${JSON.stringify(res.body)}`);
        if (acknowledged.length >= ACKS_BEFORE_SIGTERM && !sigtermSent) {
          sigtermSent = true;
          child!.kill('SIGTERM');
        }
      }
    };
    await Promise.all(parties.map(loop));
    expect(sigtermSent).toBe(true);
    const code = await exited;
    expect(code, output.join('')).toBe(0);

    // Nothing acknowledged is missing: each acknowledged milestone exists with its CREATE in history.
    const found: { instance_id: string }[] = await db('history')
      .whereIn('instance_id', acknowledged)
      .andWhere({ seq: 1, type: 'CREATE' })
      .select('instance_id');
    expect(found.map((h) => h.instance_id).sort()).toEqual([...acknowledged].sort());
    // No webhook attempt was left half-done: every one that started was answered and recorded.
    expect(await db('webhook_attempts').where({ outcome: 'in_flight' }).select('delivery_id')).toEqual([]);
    // A settlement is either done (its SETTLED in history, money moved) or not started; never in between.
    const settled: { n: number }[] = await db('outbox as o')
      .where({ 'o.topic': 'settlement' })
      .whereNotNull('o.processed_at')
      .whereNotExists(
        db('history as h').whereRaw('h.instance_id = o.instance_id').andWhere('h.seq', '>', db.raw('o.seq')),
      )
      .select(db.raw('count(*)::int AS n'));
    expect(settled[0]!.n).toBe(0);
    await assertLedgerInvariants(db);
    await db.destroy();

    // Restart the workers on the same database and queues: every outbox row gets processed, every milestone
    // funded, every event delivered to the webhook once per instance and seq.
    restarted = await startTestService({ WEBHOOK_POLL_MS: '50' }, { database });
    const svc = restarted;
    await eventually(async () => {
      expect(await svc.db('outbox').whereNull('processed_at').select('id', 'topic')).toEqual([]);
      const states: { state: string }[] = await svc.db('instances').whereIn('id', acknowledged).select('state');
      expect(states.every((s) => s.state === 'in_progress')).toBe(true);
      expect(await svc.db('webhook_deliveries').whereNot({ status: 'delivered' }).select('id', 'status')).toEqual([]);
    }, 30_000);
    const history: { instance_id: string; seq: number }[] = await svc.db('history').select('instance_id', 'seq');
    const deliveredKeys = new Set([...new Map(received.map((r) => [r.id, `${r.instanceId}#${r.seq}`])).values()]);
    expect(deliveredKeys.size).toBe(history.length);
    await assertLedgerInvariants(svc.db);
  }, 120_000);
});
