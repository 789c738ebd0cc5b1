import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { captureLog } from '../helpers/log-capture.js';
import { api } from '../helpers/sign.js';
import { Q, RawReceive, connected, fallbackClient, nextEvent, poll, send, serverSdk, sessionOf, stateChanges, stream, subscribe, transportOf, type Peer, type PusherClient } from './helpers.js';

/** Linux routes all of 127/8 to the loopback: a request from 127.0.0.2 is another client's. */
const ELSEWHERE = '127.0.0.2';

/**
 * A fallback session id travels in URLs, so knowing it must not make anyone its owner: a session
 * answers only the client that opened it (address and Origin, present or absent).
 */
describe('HTTP fallback sessions belong to their client', () => {
  let gw: TestGateway;
  const out = captureLog('info');
  const clients: PusherClient[] = [];
  const refusals = (): Array<Record<string, unknown>> => out.lines.filter((l) => l['msg'] === 'fallback request refused');

  before(async () => {
    gw = await startGateway({}, { log: out.log });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.stop();
  });

  /** The socket ids of core's connections. */
  const socketIds = (): string[] => [...gw.gateway.core.allConnections()].map((c) => c.socketId);
  const channelsOf = (socketId: string): string[] => [...([...gw.gateway.core.allConnections()].find((c) => c.socketId === socketId)?.channels.keys() ?? [])];

  test('pusher-js on xhr_streaming: another address without Origin can neither send into its session nor take its stream', async () => {
    const victim = fallbackClient(gw.port, 'xhr_streaming');
    clients.push(victim);
    const socketId = await connected(victim);
    const states = stateChanges(victim);
    const news = victim.subscribe('owned-news');
    await nextEvent(news, 'pusher:subscription_succeeded');
    const session = `/pusher/app/app-key/${sessionOf(victim)}`;
    const attacker: Peer = { from: ELSEWHERE };

    const sent = await subscribe(gw.port, session, 'hijacked', attacker);
    assert.equal(sent.status, 403, 'a send from another address is refused');
    assert.match((JSON.parse(sent.text) as { error: string }).error, /another client/);
    const ping = await send(gw.port, session, [{ event: 'pusher:ping', data: {} }], attacker);
    assert.equal(ping.status, 403);

    const stolen = new RawReceive(gw.port, `${session}/xhr_streaming${Q}`, attacker);
    await stolen.ended;
    assert.equal(stolen.status, 403, 'opening the stream from another address is refused');
    assert.deepEqual(stolen.lines, [], 'not a single frame');
    const polled = new RawReceive(gw.port, `${session}/xhr${Q}`, attacker);
    await polled.ended;
    assert.equal(polled.status, 403, 'polling it from another address is refused too');

    assert.deepEqual(channelsOf(socketId), ['owned-news'], 'the refused subscribe never reached core');
    const story = nextEvent<{ n: number }>(news, 'story');
    await serverSdk(gw.port).trigger('owned-news', 'story', { n: 1 });
    assert.deepEqual(await story, { n: 1 });
    assert.equal(victim.connection.socket_id, socketId);
    assert.equal(transportOf(victim), 'xhr_streaming');
    assert.deepEqual(states, [], 'the victim never left the connected state');
    const logged = refusals().filter((l) => l['session'] === `app-key/${sessionOf(victim)}`);
    assert.equal(logged.length, 4, 'each refusal is logged');
    assert.equal(logged[0]?.['reason'], 'request from another address');
    assert.equal(logged[0]?.['address'], ELSEWHERE);
  });

  test('the same address with another Origin, or without the one it opened with, is refused', async () => {
    const owner: Peer = { headers: { origin: 'https://site.example' } };
    const { session, rx, socketId } = await stream(gw.port, owner);
    const attempts: Array<[string, Peer]> = [
      ['no Origin', {}],
      ['another Origin', { headers: { origin: 'https://evil.example' } }],
      ['the Origin from another address', { ...owner, from: ELSEWHERE }],
    ];
    for (const [name, peer] of attempts) {
      assert.equal((await subscribe(gw.port, session, `probe-${name}`, peer)).status, 403, `send with ${name}`);
      const other = new RawReceive(gw.port, `${session}/xhr_streaming${Q}`, peer);
      await other.ended;
      assert.equal(other.status, 403, `stream with ${name}`);
    }
    assert.deepEqual(channelsOf(socketId), []);
    assert.ok(socketIds().includes(socketId));
    // The owner is still served on its stream.
    assert.equal((await subscribe(gw.port, session, 'mine', owner)).status, 204);
    await rx.frame('pusher_internal:subscription_succeeded');
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'story', channel: 'mine', data: '{}' });
    await rx.frame('story');
    const reasons = refusals().filter((l) => l['session'] === session.replace('/pusher/app/', '')).map((l) => l['reason']);
    assert.deepEqual(reasons, [
      'request with another origin',
      'request with another origin',
      'request with another origin',
      'request with another origin',
      'request from another address',
      'request from another address',
    ]);
    rx.abort();
  });

  test('a second stream from the same client gets c[2010] and the first keeps working', async () => {
    const { session, rx, socketId } = await stream(gw.port);
    assert.equal((await subscribe(gw.port, session, 'twice')).status, 204);
    await rx.frame('pusher_internal:subscription_succeeded');
    const second = new RawReceive(gw.port, `${session}/xhr_streaming${Q}`);
    await second.ended;
    assert.equal(second.status, 200);
    assert.deepEqual(second.lines.map((l) => l.type + l.body), ['c[2010,"Another connection still open"]']);
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'after', channel: 'twice', data: '{}' });
    await rx.frame('after');
    assert.ok(socketIds().includes(socketId));
    const logged = refusals().find((l) => l['session'] === session.replace('/pusher/app/', '') && l['code'] === 2010);
    assert.equal(logged?.['reason'], 'another receive request is open');
    rx.abort();
  });

  test('a second held poll gets c[2010] and the held one is still answered', async () => {
    const session = `/pusher/app/app-key/7/${Math.random().toString(32).slice(2, 10).padEnd(8, '0')}`;
    assert.deepEqual(await poll(gw.port, session), ['o']);
    await poll(gw.port, session);
    assert.equal((await subscribe(gw.port, session, 'polled-twice')).status, 204);
    assert.match((await poll(gw.port, session)).join(''), /subscription_succeeded/);
    // Hold a poll, and know the server holds it before the second arrives.
    const seen = new Promise<void>((resolve) => {
      const onRequest = (req: IncomingMessage): void => {
        if (!req.url?.startsWith(`${session}/xhr?`)) return;
        gw.gateway.server.off('request', onRequest);
        resolve();
      };
      gw.gateway.server.on('request', onRequest);
    });
    const held = poll(gw.port, session);
    await seen;
    assert.deepEqual(await poll(gw.port, session), ['c[2010,"Another connection still open"]']);
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'answer', channel: 'polled-twice', data: '{}' });
    assert.match((await held).join(''), /answer/);
  });

  test('pusher-js opening its next stream after 256 KiB keeps its session', async () => {
    const c = fallbackClient(gw.port, 'xhr_streaming');
    clients.push(c);
    const socketId = await connected(c);
    const states = stateChanges(c);
    const channel = c.subscribe('big-news');
    await nextEvent(channel, 'pusher:subscription_succeeded');
    const session = sessionOf(c);
    let streams = 0;
    const count = (req: IncomingMessage): void => void (req.url?.includes(`/${session}/xhr_streaming`) && streams++);
    gw.gateway.server.on('request', count);
    try {
      let received = 0;
      channel.bind('big', () => received++);
      const batch = Array.from({ length: 10 }, () => ({ name: 'big', channel: 'big-news', data: 'x'.repeat(9000) }));
      // 4 × 90 KB passes pusher-js's 256 KiB stream limit once.
      for (let i = 0; i < 4; i++) assert.equal((await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch })).status, 200);
      const last = nextEvent<{ n: number }>(channel, 'last');
      await serverSdk(gw.port).trigger('big-news', 'last', { n: 1 });
      assert.deepEqual(await last, { n: 1 });
      assert.equal(received, 40);
      assert.ok(streams >= 1, 'pusher-js opened a new stream on the session');
    } finally {
      gw.gateway.server.off('request', count);
    }
    assert.equal(c.connection.socket_id, socketId);
    assert.deepEqual(states, []);
    assert.equal(refusals().filter((l) => l['session'] === `app-key/${session}`).length, 0, 'its own new stream is not a second connection');
  });
});

