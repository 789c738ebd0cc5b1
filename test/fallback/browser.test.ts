import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { serverSdk } from './helpers.js';

const PUSHER_WEB = readFileSync(join(process.cwd(), 'node_modules/pusher-js/dist/web/pusher.js'));

/**
 * The page removes WebSocket before pusher-js loads, as a browser behind a WebSocket-blocking proxy
 * effectively is, and configures nothing but hosts: falling back is pusher-js's own decision.
 */
function page(gatewayPort: number): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Switchboard fallback</title>
<script>delete window.WebSocket; delete window.MozWebSocket;</script>
<script src="/pusher.js"></script>
<style>body{font:16px sans-serif;margin:2em} b{font-family:monospace}</style>
</head><body>
<h1>Switchboard HTTP fallback</h1>
<p>WebSocket available: <b id="ws"></b></p>
<p>State: <b id="state">starting</b> — transport: <b id="transport">?</b></p>
<p>Last event: <b id="event">none</b></p>
<p>Error: <b id="error">none</b></p>
<script>
  document.getElementById('ws').textContent = String('WebSocket' in window);
  const pusher = new Pusher('app-key', {
    cluster: 'mt1', forceTLS: false, disableStats: true,
    wsHost: '127.0.0.1', wsPort: ${gatewayPort},
    httpHost: '127.0.0.1', httpPort: ${gatewayPort},
  });
  pusher.connection.bind('state_change', ({ current }) => {
    document.getElementById('state').textContent = current;
    const t = pusher.connection.connection && pusher.connection.connection.transport;
    document.getElementById('transport').textContent = t ? t.name : '?';
  });
  pusher.connection.bind('error', (e) => {
    document.getElementById('error').textContent = String(e && e.error && e.error.data ? e.error.data.code : e && e.type);
  });
  pusher.subscribe('browser-news').bind('pusher:subscription_succeeded', () => document.body.dataset.subscribed = 'yes');
  pusher.channel('browser-news').bind('story', (data) => {
    document.getElementById('event').textContent = data.title;
  });
</script></body></html>`;
}

describe('a real browser without WebSocket', () => {
  let gw: TestGateway;
  let site: Server;
  let sitePort = 0;
  let browser: TestBrowser;
  let context: BrowserContext;

  before(async () => {
    let gatewayPort = 0;
    site = createServer((req, res) => {
      if (req.url === '/pusher.js') {
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end(PUSHER_WEB);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(gatewayPort));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    sitePort = (site.address() as AddressInfo).port;
    // The page is another origin than the gateway: every fallback request is a CORS request, and
    // only the page's own origin is allowed.
    gw = await startGateway({ apps: [testApp({ allowedOrigins: [`http://127.0.0.1:${sitePort}`] })] });
    gatewayPort = gw.port;
    browser = await launchChromium();
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await gw?.stop();
    await new Promise<void>((resolve) => site?.close(() => resolve()));
  });

  test('pusher-js falls back to HTTP on its own and shows a published event', { timeout: 110_000 }, async () => {
    const tab = await context.newPage();
    const preflights: string[] = [];
    gw.gateway.server.on('request', (req) => req.method === 'OPTIONS' && preflights.push(req.url ?? ''));
    await tab.goto(`http://127.0.0.1:${sitePort}/`);
    assert.equal(await tab.textContent('#ws'), 'false');
    // pusher-js tries streaming first; without WebSocket it goes straight to the HTTP strategy.
    await tab.waitForFunction(() => document.getElementById('state')?.textContent === 'connected' && document.body.dataset['subscribed'] === 'yes', undefined, { timeout: 60_000 });
    assert.equal(await tab.textContent('#transport'), 'xhr_streaming');
    assert.ok(preflights.length > 0, 'the browser sent CORS preflights and they were answered');

    await serverSdk(gw.port).trigger('browser-news', 'story', { title: 'Hello over HTTP streaming' });
    await tab.waitForFunction(() => document.getElementById('event')?.textContent === 'Hello over HTTP streaming', undefined, { timeout: 30_000 });

    mkdirSync('test-artifacts', { recursive: true });
    await tab.screenshot({ path: 'test-artifacts/fallback-browser.png' });
    const conn = [...gw.gateway.core.allConnections()];
    assert.deepEqual(conn.map((c) => c.link.kind), ['xhr_streaming']);
    await tab.close();
  });

  test('a page from an origin outside the allow-list is refused with 4009 and stops', { timeout: 110_000 }, async () => {
    let requests = 0;
    gw.gateway.server.on('request', () => requests++);
    const tab = await context.newPage();
    // Same server, but `localhost` is a different origin from the allowed `127.0.0.1`.
    await tab.goto(`http://localhost:${sitePort}/`);
    await tab.waitForFunction(() => document.getElementById('error')?.textContent === '4009', undefined, { timeout: 60_000 });
    await tab.waitForFunction(() => document.getElementById('state')?.textContent === 'disconnected', undefined, { timeout: 30_000 });
    const afterRefusal = requests;
    assert.ok(afterRefusal <= 6, `${afterRefusal} requests to be refused`);
    // Refused means refused: pusher-js does not come back (no retry loop). Absence needs a window.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(requests, afterRefusal);
    await tab.close();
  });
});
