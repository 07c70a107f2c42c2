import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliResult } from '../support/cli.js';
import { uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The real bin, as `npm run cli` starts it: Node, the tsx loader and src/cli/index.ts. */
function bin(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 90_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// Every other CLI test calls runCli in-process (test/support/cli.ts); this one checks that the process around it
// passes the arguments and environment in and the output and exit status out.
describe('the cli bin as a process', () => {
  let svc: TestService;
  let env: Record<string, string>;
  beforeAll(async () => {
    svc = await startTestService({}, { api: false, workers: false });
    env = { DATABASE_URL: svc.config.DATABASE_URL, QUEUE_PREFIX: svc.config.queuePrefix, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => svc?.stop());

  it('prints what the command prints and exits with its status', async () => {
    const name = uid('bin');
    const created = await cli(['clients', 'create', '--name', name, '--scopes', 'read', '--json'], env);
    expect(created.code, created.stderr).toBe(0);

    const shown = await bin(['clients', 'show', name, '--json'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ name, scopes: ['read'] });

    const again = await bin(['clients', 'create', '--name', name, '--scopes', 'read'], env);
    expect(again).toMatchObject({ code: 2, stdout: '' });
    expect(again.stderr).toMatch(new RegExp(`client named ${name} exists already`));
  }, 120_000);
});