describe('session binding behind a trusted proxy', () => {
  /** The reverse proxy's own address; clients are named by its X-Forwarded-For. */
  const PROXY = '127.0.0.3';
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({ trustedProxies: [PROXY] });
  });
  after(() => gw.stop());

  test('the client is the X-Forwarded-For address when the proxy sends it, and only then', async () => {
    const via = (xff: string): Peer => ({ from: PROXY, headers: { 'x-forwarded-for': xff } });
    const { session, rx, socketId } = await stream(gw.port, via('203.0.113.7'));
    const link = [...gw.gateway.core.allConnections()].find((c) => c.socketId === socketId)?.link;
    assert.equal(link?.remoteAddress, '203.0.113.7', 'the session is bound to the client, not to the proxy');
    const cases: Array<[string, Peer, number]> = [
      ['another client behind the proxy', via('203.0.113.8'), 403],
      ['the proxy itself, without the header', { from: PROXY }, 403],
      ['an untrusted peer claiming the client address', { from: ELSEWHERE, headers: { 'x-forwarded-for': '203.0.113.7' } }, 403],
      ['the client, with a forged hop before it', via('198.51.100.1, 203.0.113.7'), 204],
      ['the client', via('203.0.113.7'), 204],
    ];
    for (const [name, peer, status] of cases) {
      assert.equal((await send(gw.port, session, [{ event: 'pusher:ping', data: {} }], peer)).status, status, name);
    }
    // Exactly the two accepted pings reached the session.
    await rx.frame('pusher:pong');
    await rx.frame('pusher:pong');
    assert.equal((await subscribe(gw.port, session, 'behind-proxy', via('203.0.113.7'))).status, 204);
    await rx.frame('pusher_internal:subscription_succeeded');
    assert.equal(rx.lines.filter((l) => l.type === 'a' && l.body.includes('pusher:pong')).length, 2);
    rx.abort();
  });
});
