import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromiumForPeople, type TestBrowserForPeople } from '../helpers/chromium.js';
import { channelAuth } from '../helpers/sign.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { TestMariaDB } from '../helpers/mariadb.js';
import { ADMIN, missingPrerequisites, startWordPress, type WordPressSite } from './wordpress/site.js';

const run = promisify(execFile);
const TIMEOUT = 20_000;

let db: TestMariaDB;
let gw: TestGateway;
let site: WordPressSite;
let scratch: string;
let zip: string;
let browser: TestBrowserForPeople;
let admin: Page;
let visitor: Page;
let postId: number;
let readerId: number;

// The pages' state, as the plugin's script leaves it for site code: window.switchboardLive.
interface LiveWindow {
  switchboardLive?: {
    pusher: { channel(name: string): { subscribed: boolean } | undefined; subscribe(name: string): { bind(event: string, cb: (data: unknown) => void): void } };
    config: { userChannel: string };
  };
  sbNoReload?: boolean;
  sbXss?: boolean;
}

before(async () => {
  const missing = missingPrerequisites();
  assert.deepEqual(missing, [], `missing: ${missing.join(', ')} (.ci/run installs them)`);
  scratch = await mkdtemp(join(tmpdir(), 'sb-wp-e2e-'));
  zip = join(scratch, 'switchboard-live.zip');
  // All at once: each waits mostly on its own process.
  await Promise.all([
    (async () => {
      db = await TestMariaDB.start();
      site = await startWordPress(db);
      // The post everyone reads, and a user with the least role (for the private-channel checks).
      [postId, readerId] = JSON.parse(
        await site.php(`echo json_encode([
          wp_insert_post(['post_title' => 'Live thread', 'post_content' => 'Say something.', 'post_status' => 'publish'], true),
          wp_create_user('reader', 'reader-password', 'reader@example.com'),
        ]);`),
      ) as [number, number];
    })(),
    (async () => (gw = await startGateway({ apps: [testApp()] })))(),
    (async () => {
      browser = await launchChromiumForPeople();
      [admin, visitor] = await Promise.all([person(), person()]);
    })(),
    // The release zip, as `npm run wordpress:zip` builds it: pusher-js comes from this repo's node_modules.
    run(process.execPath, ['scripts/wordpress-plugin-zip.mjs', zip]),
  ]);
});

