import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { connected, nextEvent, pusherClient, type Pusher } from '../helpers/clients.js';
import { api } from '../helpers/sign.js';
import { TestRedis } from '../cluster/redis-server.js';
import { TcpProxy, disconnected, killServerSide, loadAddon, nextFrame, nextRecovered } from './helpers.js';

const app = () => testApp({ history: [{ pattern: 'feed-*', maxEvents: 100, ttlSeconds: 300 }] });

describe('resumable channels across two nodes on Redis', () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  let proxy: TcpProxy;
  let client: Pusher | undefined;

  before(async () => {
    redis = await TestRedis.start();
    const flags = { adapter: 'redis', redis: { url: redis.url, prefix: `hist${process.pid}:` }, apps: [app()] };
    a = await startGateway(flags);
    b = await startGateway(flags);
    proxy = await TcpProxy.start(a.port);
  });
  after(async () => {
    client?.disconnect();
    await proxy.close();
    await a.stop();
    await b.stop();
    await redis.stop();
  });

  test('disconnected from node A, resumed on node B: the 50 events of the gap arrive once, in order', async () => {
    const attachResume = await loadAddon();
    client = pusherClient(proxy.port);
    const resume = attachResume(client);
    const ticks: number[] = [];
    client.subscribe('feed-nodes').bind('tick', (d: number) => ticks.push(d));
    await nextFrame(client, 'pusher_internal:resume', 'feed-nodes');
    const socketId = await connected(client);
    await api(b.port, 'POST', '/apps/app-id/events', { name: 'tick', channel: 'feed-nodes', data: '0' });
    await nextEvent(client.channel('feed-nodes'), 'tick');

    proxy.hold();
    const gone = disconnected(client);
    killServerSide(a.gateway, socketId);
    await gone;
    proxy.target = b.port;
    // Published through both nodes: one Redis stream orders them.
    for (let i = 1; i <= 50; i++) {
      const res = await api(i % 2 ? a.port : b.port, 'POST', '/apps/app-id/events', { name: 'tick', channel: 'feed-nodes', data: String(i) });
      assert.equal(res.status, 200);
    }
    const recovered = nextRecovered(resume, 'feed-nodes');
    proxy.release();
    const r = await recovered;
    assert.equal(r.recovered, true, r.error);
    assert.deepEqual(ticks, Array.from({ length: 51 }, (_, i) => i));
    assert.equal(b.gateway.core.connectionCount(), 1, 'now on node B');

    const history = await api(a.port, 'GET', '/apps/app-id/channels/feed-nodes/history', undefined, { extra: { since: String(r.position).replace(/:\d+$/, ':48'), limit: '10' } });
    assert.equal(history.status, 200);
    assert.deepEqual((history.body['events'] as Array<{ data: string }>).map((e) => e.data), ['48', '49', '50'], 'node A answers from the same stream');
  });
});
