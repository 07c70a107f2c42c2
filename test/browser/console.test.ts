import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedMilestone, projectInProgress, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Debian's chromium (.ci/run installs it); playwright-core never downloads a browser.
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

describe('support console in a real headless browser', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let milestoneId: string;
  let token: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test runs scripts/ensure-browser.sh)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    svc = await startTestService();
    // A milestone with a partial release: draft → funding → in_progress → releasing → in_progress.
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '100');
    milestoneId = m.id;
    expect(
      (await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer, amount: '40' }))
        .status,
    ).toBe(200);
    expect((await waitSettled(svc.http, m.id)).releasedAmount).toBe('40');
    token = svc.http.token as string;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  const currentStates = () =>
    page
      .locator('#diagram [data-state].current')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state')));

  it('asks for a token, keeps it in sessionStorage and finds a milestone by id', async () => {
    await page.goto(`${svc.url}/console`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
    expect(await page.evaluate(() => sessionStorage.getItem('escrow-console-token'))).toBe(token);
    await page.getByLabel('Milestone, project or user id').fill(milestoneId);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#instance-heading').textContent()).toBe(`Milestone ${milestoneId}`);
    // Opening moves focus to the instance heading, for keyboard and screen-reader users.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('instance-heading');
    await expect.poll(currentStates).toEqual(['in_progress']);
    expect(await page.locator('#verdict-ok').textContent()).toContain('reproduces the stored snapshot');
    expect(await page.locator('#divergence-banner').isHidden()).toBe(true);
    const rows = await page.locator('#timeline tbody tr').allTextContents();
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatch(/SETTLED.*funding → in_progress.*fund 100/);
    expect(await page.locator('#dispute').textContent()).toContain('No dispute');
    await page.screenshot({ path: `${ARTIFACTS}/console-opened.png`, fullPage: true });
  });

  it('steps the replay slider back and forth and moves the diagram highlight', async () => {
    const slider = page.getByLabel('Step', { exact: true });
    expect(await slider.getAttribute('max')).toBe('4');
    await slider.fill('0');
    await expect.poll(currentStates).toEqual(['draft']);
    expect(await page.locator('#step-state').textContent()).toContain('"amount": "0"');
    await page.screenshot({ path: `${ARTIFACTS}/console-step-0.png`, fullPage: true });

    // The keyboard works on the slider itself.
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(currentStates).toEqual(['funding']);
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('button', { name: 'Next step' }).click();
    await expect.poll(currentStates).toEqual(['releasing']);
    await expect.poll(() => page.locator('#step-state').textContent()).toContain('"pendingRelease": "40"');
    expect(await page.locator('#step-label').textContent()).toMatch(/^Step 3 of 4: RELEASE by \S+ → releasing$/);
    expect(await slider.getAttribute('aria-valuetext')).toMatch(/^Step 3 of 4/);
    expect(await page.locator('#timeline tr[aria-current=step]').getAttribute('data-seq')).toBe('3');
    await page.screenshot({ path: `${ARTIFACTS}/console-step-3.png`, fullPage: true });
  });

  it('shows a divergence banner for a deliberately corrupted snapshot', async () => {
    await svc.db.raw(
      `UPDATE instances SET snapshot = jsonb_set(snapshot, '{context,releasedAmount}', '"55"') WHERE id = ?`,
      [milestoneId],
    );
    await page.reload();
    const banner = page.getByRole('alert');
    await expect.poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toMatch(
      /Replay diverges from the stored snapshot \(first difference at seq 4\)/,
    );
    expect(await banner.textContent()).toContain('Stored context.releasedAmount: 55');
    expect(await banner.textContent()).toContain('Replayed context.releasedAmount: 40');
    expect(await page.locator('#verdict-ok').isHidden()).toBe(true);
    expect(await page.locator('#timeline tr.diverged').getAttribute('data-seq')).toBe('4');
    await page.screenshot({ path: `${ARTIFACTS}/console-divergence.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
