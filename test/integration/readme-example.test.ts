import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { startTestService, type TestService } from '../support/test-service.js';

// The README's five-minute example, read from the README itself and run command by command through the real API,
// workers, Postgres and Redis: each `curl` is sent as written, and its answer must match the `# …` line under it.
// A shown body is a subset of the real one: `…` stands for fields left out, and a string ending in `…` for its
// prefix. So the README cannot show an output the current code does not give.

interface Step {
  command: string;
  method: string;
  path: string;
  body?: unknown;
  /** The jq filter the README pipes the answer through, when it does. */
  jq: boolean;
  expected: string[];
}

const README = new URL('../../README.md', import.meta.url);

/** The shell block under "A five-minute example", its `\` continuations joined. */
function exampleBlock(): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## A five-minute example');
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start));
  if (start < 0 || !block) throw new Error('README.md has no "A five-minute example" shell block');
  return block[1]!.replace(/\\\n\s*/g, '').split('\n');
}

function parseCurl(command: string): Omit<Step, 'expected'> {
  const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
  const url = /"?\$API(\/[^\s"]*)"?/.exec(command)?.[1];
  if (!url) throw new Error(`no $API URL in: ${command}`);
  const data = /-d '([^']*)'/.exec(command)?.[1];
  return {
    command,
    method,
    path: url,
    body: data === undefined ? undefined : JSON.parse(data),
    jq: /\| jq /.test(command),
  };
}

function steps(): Step[] {
  const result: Step[] = [];
  for (const line of exampleBlock()) {
    if (line.startsWith('curl ')) result.push({ ...parseCurl(line), expected: [] });
    else if (line.startsWith('# ') && result.length > 0) result.at(-1)!.expected.push(line.slice(2));
  }
  return result;
}

/** Reads a shown body: `,…` drops out, and `"abc…"` stays as a prefix to match. */
const shown = (line: string): unknown => JSON.parse(line.replace(/,…/g, ''));

/** Whether `actual` has everything `expected` shows (objects: the keys shown; arrays: every element). */
function matches(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string' && expected.endsWith('…'))
    return typeof actual === 'string' && actual.startsWith(expected.slice(0, -1));
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(e, actual[i]))
    );
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => matches(v, (actual as Record<string, unknown>)[k]));
  }
  return expected === actual;
}

interface HistoryItem {
  seq: number;
  type: string;
  actor: string;
  from: unknown;
  to: unknown;
  transfers: { kind: string; amount: string }[];
}

/** What the README's jq filter prints for a history page. */
const historyLines = (body: { items: HistoryItem[] }) =>
  body.items.map(
    (h) =>
      `${h.seq} ${h.type} ${h.actor} ${String(h.from)} → ${String(h.to)} ${JSON.stringify(h.transfers.map((t) => `${t.kind} ${t.amount}`))}`,
  );

describe('README five-minute example', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('answers every command as the README shows', async () => {
    const all = steps();
    expect(all.length).toBeGreaterThanOrEqual(15);
    for (const step of all) {
      expect(step.expected.length, `${step.command} shows its output`).toBeGreaterThan(0);
      const res = await svc.http.request(step.method, step.path, step.body);
      if (step.jq) {
        expect(historyLines(res.body as unknown as { items: HistoryItem[] }), step.command).toEqual(step.expected);
        continue;
      }
      const expected = shown(step.expected[0]!);
      expect(
        matches(expected, res.body),
        `${step.command}\nshows  ${step.expected[0]}\ngot    ${JSON.stringify(res.body)}`,
      ).toBe(true);
    }
  });

  it('would notice an output the code does not give', () => {
    expect(matches(shown('{"state":"released",…}'), { state: 'cancelled', seq: 6 })).toBe(false);
    expect(matches(shown('{"transferId":"dep_…"}'), { transferId: 'tr_1' })).toBe(false);
    expect(matches(shown('{"allowedEvents":[]}'), { allowedEvents: ['RELEASE'] })).toBe(false);
    expect(matches(shown('{"state":"open",…}'), { state: 'open', seq: 0 })).toBe(true);
  });
});
