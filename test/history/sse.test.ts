import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';
import type { CoreObserver } from '../../src/core/observer.js';
import { SseClient } from './sse-client.js';

const HISTORY = [
  { pattern: 'feed-*', maxEvents: 100, ttlSeconds: 300 },
  { pattern: '__proto__', maxEvents: 100, ttlSeconds: 300 },
];

/** What a PHP backend computes: key:hex(HMAC-SHA256(secret, "<channels>:<expires>")). */
function token(channels: string, expires: number, secret = 'app-secret'): string {
  return `app-key:${createHmac('sha256', secret).update(`${channels}:${expires}`).digest('hex')}`;
}
const sse = (channels: string, extra = '') => `/sse/app-key?channels=${encodeURIComponent(channels)}${extra}`;
const publish = (port: number, channel: string, n: number) => api(port, 'POST', '/apps/app-id/events', { name: 'tick', channel, data: String(n) });
const decodeId = (id: string | undefined) => JSON.parse(Buffer.from(String(id), 'base64url').toString()) as Record<string, string>;

describe('GET /sse/{key}', () => {
  let gw: TestGateway;
  const closedCodes: number[] = [];
  const closeWaiters: Array<(code: number) => void> = [];
  const observer: CoreObserver = {
    connectionClosed: (e) => {
      closedCodes.push(e.code);
      for (const w of closeWaiters.splice(0)) w(e.code);
    },
  };

  before(async () => {
    gw = await startGateway(
      { apps: [testApp({ history: HISTORY }), { id: 'strict', key: 'strict-key', secret: 's', allowedOrigins: ['https://ok.example'] }], activityTimeoutSeconds: 1, pongTimeoutSeconds: 1, sse: { heartbeatSeconds: 0.3 }, maxBufferedBytes: 4096 },
      { observers: [observer] },
    );
  });
  after(() => gw.stop());

  test('public channels: events as default messages, positions in the id, resume from Last-Event-ID with nothing lost', async () => {
    const first = await SseClient.open(gw.port, sse('feed-s1,plain-s1'));
    assert.equal(first.res.statusCode, 200);
    assert.match(String(first.res.headers['content-type']), /^text\/event-stream/);
    await first.next((e) => e.event === 'pusher:subscription_succeeded' && e.data.includes('plain-s1'));
    const tip = await first.next('switchboard:resume');
    assert.deepEqual({ ...JSON.parse(tip.data), position: undefined }, { channel: 'feed-s1', recovered: true, position: undefined });
    assert.ok(decodeId(tip.id)['feed-s1'], 'the tip is in the id before any event');
    await publish(gw.port, 'feed-s1', 1);
    await publish(gw.port, 'plain-s1', 1);
    await first.next((e) => e.event === 'message' && e.data.includes('plain-s1'));
    const [a, b] = first.messages();
    assert.deepEqual([a?.channel, a?.event, a?.data], ['feed-s1', 'tick', '1']);
    assert.equal(b?.position, undefined);
    assert.equal(first.events.filter((e) => e.event === 'message' && e.id === undefined).length, 1, 'no id on channels without history');
    const lastEventId = first.lastEventId as string;
    assert.equal(decodeId(lastEventId)['feed-s1'], a?.position);
    first.close();
    await new Promise<number>((resolve) => closeWaiters.push(resolve));

    for (let i = 2; i <= 30; i++) await publish(gw.port, 'feed-s1', i);
    const again = await SseClient.open(gw.port, sse('feed-s1,plain-s1'), { 'last-event-id': lastEventId });
    const resumed = await again.next('switchboard:resume');
    assert.equal(JSON.parse(resumed.data).recovered, true);
    assert.deepEqual(again.messages().map((m) => m.data), Array.from({ length: 29 }, (_, i) => String(i + 2)));
    assert.ok(again.events.findIndex((e) => e.event === 'pusher:subscription_succeeded') < again.events.findIndex((e) => e.event === 'message'));
    assert.match(String(decodeId(again.lastEventId)['feed-s1']), /:30$/, 'tip 0, then offsets 1..30');
    again.close();
  });

  test("answers core's pings itself and sends heartbeats: a silent page stays connected", async () => {
    const client = await SseClient.open(gw.port, sse('plain-ping'));
    await client.next('pusher:subscription_succeeded');
    const closedBefore = closedCodes.length;
    // activityTimeout 1 s and pongTimeout 1 s: core pings several times over these heartbeats.
    for (let i = 0; i < 12; i++) await client.nextComment();
    assert.equal(closedCodes.length, closedBefore, 'not closed for a missing pong');
    await publish(gw.port, 'plain-ping', 7);
    assert.equal(JSON.parse((await client.next('message')).data).data, '7');
    client.close();
  });

  test('private channels need a token the application signed for exactly these channels', async () => {
    const channels = 'private-orders,feed-s2';
    const expires = Math.floor(Date.now() / 1000) + 600;
    const ok = await SseClient.open(gw.port, sse(channels, `&expires=${expires}&token=${encodeURIComponent(token(channels, expires))}`));
    assert.equal(ok.res.statusCode, 200);
    await ok.next((e) => e.event === 'pusher:subscription_succeeded' && e.data.includes('private-orders'));
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'paid', channel: 'private-orders', data: '{"id":7}' });
    assert.equal(JSON.parse((await ok.next('message')).data).event, 'paid');
    ok.close();

    const refusals: Array<[string, RegExp]> = [
      [sse(channels), /need token/],
      [sse(channels, `&expires=${expires}&token=${encodeURIComponent(token(channels, expires, 'wrong'))}`), /invalid token/],
      [sse(`${channels},private-more`, `&expires=${expires}&token=${encodeURIComponent(token(channels, expires))}`), /invalid token/],
      [sse(channels, `&expires=${expires - 1200}&token=${encodeURIComponent(token(channels, expires - 1200))}`), /expired/],
      [sse(channels, `&expires=soon&token=${encodeURIComponent(token(channels, expires))}`), /expires/],
    ];
    for (const [path, why] of refusals) {
      const res = await SseClient.refused(gw.port, path);
      assert.equal(res.status, 401, path);
      assert.match(String(res.body.error), why);
      assert.doesNotMatch(JSON.stringify(res.body), /app-secret/);
    }
  });

  test('bad requests get a status and a JSON error, never a stream', async () => {
    const cases: Array<[string, number, RegExp, Record<string, string>?]> = [
      ['/sse/app-key', 400, /channels is required/],
      [sse('presence-room'), 400, /presence channels are not available/],
      [sse('private-encrypted-x'), 400, /encrypted channels are not available/],
      [sse('bad channel!'), 400, /invalid channel/],
      [sse(Array.from({ length: 21 }, (_, i) => `c${i}`).join(',')), 400, /at most 20 channels/],
      ['/sse/nope?channels=a', 404, /does not exist/],
      ['/sse/strict-key?channels=a', 403, /origin not allowed/, { origin: 'https://evil.example' }],
      // Without an Origin only a browser's own same-origin mark admits (a cross-site page always sends Origin).
      ['/sse/strict-key?channels=a', 403, /origin not allowed/],
      ['/sse/strict-key?channels=a', 403, /origin not allowed/, { 'sec-fetch-site': 'cross-site' }],
      ['/sse/strict-key?channels=a', 403, /origin not allowed/, { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }],
    ];
    for (const [path, status, why, headers] of cases) {
      const res = await SseClient.refused(gw.port, path, headers);
      assert.equal(res.status, status, path);
      assert.match(String(res.body.error), why, path);
    }
    const allowed = await SseClient.open(gw.port, '/sse/strict-key?channels=a', { origin: 'https://ok.example' });
    assert.equal(allowed.res.statusCode, 200);
    assert.equal(allowed.res.headers['access-control-allow-origin'], 'https://ok.example');
    allowed.close();
    // A page served from the gateway's own origin (say behind the same reverse proxy): its
    // EventSource sends no Origin, only Sec-Fetch-Site.
    const sameOrigin = await SseClient.open(gw.port, '/sse/strict-key?channels=a', { 'sec-fetch-site': 'same-origin' });
    assert.equal(sameOrigin.res.statusCode, 200);
    sameOrigin.close();
    const post = await fetch(`http://127.0.0.1:${gw.port}${sse('a')}`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  test('malformed, foreign and future Last-Event-IDs: recovered false with the latest position, nothing replayed', async () => {
    await publish(gw.port, 'feed-s3', 1);
    const probe = await SseClient.open(gw.port, sse('feed-s3'));
    const tip = JSON.parse((await probe.next('switchboard:resume')).data).position as string;
    probe.close();
    const epoch = tip.split(':')[0];
    const ids: Array<[string, RegExp]> = [
      ['not-base64-json', /malformed/],
      [Buffer.from(JSON.stringify({ 'feed-s3': 42 })).toString('base64url'), /malformed/],
      [Buffer.from(JSON.stringify({ 'feed-s3': 'elsewhere:1' })).toString('base64url'), /epoch/],
      [Buffer.from(JSON.stringify({ 'feed-s3': `${epoch}:500` })).toString('base64url'), /ahead/],
    ];
    for (const [id, why] of ids) {
      const client = await SseClient.open(gw.port, sse('feed-s3'), { 'last-event-id': id });
      const resume = JSON.parse((await client.next('switchboard:resume')).data) as { recovered: boolean; error: string; position: string };
      assert.equal(resume.recovered, false, id);
      assert.match(resume.error, why);
      assert.equal(resume.position, tip);
      assert.equal(client.messages().length, 0);
      client.close();
    }
  });

  test('a channel named __proto__ that a Last-Event-ID does not name starts from latest, not as malformed', async () => {
    const probe = await SseClient.open(gw.port, sse('feed-s5'));
    const lastEventId = (await probe.next('switchboard:resume')).id as string;
    probe.close();
    const client = await SseClient.open(gw.port, sse('feed-s5,__proto__'), { 'last-event-id': lastEventId });
    const resume = await client.next((e) => e.event === 'switchboard:resume' && (JSON.parse(e.data) as { channel: string }).channel === '__proto__');
    const proto = JSON.parse(resume.data) as { recovered: boolean; error?: string };
    assert.deepEqual([proto.recovered, proto.error], [true, undefined], resume.data);
    client.close();
  });

  test('a reader that stops reading is cut off (4100) before its backlog passes the bound', async () => {
    const client = await SseClient.open(gw.port, sse('plain-slow'));
    await client.next('pusher:subscription_succeeded');
    client.res.pause();
    (client.res.socket as { pause(): void }).pause();
    // Other tests' streams may still be closing: wait for the slow-consumer close itself.
    const cut = new Promise<number>((resolve) => {
      const waiter = (c: number): void => void (c === 4100 ? resolve(c) : closeWaiters.push(waiter));
      closeWaiters.push(waiter);
    });
    const big = 'x'.repeat(9000);
    let code: number | undefined;
    void cut.then((c) => (code = c));
    // The kernel's loopback buffers take megabytes before the transport's own backlog grows.
    for (let i = 0; i < 4000 && code === undefined; i++) {
      await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch: Array.from({ length: 10 }, () => ({ name: 'big', channel: 'plain-slow', data: big })) });
    }
    assert.equal(code ?? (await Promise.race([cut, new Promise((resolve) => setTimeout(resolve, 5000, 'not cut'))])), 4100);
    assert.equal(gw.gateway.sse?.streamCount(), 0);
    client.close();
  });
});
