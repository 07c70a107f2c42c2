import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProcess } from '../chaos/support/service-process.js';
import { cli } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { startTestService, type TestService } from '../support/test-service.js';

// `npm start` ends with next steps (src/next-steps.ts): this runs the real entry point and follows each of them.
describe('the service started as npm start runs it', () => {
  let svc: TestService;
  let api: ServiceProcess;
  let printed = '';

  beforeAll(async () => {
    svc = await startTestService({}, { api: false, workers: false });
    api = new ServiceProcess('api', {
      DATABASE_URL: svc.config.DATABASE_URL,
      QUEUE_PREFIX: svc.config.queuePrefix,
      LOG_LEVEL: 'silent',
      PORT: '0',
    });
    await api.start();
    printed = await eventually(() => {
      const tail = api.tail();
      if (!tail.includes('health:')) throw new Error(`no next steps yet:\n${tail}`);
      return tail;
    });
  }, 90_000);
  afterAll(async () => {
    await api?.stop();
    await svc?.stop();
  });

  const urlOf = (label: string) => new RegExp(`${label}:\\s+(http://\\S+)`).exec(printed)?.[1];

  it('prints where it listens and a next-steps block', () => {
    expect(printed).toMatch(/escrow API listening on http:\/\/\S+/);
    expect(printed).toContain('Next steps:');
    for (const label of ['API reference', 'support console', 'job queues', 'health']) expect(urlOf(label)).toBeTruthy();
  });

  it('names pages that answer: the API reference, the console, the queues sign-in and health', async () => {
    expect((await fetch(urlOf('API reference')!)).status).toBe(200);
    const console = await fetch(urlOf('support console')!);
    expect(console.status).toBe(200);
    expect(await console.text()).toContain('API token');
    const queues = await fetch(urlOf('job queues')!, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect([302, 303]).toContain(queues.status);
    expect(queues.headers.get('location')).toContain('/admin/login');
    expect((await fetch(urlOf('health')!)).status).toBe(200);
  });

  it('prints a token command that issues a token this API accepts', async () => {
    const command = /issue a token:\s+npm run --silent cli -- (.+)/.exec(printed)?.[1];
    expect(command).toBeTruthy();
    const args = command!
      .trim()
      .split(/\s+/)
      .map((a) => (a === 'me' ? `start-test-${Date.now()}` : a));
    const issued = await cli(args, { DATABASE_URL: svc.config.DATABASE_URL, QUEUE_PREFIX: svc.config.queuePrefix });
    expect(issued.code, issued.stderr).toBe(0);
    const { token } = JSON.parse(issued.stdout) as { token: string };
    const base = /escrow API listening on (http:\/\/\S+)/.exec(printed)![1]!;
    const clients = await fetch(`${base}/v1/clients`, { headers: { authorization: `Bearer ${token}` } });
    expect(clients.status).toBe(200);
  });
});
