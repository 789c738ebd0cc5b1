import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';
import { TcpProxy } from './helpers.js';

/** A page with nothing but EventSource: what a site without any library does. */
function page(streamPort: number): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Switchboard SSE</title></head><body>
<p>Received: <b id="count">0</b></p>
<script>
  window.received = [];
  window.resumes = [];
  window.opens = 0;
  const source = new EventSource('http://127.0.0.1:${streamPort}/sse/app-key?channels=feed-browser,plain-browser');
  source.onopen = () => window.opens++;
  source.onmessage = (e) => {
    const { channel, event, data } = JSON.parse(e.data);
    window.received.push(channel + '/' + event + '/' + data);
    document.getElementById('count').textContent = String(window.received.length);
  };
  source.addEventListener('switchboard:resume', (e) => window.resumes.push(JSON.parse(e.data)));
</script></body></html>`;
}

/** A page on the gateway's own origin (as behind one reverse proxy): its EventSource sends no Origin. */
const SAME_ORIGIN_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Switchboard SSE, same origin</title></head><body>
<script>
  window.sameOrigin = [];
  window.subscribed = false;
  const source = new EventSource('/sse/app-key?channels=same-origin-feed');
  source.addEventListener('pusher:subscription_succeeded', () => (window.subscribed = true));
  source.onmessage = (e) => window.sameOrigin.push(JSON.parse(e.data).data);
</script></body></html>`;

/** Serves SAME_ORIGIN_PAGE at / and passes everything else through to the gateway. */
function sameOriginFront(gatewayPort: number): Server {
  return createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(SAME_ORIGIN_PAGE);
      return;
    }
    const upstream = request({ host: '127.0.0.1', port: gatewayPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
}

describe('EventSource in headless Chromium', () => {
  let gw: TestGateway;
  let proxy: TcpProxy;
  let site: Server;
  let front: Server | undefined;
  const sseRequestHeaders: Array<{ origin: string | undefined; fetchSite: string | undefined }> = [];
  let browser: TestBrowser;
  let context: BrowserContext;
  let tab: Page;
  const lastEventIds: string[] = [];

  before(async () => {
    let proxyPort = 0;
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(proxyPort));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const sitePort = (site.address() as AddressInfo).port;
    // Another origin than the gateway's: EventSource makes CORS requests, and only this origin is allowed.
    gw = await startGateway({ apps: [testApp({ allowedOrigins: [`http://127.0.0.1:${sitePort}`], history: [{ pattern: 'feed-*', maxEvents: 100, ttlSeconds: 300 }] })] });
    gw.gateway.server.on('request', (req) => {
      const id = req.headers['last-event-id'];
      if (typeof id === 'string') lastEventIds.push(id);
      if (req.url?.startsWith('/sse/')) sseRequestHeaders.push({ origin: req.headers.origin, fetchSite: req.headers['sec-fetch-site'] as string | undefined });
    });
    proxy = await TcpProxy.start(gw.port);
    proxyPort = proxy.port;
    browser = await launchChromium();
    context = browser.context;
    tab = await context.newPage();
    await tab.goto(`http://127.0.0.1:${sitePort}/`);
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    if (front) await new Promise<void>((resolve) => front?.close(() => resolve()));
    await gw?.stop();
    await new Promise<void>((resolve) => site?.close(() => resolve()));
  });

  const publish = async (channel: string, from: number, to: number): Promise<void> => {
    for (let i = from; i <= to; i++) assert.equal((await api(gw.port, 'POST', '/apps/app-id/events', { name: 'tick', channel, data: String(i) })).status, 200);
  };

  test('receives, reconnects with Last-Event-ID after the server drops the stream, and loses nothing', { timeout: 110_000 }, async () => {
    await tab.waitForFunction(() => (window as unknown as { resumes: unknown[] }).resumes.length === 1, undefined, { timeout: 60_000 });
    await publish('feed-browser', 1, 10);
    await publish('plain-browser', 1, 1);
    await tab.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length === 11, undefined, { timeout: 30_000 });

    // The server drops the stream (its TCP socket, no goodbye); the browser's reconnect waits at the
    // proxy while 30 more events are published, so they can only come back through Last-Event-ID.
    proxy.hold();
    const links = [...gw.gateway.core.allConnections()].filter((c) => c.link.kind === 'sse');
    assert.equal(links.length, 1);
    (links[0]?.link as unknown as { res: { socket: Socket } }).res.socket.destroy();
    await publish('feed-browser', 11, 40);
    proxy.release();

    await tab.waitForFunction(() => (window as unknown as { resumes: unknown[] }).resumes.length === 2, undefined, { timeout: 60_000 });
    await publish('feed-browser', 41, 41);
    await tab.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length === 42, undefined, { timeout: 30_000 });
    const { received, resumes, opens } = await tab.evaluate(() => {
      const w = window as unknown as { received: string[]; resumes: Array<{ recovered: boolean }>; opens: number };
      return { received: w.received, resumes: w.resumes, opens: w.opens };
    });
    const feed = received.filter((r) => r.startsWith('feed-browser/'));
    assert.deepEqual(feed, Array.from({ length: 41 }, (_, i) => `feed-browser/tick/${i + 1}`), 'all 41, once, in order');
    assert.deepEqual(received.filter((r) => r.startsWith('plain-browser/')), ['plain-browser/tick/1']);
    assert.equal(resumes[1]?.recovered, true);
    assert.equal(opens, 2);
    assert.equal(lastEventIds.length, 1, 'the reconnect carried Last-Event-ID');
    const map = JSON.parse(Buffer.from(lastEventIds[0] as string, 'base64url').toString()) as Record<string, string>;
    assert.match(String(map['feed-browser']), /:10$/);
  });

  test('a page on the gateway\'s own origin connects although that origin is not on the allow-list', { timeout: 60_000 }, async () => {
    // Same-origin EventSource requests carry no Origin header, so the allow-list cannot judge them;
    // the browser's Sec-Fetch-Site: same-origin is what admits them. Cross-site pages always send Origin.
    front = sameOriginFront(gw.port);
    await new Promise<void>((resolve) => front?.listen(0, '127.0.0.1', resolve));
    const frontPort = (front.address() as AddressInfo).port;
    const sameOriginTab = await context.newPage();
    sseRequestHeaders.length = 0;
    await sameOriginTab.goto(`http://127.0.0.1:${frontPort}/`);
    await sameOriginTab.waitForFunction(() => (window as unknown as { subscribed: boolean }).subscribed, undefined, { timeout: 30_000 }).catch(() => {
      assert.fail(`the same-origin stream did not subscribe; the gateway saw ${JSON.stringify(sseRequestHeaders)}`);
    });
    await publish('same-origin-feed', 7, 7);
    await sameOriginTab.waitForFunction(() => (window as unknown as { sameOrigin: string[] }).sameOrigin.length === 1, undefined, { timeout: 30_000 });
    assert.deepEqual(await sameOriginTab.evaluate(() => (window as unknown as { sameOrigin: string[] }).sameOrigin), ['7']);
    assert.deepEqual(sseRequestHeaders[0], { origin: undefined, fetchSite: 'same-origin' });
    await sameOriginTab.close();
  });
});
