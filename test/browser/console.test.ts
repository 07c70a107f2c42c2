import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/auth/tokens.js';
import { milestoneInDispute } from '../support/dispute-cases.js';
import { eventually } from '../support/eventually.js';
import { fundedMilestone, projectInProgress, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Debian's chromium (scripts/ensure-browser.sh installs it); playwright-core never downloads a browser.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = 'test-artifacts';
// The first diagram of a page waits for ELK's layout in a web worker: seconds on a busy machine.
const poll = <T>(check: () => Promise<T> | T) => expect.poll(check, { timeout: 30_000 });
const SIZES = [
  { width: 1366, height: 900 },
  { width: 1024, height: 768 },
];
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ENV = {
  ARBITRATION_FEE_DEFAULT: '5000',
  STUCK_AFTER_MS: '1000',
  WEBHOOK_MAX_ATTEMPTS: '1',
  WEBHOOK_TIMEOUT_MS: '500',
  // The sweeper would rescue the stuck settlement by itself after this grace; the test re-drives it by hand.
  SWEEP_GRACE_MS: '3600000',
};

describe('support console in a real headless browser', () => {
  let svc: TestService;
  let workers: TestService | null = null;
  let browser: Browser;
  let page: Page;
  let token: string;
  let readOnlyToken: string;
  let p: Parties;
  const cases = {} as Record<'partial' | 'arbitration' | 'awaiting' | 'feeDue' | 'failed' | 'stuck', string>;
  const pageErrors: string[] = [];

  const startWorkers = async () => {
    workers = await startTestService(ENV, { api: false, workers: true, database: svc.databaseName });
  };
  const stopWorkers = async () => {
    await workers?.stop({ keepQueueKeys: true });
    workers = null;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test runs scripts/ensure-browser.sh)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    // The API and the workers apart, so the test can stop the workers and leave a settlement stuck.
    svc = await startTestService(ENV, { workers: false });
    await startWorkers();
    p = await projectInProgress(svc.http);
    // A dead delivery: every RESPOND is sent to a port nobody listens on, and one attempt is all it gets.
    const hook = await svc.http.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/escrow-hook',
      events: ['milestone.RESPOND'],
      secret: 'console-test-secret-0123456789',
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    cases.partial = (await fundedMilestone(svc.http, p, '10000')).id;
    await svc.http.post(`/v1/milestones/${cases.partial}/events`, {
      type: 'RELEASE',
      actor: p.employer,
      amount: '4000',
    });
    await waitSettled(svc.http, cases.partial);
    cases.arbitration = await milestoneInDispute(svc.http, p, 'arbitration', { amount: '100000', fee: '5000' });
    cases.awaiting = await milestoneInDispute(svc.http, p, 'awaiting_response', { amount: '25000' });
    cases.feeDue = await milestoneInDispute(svc.http, p, 'arbitration_pending', { amount: '42000', fee: '5000' });
    const failed = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '990000',
      description: 'Launch campaign',
    });
    cases.failed = failed.body.id;
    expect((await waitSettled(svc.http, cases.failed)).state).toBe('funding_failed');
    cases.stuck = (await fundedMilestone(svc.http, p, '30000')).id;
    await eventually(async () => {
      const dead = await svc.db('webhook_deliveries').where({ status: 'dead' }).count<{ n: string }[]>({ n: '*' });
      expect(Number(dead[0]?.n)).toBe(2);
    });
    // Workers away: the release below is committed but never settles, and is stuck after STUCK_AFTER_MS.
    await stopWorkers();
    await svc.http.post(`/v1/milestones/${cases.stuck}/events`, { type: 'RELEASE', actor: p.employer });
    // As if its job had been lost after the relay sent it (Redis restarted empty): only a re-drive helps now.
    await svc
      .db('outbox')
      .where({ instance_id: cases.stuck, topic: 'settlement' })
      .update({ relayed_at: svc.db.fn.now() });
    await eventually(async () => expect((await svc.http.get('/v1/stats')).body.milestones.stuck).toBe(1), 10_000);

    token = svc.http.token as string;
    readOnlyToken = (await createClient(svc.db, 'auditor', ['read'])).token;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: SIZES[0] });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stopWorkers();
    await svc?.stop();
  });

  /** The page never scrolls sideways, at either size; the screenshots are for people to look at. */
  async function checkLayout(name: string) {
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await poll(() =>
        page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
      ).toBeLessThanOrEqual(0);
      const wide = await page.evaluate(() =>
        Array.from(document.querySelectorAll('main *'))
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .filter((e) => !e.closest('.diagram-viewport'))
          .map((e) => `${e.tagName}.${e.className}`)
          .slice(0, 5),
      );
      expect(wide, `${name} at ${size.width}: elements past the right edge`).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}/console-${name}-${size.width}.png`, fullPage: true });
    }
    await page.setViewportSize(SIZES[0]!);
  }

  /** axe-core, evaluated in the page (CDP is not subject to the page's CSP): no serious or critical finding. */
  async function checkAccessibility(name: string) {
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const result = await (
        window as unknown as {
          axe: { run: () => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
        }
      ).axe.run();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations, name).toEqual([]);
  }

  const queue = (id: string) => page.locator(`[data-queue="${id}"]`);
  const currentStates = () =>
    page
      .locator('#diagram [data-state].current')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));

  it('asks for a token in a field labelled API token, then opens on the queues', async () => {
    await page.goto(`${svc.url}/console`);
    await page.getByLabel('API token').fill(token);
    await page.getByLabel('API token').press('Enter');
    expect(await page.evaluate(() => sessionStorage.getItem('escrow-console-token'))).toBe(token);
    await poll(() => page.locator('#page-heading').textContent()).toBe('Queues');
    await poll(() => page.locator('#whoami').textContent()).toContain('support');
    const count = (id: string) => queue(id).locator('.count').textContent();
    expect(await count('awaiting')).toBe('1');
    expect(await count('arbitration')).toBe('1');
    expect(await count('fees')).toBe('1');
    expect(await count('stuck')).toBe('1');
    expect(await count('failed')).toBe('1');
    expect(await count('dead')).toBe('2');
    await poll(() => queue('arbitration').locator('tbody tr').count()).toBe(1);
    const arbitration = await queue('arbitration').locator('tbody tr').textContent();
    expect(arbitration).toContain('$1,000.00');
    expect(arbitration).toMatch(/Employer \$300\.00 · Freelancer \$800\.00/);
    await poll(() => queue('stuck').locator('tbody tr').textContent()).toContain('Releasing');
    await poll(() => queue('dead').locator('tbody tr').count()).toBe(2);
    expect(await queue('failed').locator('tbody tr').textContent()).toContain('$9,900.00');
    await checkLayout('queues');
    await page.screenshot({ path: `${ARTIFACTS}/docs-1-queues.png` });
    await checkAccessibility('queues');
  });

  it('opens a case from its queue: words for states, money in its currency, a dispute card', async () => {
    await queue('arbitration').getByRole('link', { name: cases.arbitration }).click();
    await poll(() => page.locator('#page-heading').textContent()).toBe(`Milestone ${cases.arbitration}`);
    expect(page.url()).toContain(`#milestone/${cases.arbitration}`);
    expect(await page.locator('#state-name').textContent()).toBe('Disputed › Arbitration');
    await poll(() => page.locator('#diagram-caption').textContent()).toContain('Disputed › Arbitration');
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    expect(text).not.toMatch(/\{"?disputed/);
    expect(text).toContain('Disputed › Negotiation → Disputed › Arbitration pending');
    const dispute = page.locator('#dispute');
    expect(await dispute.locator('.offer-employer').innerText()).toMatch(/\$300\.00/);
    expect(await dispute.locator('.offer-freelancer').innerText()).toMatch(/\$800\.00/);
    expect(await dispute.innerText()).toContain('Signed specification, page 3');
    expect(await dispute.innerText()).toContain('$50.00 per party');
    expect(await dispute.locator('.offer-freelancer').innerText()).toContain('Arbitration fee paid');
    // Minor units on hover.
    expect(await dispute.locator('.offer-employer .money').getAttribute('title')).toBe(
      '30000 minor units of USD (2 decimals)',
    );
    // Where the money went: the fund, each fee hold, each with its cause.
    const trail = await page.locator('.money-trail tbody').innerText();
    expect(trail).toMatch(/Funded[\s\S]*\$1,000\.00[\s\S]*available balance[\s\S]*Escrow of this milestone/);
    expect(trail).toContain('PAY_ARBITRATION_FEE');
    // The diagram: the current stage inside its cluster, the path taken, an arrowhead on every arrow.
    await poll(currentStates).toEqual(['disputed', 'disputed.arbitration']);
    expect(await page.locator('#diagram .edge.taken').count()).toBeGreaterThanOrEqual(6);
    const arrows = await page
      .locator('#diagram .edge path')
      .evaluateAll((paths) => paths.filter((e) => !e.getAttribute('marker-end')).length);
    expect(arrows).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}/docs-2-case.png` });
    await page.locator('#diagram').screenshot({ path: `${ARTIFACTS}/console-diagram-current-1366.png` });
    await page.getByRole('button', { name: 'Whole diagram' }).click();
    await page.locator('#diagram').screenshot({ path: `${ARTIFACTS}/console-diagram-whole-1366.png` });
    await page.getByRole('button', { name: 'Fit width' }).click();
    await checkLayout('case-arbitration');
    await checkAccessibility('case');
  });

  it('rules the arbitration behind a confirmation with a live split, and the timeline shows who ruled', async () => {
    await page.getByRole('button', { name: 'Rule this arbitration…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /Amount to the freelancer/ }).fill('700');
    await poll(() => dialog.locator('.dialog-summary').innerText()).toMatch(
      /receives \$700\.00; employer \S+ gets \$300\.00 back\. The freelancer’s arbitration fee is refunded/,
    );
    await dialog.getByLabel(/Reason/).fill('The specification lists the shop; the email does not drop it.');
    await dialog.getByLabel(/Your user id/).fill('staff-ana');
    await page.screenshot({ path: `${ARTIFACTS}/docs-3-rule.png` });
    await checkAccessibility('rule dialog');
    await dialog.getByRole('button', { name: 'Rule: $700.00 to the freelancer' }).click();
    await poll(() => page.locator('#state-name').textContent()).toBe('Resolving');
    const rule = page.locator('.timeline tbody tr', { hasText: 'RULE' });
    expect(await rule.innerText()).toMatch(/staff-ana[\s\S]*support/);
    expect(await rule.innerText()).toContain('The specification lists the shop');
    expect(await rule.innerText()).toContain('$700.00');
    // The case is shown again before its replay panel starts; the action's message comes after that (reopen).
    await poll(() => page.locator('#status').textContent()).toContain('Ruling sent');
    await page
      .locator('section[aria-labelledby="timeline-heading"]')
      .screenshot({ path: `${ARTIFACTS}/docs-4-timeline.png` });
  });

  it('re-drives a stuck settlement from its queue; the timeline shows the re-drive and the money', async () => {
    await startWorkers();
    // The ruling's settlement was never sent before: the relay sends it now, so only the lost one stays stuck.
    expect((await waitSettled(svc.http, cases.arbitration)).state).toBe('resolved');
    await page.goto(`${svc.url}/console#queues`);
    await queue('stuck').getByRole('button', { name: 'Re-drive…' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.innerText()).toContain('goes back on the settlement queue');
    await dialog.getByRole('button', { name: 'Re-drive settlement' }).click();
    await poll(() => page.locator('#status').textContent()).toMatch(/Re-drive of \S+: enqueued/);
    await eventually(async () =>
      expect((await svc.http.get(`/v1/milestones/${cases.stuck}`)).body.state).toBe('released'),
    );
    await page.goto(`${svc.url}/console#milestone/${cases.stuck}`);
    await poll(() => page.locator('#state-name').textContent()).toBe('Released');
    const redrive = page.locator('.timeline tr.support-action');
    expect(await redrive.innerText()).toMatch(/Re-drove the settlement[\s\S]*support via test[\s\S]*enqueued/);
    expect(await page.locator('.money-trail').innerText()).toContain('Released');
  });

  it('retries a dead webhook delivery; the case timeline shows who retried it', async () => {
    await page.goto(`${svc.url}/console#queues`);
    await poll(() => queue('dead').locator('tbody tr').count()).toBe(2);
    const row = queue('dead').locator('tbody tr').first();
    const caseId = (await row.getByRole('link').textContent()) as string;
    await row.getByRole('button', { name: 'Retry…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry delivery' }).click();
    await poll(() => page.locator('#status').textContent()).toMatch(/is queued again/);
    await page.goto(`${svc.url}/console#milestone/${caseId}`);
    await poll(() => page.locator('.timeline tr.support-action').innerText()).toMatch(
      /Retried a dead webhook delivery[\s\S]*support via test/,
    );
  });

  it('links a project and its milestones both ways, by deep link', async () => {
    await page.goto(`${svc.url}/console#project/${p.projectId}`);
    await poll(() => page.locator('#page-heading').textContent()).toBe(`Project ${p.projectId}`);
    await poll(() => page.locator('#project-milestones tbody tr').count()).toBe(6);
    expect(await page.locator('#state-name').textContent()).toBe('In progress');
    await checkLayout('project');
    await checkAccessibility('project');
    await page.locator('#project-milestones').getByRole('link', { name: cases.awaiting }).click();
    await poll(() => page.locator('#page-heading').textContent()).toBe(`Milestone ${cases.awaiting}`);
    const project = page.locator('#project-card');
    expect(await project.locator('[aria-current="page"]').textContent()).toContain(cases.awaiting);
    await project.getByRole('link', { name: cases.feeDue }).click();
    await poll(() => page.locator('#state-name').textContent()).toBe('Disputed › Arbitration pending');
  });

  it('opens a payout and an adjustment case, by deep link and from a search by their owner', async () => {
    const owner = `own-${Date.now()}`;
    expect((await svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'USD', amount: '500000' })).status).toBe(
      201,
    );
    const payout = await svc.http.post(`/v1/accounts/${owner}/payouts`, {
      currency: 'USD',
      amount: '120000',
      destination: { kind: 'bank_account', reference: 'DE89370400440532013000' },
      actor: owner,
    });
    expect(payout.status, JSON.stringify(payout.body)).toBe(201);
    const adjustment = await svc.http.post('/v1/adjustments', {
      ownerId: owner,
      currency: 'USD',
      amount: '-2500',
      reason: 'Deposit credited twice (bank ref 88121)',
      actor: 'agent-ann',
    });
    const approver = await svc.clientWith(['support']);
    const approved = await approver.post(`/v1/adjustments/${adjustment.body.id as string}/events`, {
      type: 'APPROVE',
      actor: 'agent-bob',
    });
    expect(approved.body.state, JSON.stringify(approved.body)).toBe('applied');

    await page.goto(`${svc.url}/console#payout/${payout.body.id as string}`);
    await poll(() => page.locator('#page-heading').textContent()).toBe(`Payout ${payout.body.id as string}`);
    expect(await page.locator('#state-name').textContent()).toBe('Requested');
    expect(await page.locator('#summary').innerText()).toContain('$1,200.00');
    await poll(() => page.locator('#diagram-caption').textContent()).toContain('Requested');
    const money = await page.locator('main').innerText();
    expect(money).toContain('Held for the payout');
    expect(money).toContain(`${owner}: held for payouts`);
    // The destination in the timeline is words, not a JSON object.
    expect(money).toContain('kind bank_account, reference DE89370400440532013000');
    expect(money).not.toMatch(/\{"kind"/);
    await checkLayout('payout');
    await checkAccessibility('payout');

    await page.goto(`${svc.url}/console#search/${owner}`);
    await poll(() => page.locator('.results li').count()).toBe(2);
    await page.getByRole('link', { name: `Adjustment ${adjustment.body.id as string}` }).click();
    await poll(() => page.locator('#page-heading').textContent()).toBe(`Adjustment ${adjustment.body.id as string}`);
    expect(await page.locator('#state-name').textContent()).toBe('Applied');
    const summary = await page.locator('#summary').innerText();
    expect(summary).toContain('-$25.00');
    // Each signer's API client by name (test-service.ts names clients after their scopes), not by id.
    expect(summary).toMatch(/Proposed by\s+agent-ann via test-events:write\+read\+support\+admin-[0-9a-f]+/);
    expect(summary).toMatch(/Decided by\s+agent-bob via test-support-[0-9a-f]+/);
    const timeline = await page.locator('main').innerText();
    expect(timeline).toContain('PROPOSE');
    expect(timeline).toContain('APPROVE');
    expect(timeline).toContain('Adjusted');
    await poll(() => page.locator('#diagram-caption').textContent()).toContain('Applied');
    await checkLayout('adjustment');
    await checkAccessibility('adjustment');
    expect(pageErrors).toEqual([]);
  });

  it('steps the replay back and forth, moving the highlight and the path', async () => {
    await page.goto(`${svc.url}/console#milestone/${cases.partial}`);
    await poll(currentStates).toEqual(['in_progress']);
    expect(await page.locator('#verdict-ok').textContent()).toContain('reproduces the stored snapshot');
    const slider = page.getByLabel('Step', { exact: true });
    expect(await slider.getAttribute('max')).toBe('4');
    await slider.fill('0');
    await poll(currentStates).toEqual(['draft']);
    expect(await page.locator('#diagram .edge.taken').count()).toBe(0);
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await poll(currentStates).toEqual(['funding']);
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('button', { name: 'Next step' }).click();
    await poll(currentStates).toEqual(['releasing']);
    expect(await page.locator('#step-label').textContent()).toMatch(/^Step 3 of 4: RELEASE by \S+ → Releasing$/);
    expect(await slider.getAttribute('aria-valuetext')).toMatch(/^Step 3 of 4/);
    expect(await page.locator('.timeline tr[aria-current=step]').getAttribute('data-seq')).toBe('3');
    expect(await page.locator('#step-state').textContent()).toMatch(/pendingRelease\s*\$40\.00/);
    // Keyboard: zoom and pan the diagram without a mouse.
    const before = await page.locator('#diagram svg').getAttribute('viewBox');
    await page.locator('.diagram-viewport').focus();
    await page.keyboard.press('+');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#diagram svg').getAttribute('viewBox')).not.toBe(before);
    await page.screenshot({ path: `${ARTIFACTS}/console-replay-step-3-1366.png`, fullPage: true });
  });

  it('hides support actions from a token without the support scope', async () => {
    await page.getByRole('button', { name: 'Forget token' }).click();
    await page.getByLabel('API token').fill(readOnlyToken);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.goto(`${svc.url}/console#queues`);
    await poll(() => page.locator('#whoami').textContent()).toContain('auditor (read)');
    await poll(() => queue('dead').locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: /Retry…|Re-drive…/ }).count()).toBe(0);
    expect(await queue('dead').innerText()).toContain('Support scope needed');
  });

  it('shows a divergence banner for a deliberately corrupted snapshot', async () => {
    await svc.db.raw(
      `UPDATE instances SET snapshot = jsonb_set(snapshot, '{context,releasedAmount}', '"55"') WHERE id = ?`,
      [cases.partial],
    );
    await page.goto(`${svc.url}/console#milestone/${cases.partial}`);
    const banner = page.getByRole('alert');
    await poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toMatch(
      /Replay diverges from the stored snapshot \(first difference at seq 4\)/,
    );
    expect(await banner.textContent()).toContain('Stored context.releasedAmount: 55');
    expect(await banner.textContent()).toContain('Replayed context.releasedAmount: 4000');
    expect(pageErrors).toEqual([]);
  });
});
