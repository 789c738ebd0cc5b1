import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import PusherServer from 'pusher';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { freePort, TestRedis } from '../cluster/redis-server.js';
import { ServerProcess } from '../helpers/server-process.js';

const TIMEOUT = 30_000;
const sdk = new PusherServer({ appId: 'app-id', key: 'app-key', secret: 'app-secret', host: '127.0.0.1' });

let redis: TestRedis;
let gw: TestGateway;
let php: ServerProcess;
let phpPort: number;
let scratch: string;
let webhookLog: string;
const browsers: TestBrowser[] = [];

before(async () => {
  for (const binary of ['/usr/bin/php', '/usr/bin/chromium']) {
    assert.ok(existsSync(binary), `${binary} is required (Debian php-cli, php-curl, chromium; .ci/run installs them)`);
  }
  scratch = await mkdtemp(join(tmpdir(), 'sb-php-e2e-'));
  webhookLog = join(scratch, 'webhooks.log');
  redis = await TestRedis.start();
  phpPort = await freePort();
  gw = await startGateway({
    apps: [
      testApp({
        webhooks: [{ url: `http://127.0.0.1:${phpPort}/webhook.php`, event_types: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'] }],
      }),
    ],
    webhooks: { holdBackMs: 500 },
    queue: { enabled: true, redisUrl: redis.url, consumer: 'e2e' },
  });
  php = new ServerProcess('php', ['-S', `127.0.0.1:${phpPort}`, '-t', 'examples/php'], {
    env: {
      ...process.env,
      PHP_CLI_SERVER_WORKERS: '4',
      SWITCHBOARD_API_URL: `http://127.0.0.1:${gw.port}`,
      SWITCHBOARD_WS_PORT: String(gw.port),
      REDIS_PORT: String(redis.port),
      WEBHOOK_LOG: webhookLog,
      NODE_MODULES_DIR: resolve('node_modules'),
    },
  });
  await php.answering(`http://127.0.0.1:${phpPort}/js.php?lib=pusher`);
});

after(async () => {
  for (const browser of browsers) await browser.close();
  await php?.stop();
  await gw?.stop();
  await redis?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** A browser with a profile of its own: a separate person with their own PHP session. */
async function person(): Promise<BrowserContext> {
  const browser = await launchChromium();
  browsers.push(browser);
  return browser.context;
}

async function open(context: BrowserContext, path: string): Promise<Page> {
  const page = context.pages()[0]?.url() === 'about:blank' ? (context.pages()[0] as Page) : await context.newPage();
  await page.goto(`http://127.0.0.1:${phpPort}/${path}`);
  await page.locator('#state', { hasText: 'joined' }).waitFor({ timeout: TIMEOUT });
  return page;
}

async function members(page: Page): Promise<string[]> {
  return (await page.locator('#members li').allTextContents()).sort();
}

async function say(page: Page, text: string, via: 'http' | 'queue'): Promise<void> {
  await page.fill('input[name=message]', text);
  await page.selectOption('select[name=via]', via);
  await page.click('#say button');
}

interface WebhookRecord {
  signature: string;
  body: string;
  events: Array<{ name: string; channel?: string; user_id?: string }>;
}

async function recorded(): Promise<WebhookRecord[]> {
  const text = await readFile(webhookLog, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as WebhookRecord);
}

test('a plain PHP app: pages join a presence channel through auth.php, PHP publishes over HTTP and the queue, webhook.php hears it all', async () => {
  const alice = await person();
  const bob = await person();
  const aliceRoom = await open(alice, 'index.php?user=alice');
  const bobRoom = await open(bob, 'index.php?user=bob');
  // Alice's second tab, with Laravel Echo: the same member, not a new one.
  const aliceEcho = await open(alice, 'echo.php');
  const pages = [aliceRoom, bobRoom, aliceEcho];
  for (const page of pages) {
    await page.waitForFunction(() => document.querySelectorAll('#members li').length === 2, undefined, { timeout: TIMEOUT });
    assert.deepEqual(await members(page), ['Alice', 'Bob']);
  }

  // The form makes PHP publish over the signed HTTP API; every page shows the event.
  await say(bobRoom, 'hello over http', 'http');
  for (const page of pages) await page.locator('#messages li', { hasText: 'bob: hello over http (via http)' }).waitFor({ timeout: TIMEOUT });

  // webhook.php verified and recorded channel_occupied and one member_added per person.
  await php.until(async () => (await recorded()).flatMap((r) => r.events).filter((e) => e.name === 'member_added').length >= 2, 'member_added webhooks');
  const records = await recorded();
  const events = records.flatMap((r) => r.events);
  assert.deepEqual(events.filter((e) => e.name === 'channel_occupied'), [{ name: 'channel_occupied', channel: 'presence-room' }]);
  assert.deepEqual(events.filter((e) => e.name === 'member_added').map((e) => e.user_id).sort(), ['alice', 'bob']);
  for (const record of records) {
    const hook = sdk.webhook({ headers: { 'x-pusher-key': 'app-key', 'x-pusher-signature': record.signature, 'content-type': 'application/json' }, rawBody: record.body });
    assert.equal(hook.isValid(), true, 'the recorded signature verifies with the pusher SDK too');
  }
  // And it refuses what Switchboard did not sign.
  const forged = await fetch(`http://127.0.0.1:${phpPort}/webhook.php`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pusher-key': 'app-key', 'x-pusher-signature': '0'.repeat(64) },
    body: JSON.stringify({ time_ms: Date.now(), events: [{ name: 'channel_vacated', channel: 'presence-room' }] }),
  });
  assert.equal(forged.status, 401);
  assert.equal((await recorded()).length, records.length);

  // The same publish through the Redis Stream: PHP writes XADD, the gateway's consumer publishes.
  await say(aliceRoom, 'hello over the queue', 'queue');
  for (const page of pages) await page.locator('#messages li', { hasText: 'alice: hello over the queue (via queue)' }).waitFor({ timeout: TIMEOUT });
  const producer = new Redis(redis.url);
  try {
    const entries = await producer.xrange('switchboard:events', '-', '+');
    assert.equal(entries.length, 1);
    const fields = entries[0]?.[1] ?? [];
    assert.equal(fields[fields.indexOf('app') + 1], 'app-id');
    assert.match(fields[fields.indexOf('id') + 1] ?? '', /^[0-9a-f]{16}$/);
    const pending = (await producer.xpending('switchboard:events', 'switchboard')) as [number];
    assert.equal(pending[0], 0, 'acknowledged once published');
  } finally {
    producer.disconnect();
  }
  assert.equal(await bobRoom.locator('#messages li').count(), 2, 'each message shown once');

  // Bob leaves: after the hold-back, webhook.php hears member_removed.
  await bob.close();
  await aliceRoom.waitForFunction(() => document.querySelectorAll('#members li').length === 1, undefined, { timeout: TIMEOUT });
  await php.until(async () => (await recorded()).flatMap((r) => r.events).some((e) => e.name === 'member_removed' && e.user_id === 'bob'), 'member_removed webhook');
});
