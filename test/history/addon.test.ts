import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { connected, nextEvent, pusherClient, type Pusher } from '../helpers/clients.js';
import { api } from '../helpers/sign.js';
import { TcpProxy, until, disconnected, killClientSide, killServerSide, loadAddon, nextFrame, nextRecovered, type RecoveredEvent } from './helpers.js';

const HISTORY = [
  { pattern: 'feed-*', maxEvents: 100, ttlSeconds: 300 },
  { pattern: 'short-*', maxEvents: 10, ttlSeconds: 300 },
];
const app = () => testApp({ history: HISTORY, maxBatchSize: 50 });

/** Publishes `from..to` as events named `tick` (data = the number as a string), in order. */
async function publishRange(port: number, channel: string, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    const res = await api(port, 'POST', '/apps/app-id/events', { name: 'tick', channel, data: String(i) });
    assert.equal(res.status, 200);
  }
}

// pusher-js decodes data that parses as JSON: "7" arrives as 7.
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('switchboard-resume with pusher-js', () => {
  let gw: TestGateway;
  let proxy: TcpProxy;
  const clients: Pusher[] = [];
  let attachResume: Awaited<ReturnType<typeof loadAddon>>;

  before(async () => {
    attachResume = await loadAddon();
    gw = await startGateway({ apps: [app()] });
    proxy = await TcpProxy.start(gw.port);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await proxy.close();
    await gw.stop();
  });

  /** A pusher-js client through the proxy, with the add-on, subscribed to `channel` and collecting `tick`s. */
  async function subscribed(channel: string) {
    const client = pusherClient(proxy.port);
    clients.push(client);
    const resume = attachResume(client);
    const ticks: number[] = [];
    const onChannel: RecoveredEvent[] = [];
    const ch = client.subscribe(channel);
    ch.bind('tick', (data: number) => ticks.push(data));
    ch.bind('switchboard:recovered', (e: RecoveredEvent) => onChannel.push(e));
    // The first subscribe asks for the tip: from then on the add-on holds a position.
    await nextFrame(client, 'pusher_internal:resume', channel);
    assert.ok(resume.position(channel), 'a position before any event');
    return { client, resume, ticks, onChannel, socketId: await connected(client) };
  }

  /** Opens a gap (reconnects wait at the proxy), runs `during`, closes the gap, resolves with `recovered`. */
  async function gap(client: Pusher, resume: ReturnType<typeof attachResume>, channel: string, kill: () => void, during: () => Promise<void>): Promise<RecoveredEvent> {
    proxy.hold();
    const gone = disconnected(client);
    kill();
    await gone;
    await during();
    const recovered = nextRecovered(resume, channel);
    proxy.release();
    return recovered;
  }

  test('killed from the server side: the 50 events of the gap arrive once, in order, and recovered is true', async () => {
    const { client, resume, ticks, onChannel, socketId } = await subscribed('feed-server');
    await publishRange(gw.port, 'feed-server', 0, 0);
    await nextEvent(client.channel('feed-server'), 'tick');
    const recovered = await gap(client, resume, 'feed-server', () => killServerSide(gw.gateway, socketId), () => publishRange(gw.port, 'feed-server', 1, 50));
    assert.equal(recovered.recovered, true, recovered.error);
    assert.deepEqual(ticks, range(0, 50));
    assert.match(String(recovered.position), /:51$/);
    assert.deepEqual(onChannel, [recovered], 'also emitted on the channel');
    // Live again, once.
    const live = nextEvent(client.channel('feed-server'), 'tick');
    await publishRange(gw.port, 'feed-server', 51, 51);
    await live;
    assert.deepEqual(ticks, range(0, 51));
  });

  test('dropped on the client network side before any event: the 50 still arrive, from the subscribe-time position', async () => {
    const { client, resume, ticks } = await subscribed('feed-client');
    const recovered = await gap(client, resume, 'feed-client', () => killClientSide(client), () => publishRange(gw.port, 'feed-client', 1, 50));
    assert.equal(recovered.recovered, true, recovered.error);
    assert.deepEqual(ticks, range(1, 50));
  });

  test('a gap larger than history: recovered false, nothing replayed, live events carry on', async () => {
    const { client, resume, ticks } = await subscribed('short-gap');
    await publishRange(gw.port, 'short-gap', 0, 0);
    await nextEvent(client.channel('short-gap'), 'tick');
    const recovered = await gap(client, resume, 'short-gap', () => killClientSide(client), () => publishRange(gw.port, 'short-gap', 1, 25));
    assert.equal(recovered.recovered, false);
    assert.match(String(recovered.error), /no longer in history/);
    assert.match(String(recovered.position), /:26$/, 'the latest position (offset 1 was event 0), to resume from next time');
    assert.deepEqual(ticks, [0], 'no partial replay');
    const live = nextEvent(client.channel('short-gap'), 'tick');
    await publishRange(gw.port, 'short-gap', 26, 26);
    assert.equal(await live, 26);
  });

  test('explicit unsubscribe forgets the position; a later subscribe starts afresh without a recovery', async () => {
    const { client, resume } = await subscribed('feed-unsub');
    client.unsubscribe('feed-unsub');
    assert.equal(resume.position('feed-unsub'), undefined);
    let recoveries = 0;
    resume.bind('recovered', () => recoveries++);
    client.subscribe('feed-unsub');
    await nextFrame(client, 'pusher_internal:resume', 'feed-unsub');
    assert.equal(recoveries, 0);
    assert.ok(resume.position('feed-unsub'));
  });

  test('Laravel Echo on the same pusher instance: listen() sees every event and the recovery', async () => {
    const client = pusherClient(proxy.port);
    clients.push(client);
    const resume = attachResume(client);
    const echo = new Echo({ broadcaster: 'pusher', key: 'app-key', client } as never);
    const ticks: number[] = [];
    const onChannel: RecoveredEvent[] = [];
    echo.channel('feed-echo').listen('.tick', (data: number) => ticks.push(data));
    echo.channel('feed-echo').listen('.switchboard:recovered', (e: RecoveredEvent) => onChannel.push(e));
    await nextFrame(client, 'pusher_internal:resume', 'feed-echo');
    const recovered = await gap(client, resume, 'feed-echo', () => killClientSide(client), () => publishRange(gw.port, 'feed-echo', 1, 50));
    assert.equal(recovered.recovered, true);
    assert.deepEqual(ticks, range(1, 50));
    assert.equal(onChannel.length, 1);
    echo.disconnect();
  });

  test('over the xhr_streaming fallback: positions read and since sent the same way', async () => {
    const client = pusherClient(proxy.port, { transports: ['xhr_streaming'] });
    clients.push(client);
    const resume = attachResume(client);
    const ticks: number[] = [];
    client.subscribe('feed-xhr').bind('tick', (d: number) => ticks.push(d));
    await nextFrame(client, 'pusher_internal:resume', 'feed-xhr');
    const socketId = await connected(client);
    // The session is closed by the server (4200: pusher-js reconnects at once); new connections
    // wait at the proxy, though a kept-alive HTTP connection may slip through: either way nothing may be lost.
    const recovered = nextRecovered(resume, 'feed-xhr');
    proxy.hold();
    const gone = disconnected(client);
    killServerSide(gw.gateway, socketId);
    await gone;
    await publishRange(gw.port, 'feed-xhr', 1, 50);
    proxy.release();
    const r = await recovered;
    await until(client.channel('feed-xhr'), 'tick', () => ticks.length >= 50);
    assert.equal(r.recovered, true, r.error);
    assert.deepEqual(ticks, range(1, 50));
  });

  test('stock pusher-js without the add-on receives history channels normally', async () => {
    const client = pusherClient(gw.port);
    clients.push(client);
    const ch = client.subscribe('feed-stock');
    await nextEvent(ch, 'pusher:subscription_succeeded');
    const got: unknown[] = [];
    const all = new Promise<void>((resolve) => ch.bind('tick', (data: unknown) => got.push(data) === 3 && resolve()));
    await publishRange(gw.port, 'feed-stock', 1, 3);
    await all;
    assert.deepEqual(got, [1, 2, 3], 'data untouched by the position field');
    const json = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'obj', channel: 'feed-stock', data: JSON.stringify({ a: 1 }) });
    assert.equal(json.status, 200);
    assert.deepEqual(await nextEvent(ch, 'obj'), { a: 1 });
  });
});

