import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentMachine } from '../../machines/registry.js';
import { generatePaths } from '../../src/paths/generate.js';
import { cli } from '../support/cli.js';
import { uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// eslint-disable-next-line no-control-regex -- the escape sequences vitest colours its report with
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** `npx vitest run …` as a person types it; resolves with the exit status and everything it printed. */
function vitest(args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile('npx', ['vitest', 'run', ...args], { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: plain(`${stdout}\n${stderr}`) }),
    );
  });
}

/** What GET /v1/machines/:name/paths?format=vitest serves: the file to save. */
async function generatedFile(svc: TestService, name: string): Promise<string> {
  const res = await fetch(`${svc.url}/v1/machines/${name}/paths?strategy=transitions&format=vitest`, {
    headers: { authorization: `Bearer ${svc.http.token}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
  return res.text();
}

// The file an internal service saves and runs against its deployment, exactly as docs/testing.md says: fetched
// from a running service, saved in the project root, `npx vitest run <file>`. The deployment keeps its real,
// days-long deadlines; time travel (ALLOW_TIME_TRAVEL) fires each timer when a path needs it.
describe('generated vitest file against a deployment', () => {
  let svc: TestService;
  let pinned: TestService;
  let dir = '';
  beforeAll(async () => {
    svc = await startTestService({ ALLOW_TIME_TRAVEL: '1' });
    // A deployment still starting new milestones on version 2 (a staged rollout).
    pinned = await startTestService({ NEW_INSTANCE_VERSIONS: 'milestone:2' }, { workers: false });
    dir = await mkdtemp(path.join(tmpdir(), 'generated-'));
  });
  afterAll(async () => {
    await svc?.stop();
    await pinned?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [name, timer] of [
    ['milestone', 'RESPONSE_TIMEOUT'],
    ['project', 'FEEDBACK_WINDOW_CLOSED'],
  ] as const) {
    it(`passes every transition-covering path of the current ${name}, timers included, with no skips`, async () => {
      const text = await generatedFile(svc, name);
      expect(text, 'a path through a timer').toContain(`"type": "${timer}"`);
      const runnable = generatePaths(currentMachine(name), 'transitions').paths.filter(
        (p) => p.events.length > 0 && !p.modelOnly,
      ).length;
      const file = `${uid(name)}.test.mjs`;
      await writeFile(path.join(REPO_ROOT, file), text);
      try {
        const env = { ESCROW_BASE_URL: svc.url, ESCROW_TOKEN: svc.http.token ?? '' };
        const { code, output } = await vitest([file], REPO_ROOT, env);
        expect(output).toMatch(new RegExp(`Tests\\s+${runnable} passed \\(${runnable}\\)`));
        expect(code, output).toBe(0);
      } finally {
        await rm(path.join(REPO_ROOT, file), { force: true });
      }
    }, 300_000);
  }

  it('fails once, naming both versions, against a deployment that starts instances on another version', async () => {
    // Written by the CLI into a directory of its own, with the vitest config it needs there.
    const written = await cli(['paths', 'milestone', '--strategy', 'transitions', '--format', 'vitest', '--out', dir]);
    expect(written.code, written.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'milestone.test.mjs'), 'utf8')).toBe(await generatedFile(svc, 'milestone'));
    const env = { ESCROW_BASE_URL: pinned.url, ESCROW_TOKEN: pinned.http.token ?? '' };
    const { code, output } = await vitest(['--root', dir], REPO_ROOT, env);
    expect(code).not.toBe(0);
    expect(output).toMatch(/Tests\s+1 failed \(1\)/);
    expect(output).toContain(
      `This file was generated for milestone@3, but ${pinned.url} starts new milestone instances on milestone@2.`,
    );
    expect(output).toMatch(/transitions only in this file \(\d+\):/);
  }, 120_000);
});
