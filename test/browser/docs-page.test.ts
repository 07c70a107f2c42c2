import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';

// /docs in a real headless browser: the reference renders from the public /openapi.json without a token,
// starts collapsed (no wall of JSON Schema), loads nothing from another origin, breaks no rule of its
// Content-Security-Policy, and the token field of "Authorize" takes Enter.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const ARTIFACTS = 'test-artifacts';

describe('API reference page in a real headless browser', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test runs scripts/ensure-browser.sh)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    svc = await startTestService({}, { workers: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // A CSP violation is reported on the console as an error.
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('request', (r) => requested.push(r.url()));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    await page.goto(`${svc.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  it('renders every operation without a token, grouped and collapsed', async () => {
    const operations = await page.locator('.opblock').count();
    const documented = Object.values((await fetch(`${svc.url}/openapi.json`).then((r) => r.json())).paths).flatMap(
      (ops) => Object.keys(ops as object),
    ).length;
    expect(operations).toBe(documented);
    expect(await page.locator('.opblock.is-open').count()).toBe(0);
    const tags = await page.locator('.opblock-tag').allInnerTexts();
    expect(tags.map((t) => t.split('\n')[0])).toEqual([
      'Projects',
      'Milestones',
      'Money and inbox',
      'Payouts',
      'Webhooks',
      'Machines',
      'Operations',
    ]);
    // Collapsed: the whole reference, schemas section included, is a few screens, not 11,700 px of one union.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeLessThan(6000);
    await page.screenshot({ path: `${ARTIFACTS}/docs-page.png`, fullPage: true });
    expect(problems).toEqual([]);
    const origin = new URL(svc.url).origin;
    expect(requested.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'))).toEqual([]);
  });

  it('shows an operation with its error responses and examples', async () => {
    await page.locator('.opblock-summary-path', { hasText: '/v1/milestones/{id}/events' }).first().click();
    const open = page.locator('.opblock.is-open');
    await open.waitFor();
    const codes = await open.locator('.responses-table tr.response .response-col_status').allInnerTexts();
    expect(codes.map((c) => c.trim())).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '422', '429']);
    await expect.poll(() => open.innerText()).toContain('release_within_remaining');
    await open.screenshot({ path: `${ARTIFACTS}/docs-operation.png` });
    await open.locator('.opblock-summary-control').first().click();
  });

  it('takes a token in the Authorize dialog on Enter', async () => {
    await page.click('button.authorize');
    const field = page.locator('.modal-ux input[type=text], .modal-ux input[type=password]').first();
    await field.fill('esc_typed-in-the-dialog');
    await field.press('Enter');
    // Authorized: the dialog now offers Logout, and the padlocks are closed.
    await expect.poll(() => page.locator('.modal-ux').innerText()).toContain('Logout');
    await page.screenshot({ path: `${ARTIFACTS}/docs-authorized.png` });
    expect(problems).toEqual([]);
  });
});