describe('switchboard-resume across a gateway restart', () => {
  test('a new gateway (new epoch): recovered false, with the new position', async () => {
    const attachResume = await loadAddon();
    let gw = await startGateway({ apps: [app()] });
    const proxy = await TcpProxy.start(gw.port);
    const client = pusherClient(proxy.port);
    try {
      const resume = attachResume(client);
      const ticks: number[] = [];
      client.subscribe('feed-restart').bind('tick', (d: number) => ticks.push(d));
      await nextFrame(client, 'pusher_internal:resume', 'feed-restart');
      await publishRange(gw.port, 'feed-restart', 1, 1);
      await nextEvent(client.channel('feed-restart'), 'tick');
      const before = resume.position('feed-restart');
      proxy.hold();
      const gone = disconnected(client);
      await gw.stop();
      await gone;
      gw = await startGateway({ apps: [app()] });
      proxy.target = gw.port;
      await publishRange(gw.port, 'feed-restart', 2, 4);
      const recovered = nextRecovered(resume, 'feed-restart');
      proxy.release();
      const r = await recovered;
      assert.equal(r.recovered, false);
      assert.match(String(r.error), /epoch/);
      assert.notEqual(r.position?.split(':')[0], before?.split(':')[0], 'the new epoch');
      assert.deepEqual(ticks, [1]);
    } finally {
      client.disconnect();
      await proxy.close();
      await gw.stop();
    }
  });
});