after(async () => {
  // For a failure's post-mortem: what WordPress logged, and the server's access log.
  if (site) {
    await mkdir('test-artifacts', { recursive: true });
    await writeFile('test-artifacts/wordpress-php.log', `${await site.errors()}\n--- php -S ---\n${site.server.output()}`);
  }
  await browser?.close();
  await site?.stop();
  await gw?.stop();
  await db?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A separate person (cookies, session) with their page. */
async function person(): Promise<Page> {
  const context = await browser.person();
  return context.pages()[0] as Page;
}

/** Logs in through the login form, straight on to `path` (no dashboard on the way). */
async function logIn(page: Page, login: string, password: string, path: string): Promise<void> {
  await page.goto(`${site.url}/wp-login.php?redirect_to=${encodeURIComponent(site.url + path)}`);
  await page.fill('#user_login', login);
  await page.fill('#user_pass', password);
  await Promise.all([page.waitForURL(site.url + path, { timeout: TIMEOUT }), page.click('#wp-submit')]);
}

/** Waits until the page's pusher-js connection has the channel subscribed. */
async function subscribed(page: Page, channel: string): Promise<void> {
  await page.waitForFunction((name) => (window as LiveWindow).switchboardLive?.pusher.channel(name)?.subscribed === true, channel, { timeout: TIMEOUT });
}

/** Subscribes from the page and resolves with 'subscribed' or the subscription error's HTTP status. */
function trySubscribe(page: Page, channel: string): Promise<string> {
  return page.evaluate(
    (name) =>
      new Promise<string>((resolve) => {
        const live = (window as LiveWindow).switchboardLive;
        if (!live) return resolve('no switchboardLive on the page');
        const ch = live.pusher.subscribe(name);
        ch.bind('pusher:subscription_succeeded', () => resolve('subscribed'));
        ch.bind('pusher:subscription_error', (error) => resolve(`refused ${(error as { status: number }).status}`));
      }),
    channel,
  );
}

test('an admin uploads the plugin zip in wp-admin, activates it and points it at the gateway', async () => {
  assert.ok(postId > 0 && readerId > 0);
  await logIn(admin, ADMIN.login, ADMIN.password, '/wp-admin/plugin-install.php?tab=upload');
  await admin.setInputFiles('#pluginzip', zip);
  await Promise.all([admin.waitForURL(/update\.php\?action=upload-plugin/, { timeout: TIMEOUT }), admin.click('#install-plugin-submit')]);
  await admin.getByText('Plugin installed successfully.').waitFor({ timeout: TIMEOUT });
  await Promise.all([admin.waitForURL(/plugins\.php/, { timeout: TIMEOUT }), admin.getByRole('link', { name: 'Activate Plugin' }).click()]);
  await admin.getByText('Plugin activated.').waitFor({ timeout: TIMEOUT });
  assert.equal(await admin.locator('tr.active[data-slug="switchboard-live"]').count(), 1, 'listed as active');

  const settings = `${site.url}/wp-admin/options-general.php?page=switchboard-live`;
  await admin.goto(settings);
  assert.match(await admin.locator('#switchboard-live-status').innerText(), /Not configured/);
  // A wrong secret first: the page reports the gateway's refusal of its signed request.
  await admin.fill('#switchboard-live-gateway_url', `http://127.0.0.1:${gw.port}`);
  await admin.fill('#switchboard-live-app_id', 'app-id');
  await admin.fill('#switchboard-live-app_key', 'app-key');
  await admin.fill('#switchboard-live-app_secret', 'not-the-secret');
  await Promise.all([admin.waitForURL(/settings-updated=true/, { timeout: TIMEOUT }), admin.click('#submit')]);
  assert.match(await admin.locator('#switchboard-live-status').innerText(), /refused .*HTTP 401: invalid auth_signature/);
  await admin.fill('#switchboard-live-app_secret', 'app-secret');
  await Promise.all([admin.waitForURL(/settings-updated=true/, { timeout: TIMEOUT }), admin.click('#submit')]);
  assert.match(await admin.locator('#switchboard-live-status').innerText(), /Connected/);
  assert.equal(await admin.locator('#switchboard-live-app_secret').inputValue(), '', 'the secret is never printed back');
  assert.ok(!(await admin.content()).includes('app-secret'));
});

test('a comment held for moderation reaches moderators privately; once approved it appears on the open post without a reload', async () => {
  await visitor.goto(`${site.url}/?p=${postId}`);
  await subscribed(visitor, `wp-post-${postId}`);
  await visitor.evaluate(() => ((window as LiveWindow).sbNoReload = true));

  // The moderator is still in the dashboard (the settings page), subscribed to the private moderation
  // channel through the REST route.
  await subscribed(admin, 'private-wp-moderation');

  // Someone else comments through WordPress's own form handler; a first-time commenter is held.
  const form = new URLSearchParams({
    comment_post_ID: String(postId),
    author: 'Ada',
    email: 'ada@example.com',
    url: '',
    comment: 'Hello <b>live</b> world <img src=x onerror="window.sbXss=true">',
  });
  const posted = await fetch(`${site.url}/wp-comments-post.php`, { method: 'POST', body: form, redirect: 'manual' });
  assert.equal(posted.status, 302, await posted.text());
  // WordPress sends a held comment's author back to the post with `unapproved={id}`.
  const commentId = Number(new URL(posted.headers.get('location') ?? '', site.url).searchParams.get('unapproved'));
  assert.ok(commentId > 0, 'held for moderation');

  const heldNotice = admin.locator('.switchboard-live-notice', { hasText: 'Ada commented on “Live thread”' });
  await heldNotice.waitFor({ timeout: TIMEOUT });
  assert.equal(await visitor.locator('[data-switchboard-live-comments] li').count(), 0, 'nothing public while held');

  // The moderator follows the notice and approves in the dashboard (admin-ajax, as a click does).
  await Promise.all([admin.waitForURL(/comment_status=moderated/, { timeout: TIMEOUT }), heldNotice.getByRole('link', { name: 'Moderate' }).click()]);
  const row = admin.locator(`tr#comment-${commentId}`);
  await row.hover();
  await Promise.all([admin.waitForResponse((r) => r.url().includes('admin-ajax.php') && r.status() === 200, { timeout: TIMEOUT }), row.locator('.approve a').click()]);

  const live = visitor.locator(`[data-switchboard-live-comments] li#comment-${commentId}`);
  await live.waitFor({ timeout: TIMEOUT });
  assert.match(await live.innerText(), /Ada[\s\S]*Hello live world/);
  assert.equal(await live.locator('.switchboard-live-comment-content b').innerText(), 'live', 'the HTML WordPress allows');
  assert.equal(await live.locator('img').count(), 0, 'what kses removed stays removed');

  // A reply from a moderator is approved at once (wp_new_comment from another PHP process): it follows.
  const replyId = Number(
    await site.php(
      `wp_set_current_user(1); $r = wp_new_comment(['comment_post_ID' => ${postId}, 'comment_content' => 'Welcome, Ada.', 'comment_parent' => ${commentId}, 'user_id' => 1, 'comment_author' => 'admin', 'comment_author_email' => 'admin@example.com', 'comment_author_url' => '', 'comment_author_IP' => '127.0.0.1', 'comment_agent' => 'test'], true); echo is_wp_error($r) ? $r->get_error_code() : $r;`,
    ),
  );
  await visitor.locator(`[data-switchboard-live-comments] li#comment-${replyId}`, { hasText: 'Welcome, Ada.' }).waitFor({ timeout: TIMEOUT });
  assert.deepEqual(await visitor.locator('[data-switchboard-live-comments] li').evaluateAll((items) => items.map((li) => li.id)), [`comment-${commentId}`, `comment-${replyId}`], 'each once, in order');
  assert.equal(await visitor.evaluate(() => (window as LiveWindow).sbNoReload), true, 'the page was not reloaded');
  assert.equal(await visitor.evaluate(() => (window as LiveWindow).sbXss), undefined);

  // A published post is announced; a password-protected one, published first, is not.
  const newId = Number(
    await site.php(`wp_insert_post(['post_title' => 'Members only', 'post_content' => 'x', 'post_password' => 'pw', 'post_status' => 'publish']);
      echo wp_insert_post(['post_title' => 'Fresh news', 'post_content' => 'y', 'post_status' => 'publish']);`),
  );
  const announced = visitor.locator('.switchboard-live-notice', { hasText: 'New post: Fresh news' });
  await announced.waitFor({ timeout: TIMEOUT });
  assert.equal(await announced.getByRole('link', { name: 'Fresh news' }).getAttribute('href'), `${site.url}/?p=${newId}`);
  assert.deepEqual(await visitor.locator('.switchboard-live-notice').allInnerTexts(), [await announced.innerText()], 'one notice: the protected post was not announced');
});

/** Logs in through wp-login.php as a browser's form would; resolves with the session's Cookie header. */
async function logInOverHttp(login: string, password: string): Promise<string> {
  const res = await fetch(`${site.url}/wp-login.php`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
    body: new URLSearchParams({ log: login, pwd: password, testcookie: '1', redirect_to: `${site.url}/wp-admin/` }),
  });
  assert.equal(res.status, 302, 'logged in');
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** The configuration the plugin gives a page (what its script reads). */
async function pageConfig(path: string, cookie: string): Promise<{ nonce: string; userChannel: string; authEndpoint: string }> {
  const html = await (await fetch(`${site.url}${path}`, { headers: { cookie } })).text();
  const match = /window\.switchboardLiveConfig = (\{.*\});/.exec(html);
  assert.ok(match?.[1], 'the page carries the plugin configuration');
  return JSON.parse(match[1]) as { nonce: string; userChannel: string; authEndpoint: string };
}

test('private channels: refused to a logged-out visitor, a logged-in user gets their own, moderation only for moderators', async () => {
  // The visitor's page, logged out: pusher-js asks the REST route, which refuses.
  assert.equal(await trySubscribe(visitor, 'private-wp-moderation'), 'refused 401');
  assert.equal(await trySubscribe(visitor, 'private-wp-user-1'), 'refused 401');
  const form = (channel: string): URLSearchParams => new URLSearchParams({ socket_id: '123.456', channel_name: channel });
  const direct = await fetch(`${site.url}/?rest_route=/switchboard-live/v1/auth`, { method: 'POST', body: form('private-wp-moderation') });
  assert.equal(direct.status, 401);
  assert.equal(((await direct.json()) as { code: string }).code, 'rest_forbidden');

  // A subscriber, as pusher-js on their page would ask: session cookie plus the page's REST nonce.
  const cookie = await logInOverHttp('reader', 'reader-password');
  const config = await pageConfig(`/?p=${postId}`, cookie);
  assert.equal(config.userChannel, `private-wp-user-${readerId}`);
  const ask = async (channel: string, nonce = config.nonce): Promise<{ status: number; body: { auth?: string; code?: string } }> => {
    const res = await fetch(config.authEndpoint, { method: 'POST', headers: { cookie, 'x-wp-nonce': nonce }, body: form(channel) });
    return { status: res.status, body: (await res.json()) as { auth?: string; code?: string } };
  };
  assert.deepEqual(await ask(config.userChannel), { status: 200, body: { auth: channelAuth('123.456', config.userChannel) } });
  assert.equal((await ask('private-wp-user-1')).status, 403, "another user's channel");
  assert.equal((await ask('private-wp-moderation')).status, 403, 'a subscriber cannot moderate');
  assert.equal((await ask('presence-wp-room')).status, 403, 'no presence channels');
  assert.equal((await ask(config.userChannel, 'not-a-nonce')).status, 403, 'a forged nonce');
  const badSocket = await fetch(config.authEndpoint, { method: 'POST', headers: { cookie, 'x-wp-nonce': config.nonce }, body: new URLSearchParams({ socket_id: 'x', channel_name: config.userChannel }) });
  assert.equal(badSocket.status, 400);
});

test('the plugin raised no PHP warning, notice or deprecation, and every publish succeeded', async () => {
  await site.php(`error_log('wordpress.test log probe');`);
  const log = await site.errors();
  assert.match(log, /wordpress\.test log probe/, 'the log is the one PHP writes to');
  assert.deepEqual(log.split('\n').filter((line) => /switchboard-live\//.test(line)), []);
  assert.doesNotMatch(log, /switchboard-live: publishing/);
});
