import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentMachine } from '../../machines/registry.js';
import { generatePaths } from '../../src/paths/generate.js';
import { vitestFile } from '../../src/paths/vitest-file.js';
import { uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

const run = promisify(execFile);

// The file `cli paths … --format vitest` writes is what an internal service runs against its own deployment:
// here it runs, as a separate vitest process, against a real service with short (configured) deadlines.
describe('generated vitest file against a deployment', () => {
  let svc: TestService;
  const dir = path.resolve('test-artifacts', uid('generated'));
  beforeAll(async () => {
    svc = await startTestService({
      DISPUTE_FREELANCER_RESPONSE_MS: '300',
      DISPUTE_EMPLOYER_RESPONSE_MS: '300',
      ARBITRATION_FEE_WINDOW_MS: '300',
      FEEDBACK_WINDOW_MS: '300',
      PROJECT_CANCEL_REQUEST_MS: '300',
    });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'vitest.config.mjs'), "export default { test: { include: ['*.test.mjs'] } };\n");
  });
  afterAll(async () => {
    await svc?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  // The version the deployment starts new instances on: the file is generated for it.
  for (const def of [currentMachine('milestone'), currentMachine('project')]) {
    const { name } = def;
    it(`passes for every transition-covering path of ${name}@${def.version}, timers included`, async () => {
      const generated = generatePaths(def, 'transitions');
      await writeFile(path.join(dir, `${name}.test.mjs`), vitestFile(def, generated));
      const runnable = generated.paths.filter((p) => p.events.length > 0 && !p.modelOnly).length;
      const env = {
        ...process.env,
        ESCROW_BASE_URL: svc.url,
        ESCROW_TOKEN: svc.http.token ?? '',
        ESCROW_TIMER_WAIT_MS: '10000',
      };
      const { stdout } = await run('npx', ['vitest', 'run', '--config', 'vitest.config.mjs', `${name}.test.mjs`], {
        cwd: dir,
        env,
      });
      expect(stdout).toMatch(new RegExp(`Tests\\s+.*${runnable} passed`));
    }, 180_000);
  }
});
