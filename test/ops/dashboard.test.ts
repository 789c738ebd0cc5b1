import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { RawClient } from '../helpers/raw-client.js';
import { channelAuth } from '../helpers/sign.js';
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

  it('keeps the presence panel live, with readable user info, the uptime as status prints it, and a favicon', async () => {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const members: RawClient[] = [];
    try {
      for (const [id, info] of [['alice', { name: 'Alice Liddell', role: 'admin' }], ['bob', { name: 'Bob', tags: ['x', 'y'] }]] as const) {
        const { client, socketId } = await RawClient.established(g.port);
        members.push(client);
        const data = JSON.stringify({ user_id: id, user_info: info });
        assert.equal((await client.subscribe('presence-lobby', { auth: channelAuth(socketId, 'presence-lobby', data), channel_data: data })).event, 'pusher_internal:subscription_succeeded');
      }
      await page.goto(`${g.adminUrl}/`);
      // The context may hold the session cookie of an earlier test.
      if ((await page.locator('#token').count()) > 0) {
        await page.fill('#token', g.token);
        await Promise.all([page.waitForURL(`${g.adminUrl}/`), page.click('button[type=submit]')]);
      }
      await page.locator('#node-info', { hasText: / · up \d+s · / }).waitFor({ timeout: TIMEOUT });
      const icon = await page.evaluate(async () => {
        const res = await fetch('/favicon.ico');
        return { status: res.status, type: res.headers.get('content-type'), linked: document.querySelector('link[rel=icon]')?.getAttribute('href') };
      });
      assert.deepEqual(icon, { status: 200, type: 'image/svg+xml', linked: '/assets/favicon.svg' });

      await page.fill('#members-channel', 'presence-lobby');
      await page.click('#members-form button[type=submit]');
      await page.locator('#members-summary', { hasText: '2 members in presence-lobby' }).waitFor({ timeout: TIMEOUT });
      const alice = page.locator('#members li', { hasText: 'alice' });
      assert.deepEqual(await alice.locator('dt').allInnerTexts(), ['name', 'role']);
      assert.deepEqual(await alice.locator('dd').allInnerTexts(), ['Alice Liddell', 'admin']);
      assert.deepEqual(await page.locator('#members li', { hasText: 'bob' }).locator('dd').allInnerTexts(), ['Bob', '["x","y"]']);
      assert.doesNotMatch(await page.locator('#members').innerText(), /[{}]/, 'no raw JSON objects');

      // Bob leaves: the panel follows without another click.
      members[1]?.close();
      await page.locator('#members-summary', { hasText: '1 member in presence-lobby' }).waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator('#members li').count(), 1);
      assert.equal(await page.locator('#members li', { hasText: 'bob' }).count(), 0);
    } finally {
      for (const m of members) m.close();
    }
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});
