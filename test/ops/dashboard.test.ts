import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { pusherClient, startOpsGateway, type OpsGateway, type PusherClient } from './ops-harness.js';

const TIMEOUT = 30_000;

describe('dashboard in headless Chromium', () => {
  let g: OpsGateway;
  let browser: TestBrowser;
  let context: BrowserContext;

  before(async () => {
    g = await startOpsGateway();
    browser = await launchChromium({ viewport: { width: 1400, height: 1100 } });
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await g?.stop();
  });

  it('refuses a wrong token', async () => {
    const page = await context.newPage();
    await page.goto(`${g.adminUrl}/`);
    await page.fill('#token', 'definitely-not-the-token');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login')), page.click('button[type=submit]')]);
    assert.equal(answer.status(), 401);
    await page.getByRole('alert').filter({ hasText: 'Wrong token.' }).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('#publish-form').count(), 0, 'no dashboard without the token');
    const api = await page.evaluate(async () => (await fetch('/api/overview')).status);
    assert.equal(api, 401);
    await page.close();
  });

  it('logs in, shows a pusher-js connection, publishes from the form to the client and the debug console', async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${g.adminUrl}/`);
    await page.fill('#token', g.token);
    await Promise.all([page.waitForURL(`${g.adminUrl}/`), page.click('button[type=submit]')]);
    await page.locator('#publish-form').waitFor({ timeout: TIMEOUT });
    await page.locator('#node-state.ready').waitFor({ timeout: TIMEOUT });
    await page.locator('#fig-connections', { hasText: /^0$/ }).waitFor({ timeout: TIMEOUT });
    await page.locator('#console-state', { hasText: 'live' }).waitFor({ timeout: TIMEOUT });

    let client: PusherClient | undefined;
    try {
      client = await pusherClient(g.port);
      const received = new Promise<unknown>((resolve) => client?.subscribe('dashboard-demo').bind('hello-from-dashboard', resolve));
      // The connection appears in the figures and in the debug console.
      await page.locator('#fig-connections', { hasText: /^1$/ }).waitFor({ timeout: TIMEOUT });
      await page.locator('#console tr.event[data-type="subscribed"]', { hasText: 'dashboard-demo' }).waitFor({ timeout: TIMEOUT });
      await page.locator('#channels tbody tr', { hasText: 'dashboard-demo' }).waitFor({ timeout: TIMEOUT });

      await page.fill('#publish-channel', 'dashboard-demo');
      await page.fill('#publish-event', 'hello-from-dashboard');
      await page.fill('#publish-data', '{"greeting":"hi from the form"}');
      await page.click('#publish-form button[type=submit]');
      await page.locator('#publish-result', { hasText: 'published hello-from-dashboard on dashboard-demo' }).waitFor({ timeout: TIMEOUT });
      assert.deepEqual(await received, { greeting: 'hi from the form' });
      const row = page.locator('#console tr.event[data-type="publish"]', { hasText: 'hello-from-dashboard' });
      await row.waitFor({ timeout: TIMEOUT });
      assert.match(await row.innerText(), /dashboard-demo/);
      assert.match(await row.innerText(), /hi from the form/);

      // The graphs drew (uPlot renders into a canvas).
      assert.equal(await page.locator('#chart-connections canvas').count(), 1);
      await mkdir('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/dashboard.png', fullPage: true });
    } finally {
      client?.disconnect();
    }
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});
