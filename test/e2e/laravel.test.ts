import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { ServerProcess } from '../helpers/server-process.js';
import { freePort } from '../cluster/redis-server.js';

// examples/laravel on Debian's Laravel 8.83 (php-laravel-framework) with the official, unmodified
// pusher/pusher-php-server SDK, against a real gateway, with two people in headless Chromium.

const TIMEOUT = 30_000;
const APP_DIR = resolve('examples/laravel');
const run = promisify(execFile);

/** The SDK's source: $PUSHER_PHP_SERVER_DIR, shared/vendor/pusher-php-server beside an ancestor of the checkout, or /work/shared's. */
function pusherPhpSdk(): string {
  const candidates: string[] = [];
  if (process.env['PUSHER_PHP_SERVER_DIR']) candidates.push(process.env['PUSHER_PHP_SERVER_DIR']);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    candidates.push(join(dir, 'shared/vendor/pusher-php-server'));
    if (dirname(dir) === dir) break;
  }
  // The workplace's shared copy, for checkouts cloned outside it (CI's clean clone).
  candidates.push('/work/shared/vendor/pusher-php-server');
  const found = candidates.find((dir) => existsSync(join(dir, 'src/Pusher.php')));
  assert.ok(found, `pusher/pusher-php-server not found (set PUSHER_PHP_SERVER_DIR); looked in ${candidates.join(', ')}`);
  return join(found, 'src');
}

let gw: TestGateway;
let scratch: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let base: string;
const browsers: TestBrowser[] = [];
let alice: Page;
let bob: Page;
let bobBrowser: TestBrowser;
let launching: Promise<TestBrowser[]>;

async function artisan(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('php', ['artisan', ...args], { cwd: APP_DIR, env, timeout: TIMEOUT });
  return stdout + stderr;
}

before(async () => {
  for (const file of ['/usr/bin/php', '/usr/bin/chromium', '/usr/share/php/Illuminate/autoload.php', '/usr/share/php/GuzzleHttp/autoload.php']) {
    assert.ok(existsSync(file), `${file} is required (Debian php-cli php-laravel-framework php-guzzlehttp-guzzle php-psr-log php-sqlite3 chromium; .ci/run installs them)`);
  }
  // Two people, two browsers (separate cookies), started while Laravel starts.
  launching = Promise.all([launchChromium(), launchChromium()]);
  launching.then((launched) => browsers.push(...launched), () => undefined);
  scratch = await mkdtemp(join(tmpdir(), 'sb-laravel-e2e-'));
  await writeFile(join(scratch, 'database.sqlite'), '');
  // Whispers are client events, which an app has to allow.
  gw = await startGateway({ apps: [testApp({ clientEvents: true })] });
  // The app's .env is the one a user gets; the real environment overrides it (Laravel's rule) so the
  // app talks to this test's gateway and keeps its database, sessions, views and caches in scratch.
  env = {
    ...process.env,
    PUSHER_PHP_SERVER_SRC: pusherPhpSdk(),
    PUSHER_HOST: '127.0.0.1',
    PUSHER_PORT: String(gw.port),
    DB_DATABASE: join(scratch, 'database.sqlite'),
    LARAVEL_STORAGE_PATH: join(scratch, 'storage'),
    APP_SERVICES_CACHE: join(scratch, 'services.php'),
    APP_PACKAGES_CACHE: join(scratch, 'packages.php'),
    LOG_CHANNEL: 'stderr',
    NODE_MODULES_DIR: resolve('node_modules'),
    PHP_CLI_SERVER_WORKERS: '4',
    // As Laravel's own phpunit.xml: cheap password hashes for the seeded users and the logins.
    BCRYPT_ROUNDS: '4',
  };
  assert.match(await artisan('migrate', '--seed', '--force'), /Database seeding completed/);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = new ServerProcess('php', ['artisan', 'serve', '--host=127.0.0.1', `--port=${port}`], { cwd: APP_DIR, env });
  await server.answering(`${base}/login`);
  await launching;
});

after(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
  await gw?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** A person in a browser of their own, signed in through the login form, on the room page with every subscription made. */
async function signIn(browser: TestBrowser, email: string): Promise<Page> {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('pageerror', (e) => console.error(`${email}: ${e.message}`));
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'password');
  await Promise.all([page.waitForURL(`${base}/`), page.click('form button')]);
  await page.locator('#state', { hasText: 'ready' }).waitFor({ timeout: TIMEOUT }).catch((e: unknown) => {
    throw new Error(`${email} never got ready: ${String(e)}\nserver said:\n${server.output().slice(-3000)}`);
  });
  return page;
}

/** The page's `window.demo` (resources/views/room.blade.php), for code that runs in the page. */
interface DemoWindow {
  demo: { me: { id: number; name: string }; trySubscribe(channel: string): Promise<string> };
  echo: { socketId(): string };
}

const texts = (page: Page, list: string): Promise<string[]> => page.locator(`#${list} li`).allTextContents();
const shows = (page: Page, list: string, text: string): Promise<void> => page.locator(`#${list} li`, { hasText: text }).first().waitFor({ timeout: TIMEOUT });
const members = async (page: Page): Promise<string[]> => (await texts(page, 'members')).sort();

test('two users sign in; presence: here and joining, with the user info routes/channels.php returns', async () => {
  const [aliceBrowser, secondBrowser] = await launching;
  bobBrowser = secondBrowser as TestBrowser;
  alice = await signIn(aliceBrowser as TestBrowser, 'alice@example.com');
  assert.deepEqual(await members(alice), ['Alice']);
  bob = await signIn(bobBrowser, 'bob@example.com');
  // Bob's here() lists both; Alice's joining() adds Bob with his name.
  assert.deepEqual(await members(bob), ['Alice', 'Bob']);
  await shows(alice, 'log', 'Bob joined');
  assert.deepEqual(await members(alice), ['Alice', 'Bob']);
});

test('an event broadcast from an artisan command reaches both pages; one over the size limit fails in Laravel with Pusher\'s wording', async () => {
  const failed = await artisan('demo:announce', 'too big', '--pad=11000').then(
    () => assert.fail('the broadcast should have failed'),
    (e: { code?: number; stdout?: string; stderr?: string }) => e,
  );
  assert.equal(failed.code, 1);
  // Laravel's BroadcastException carries the gateway's answer (the console wraps long lines).
  assert.match(`${failed.stdout ?? ''}${failed.stderr ?? ''}`.replace(/\s+/g, ' '), /Pusher error: \{"error":"The data content of this event exceeds the allowed maximum \(10240 bytes\)\."\}/);
  assert.match(await artisan('demo:announce', 'Deploy at noon'), /Announced/);
  for (const page of [alice, bob]) await shows(page, 'announcements', 'Deploy at noon');
  // Only that one: the refused event was never delivered.
  for (const page of [alice, bob]) assert.deepEqual(await texts(page, 'announcements'), ['Deploy at noon']);
});

test('/broadcasting/auth signs the private channel for its owner and refuses the other user', async () => {
  const ids = { alice: await alice.evaluate(() => (window as unknown as DemoWindow).demo.me.id), bob: await bob.evaluate(() => (window as unknown as DemoWindow).demo.me.id) };
  assert.notEqual(ids.alice, ids.bob);
  // Echo asks Laravel for Bob's channel on Alice's page: refused.
  assert.equal(await alice.evaluate((id) => (window as unknown as DemoWindow).demo.trySubscribe(`App.Models.User.${id}`), ids.bob), 'refused (403)');
  // The endpoint itself, with Alice's session: her channel is signed with the app secret, Bob's is 403.
  const ask = (channel: string) =>
    alice.evaluate(async (channel) => {
      const w = window as unknown as DemoWindow;
      const res = await fetch('/broadcasting/auth', {
        method: 'POST',
        headers: { 'X-CSRF-TOKEN': (document.querySelector('meta[name="csrf-token"]') as HTMLMetaElement).content, Accept: 'application/json' },
        body: new URLSearchParams({ socket_id: w.echo.socketId(), channel_name: channel }),
      });
      return { status: res.status, body: res.ok ? ((await res.json()) as { auth: string }) : undefined, socketId: w.echo.socketId() };
    }, channel);
  const own = await ask(`private-App.Models.User.${ids.alice}`);
  assert.equal(own.status, 200);
  const expected = createHmac('sha256', 'app-secret').update(`${own.socketId}:private-App.Models.User.${ids.alice}`).digest('hex');
  assert.equal(own.body?.auth, `app-key:${expected}`);
  assert.equal((await ask(`private-App.Models.User.${ids.bob}`)).status, 403);
  // Bob's own channel is his: his page subscribed to it before it said "ready".
  assert.ok((await texts(bob, 'log')).includes('subscribed to own channel'));
});

test('a broadcast Notification reaches private-App.Models.User.{id} of its user only', async () => {
  assert.match(await artisan('demo:notify', 'bob@example.com', 'B-1'), /Notified Bob/);
  await shows(bob, 'notifications', 'Order B-1 has shipped');
  assert.equal(await bob.locator('#notifications li').first().getAttribute('data-type'), 'App\\Notifications\\OrderShipped');
  // Published after B-1, on Alice's channel: her page shows A-1 alone, so B-1 went to Bob's channel only.
  assert.match(await artisan('demo:notify', 'alice@example.com', 'A-1'), /Notified Alice/);
  await shows(alice, 'notifications', 'Order A-1 has shipped');
  assert.deepEqual(await texts(alice, 'notifications'), ['Order A-1 has shipped']);
});

test('whispers (client events) go from page to page, not back to the sender', async () => {
  await alice.fill('#say input', 'h');
  await bob.locator('#typing', { hasText: 'Alice is typing' }).waitFor({ timeout: TIMEOUT });
  await bob.fill('#say input', 'h');
  await alice.locator('#typing', { hasText: 'Bob is typing' }).waitFor({ timeout: TIMEOUT });
  assert.ok(!(await texts(alice, 'log')).includes('whisper from Alice'));
  assert.ok(!(await texts(bob, 'log')).includes('whisper from Bob'));
  await alice.fill('#say input', '');
  await bob.fill('#say input', '');
});

test('broadcast(...)->toOthers(): the X-Socket-ID header leaves the sender\'s own socket out', async () => {
  await alice.fill('#say input', 'hello from Alice');
  await alice.press('#say input', 'Enter');
  await shows(bob, 'messages', 'Alice: hello from Alice');
  await shows(alice, 'log', 'sent: hello from Alice');
  await bob.fill('#say input', 'hello back');
  await bob.press('#say input', 'Enter');
  await shows(alice, 'messages', 'Bob: hello back');
  // An announcement published after both: each page got everything before it that was meant for it.
  await artisan('demo:announce', 'after the chat');
  for (const page of [alice, bob]) await shows(page, 'announcements', 'after the chat');
  assert.deepEqual(await texts(alice, 'messages'), ['Bob: hello back']);
  assert.deepEqual(await texts(bob, 'messages'), ['Alice: hello from Alice']);
});

test('presence: leaving, with the user info, when Bob closes his browser', async () => {
  await bobBrowser.close();
  await shows(alice, 'log', 'Bob left');
  assert.deepEqual(await members(alice), ['Alice']);
});
