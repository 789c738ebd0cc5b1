import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { connected, nextEvent, pusherClient, serverSdk, type Pusher } from '../helpers/clients.js';

describe('real clients: pusher-js, laravel-echo and the pusher SDK on public channels', () => {
  let gw: TestGateway;
  const clients: Pusher[] = [];
  const client = (): Pusher => {
    const c = pusherClient(gw.port);
    clients.push(c);
    return c;
  };
  before(async () => {
    gw = await startGateway({ apps: [testApp({ maxEventBytes: 10_240 })] });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.stop();
  });

  test('connect, subscribe, trigger', async () => {
    const p = client();
    const socketId = await connected(p);
    assert.match(socketId, /^\d+\.\d+$/);
    const channel = p.subscribe('orders');
    await nextEvent(channel, 'pusher:subscription_succeeded');
    const got = nextEvent<{ id: number }>(channel, 'created');
    const res = await serverSdk(gw.port).trigger('orders', 'created', { id: 7 });
    assert.equal(res.status, 200);
    assert.deepEqual(await got, { id: 7 });
  });

  test('multi-channel trigger and batch', async () => {
    const p = client();
    const a = p.subscribe('multi-a');
    const b = p.subscribe('multi-b');
    await Promise.all([nextEvent(a, 'pusher:subscription_succeeded'), nextEvent(b, 'pusher:subscription_succeeded')]);
    const gotA = nextEvent(a, 'm');
    const gotB = nextEvent(b, 'm');
    await serverSdk(gw.port).trigger(['multi-a', 'multi-b'], 'm', 'both');
    assert.deepEqual(await Promise.all([gotA, gotB]), ['both', 'both']);
    const batchA = nextEvent(a, 'one');
    const batchB = nextEvent(b, 'two');
    const res = await serverSdk(gw.port).triggerBatch([
      { channel: 'multi-a', name: 'one', data: { n: 1 } },
      { channel: 'multi-b', name: 'two', data: { n: 2 } },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(await Promise.all([batchA, batchB]), [{ n: 1 }, { n: 2 }]);
  });

  test('socket_id exclusion with the SDK', async () => {
    const sender = client();
    const other = client();
    const senderId = await connected(sender);
    const s = sender.subscribe('excl');
    const o = other.subscribe('excl');
    await Promise.all([nextEvent(s, 'pusher:subscription_succeeded'), nextEvent(o, 'pusher:subscription_succeeded')]);
    let senderGot = 0;
    s.bind('x', () => senderGot++);
    const otherGot = nextEvent(o, 'x');
    await serverSdk(gw.port).trigger('excl', 'x', 'hello', { socket_id: senderId });
    assert.equal(await otherGot, 'hello');
    // A second, unexcluded event proves the sender's stream is live and the first one was skipped.
    const after = nextEvent(s, 'y');
    await serverSdk(gw.port).trigger('excl', 'y', 'after');
    await after;
    assert.equal(senderGot, 0);
  });

  test('channel info through the SDK', async () => {
    const p = client();
    await nextEvent(p.subscribe('info-chan'), 'pusher:subscription_succeeded');
    const sdk = serverSdk(gw.port);
    const one = await sdk.get({ path: '/channels/info-chan', params: { info: 'subscription_count' } });
    assert.deepEqual(await one.json(), { occupied: true, subscription_count: 1 });
    const list = await sdk.get({ path: '/channels', params: { filter_by_prefix: 'info-' } });
    assert.deepEqual(await list.json(), { channels: { 'info-chan': {} } });
  });

  test('SDK sees real HTTP error statuses', async () => {
    const sdk = serverSdk(gw.port);
    const expectStatus = async (p: Promise<unknown>, status: number) => {
      await assert.rejects(p, (e: { status?: number }) => e.status === status);
    };
    await expectStatus(sdk.trigger('ok', 'big', 'x'.repeat(10_241)), 413);
    // Apps match on Pusher's wording in the body the SDK hands them.
    await assert.rejects(sdk.trigger('ok', 'big', 'x'.repeat(10_241)), (e: { body?: string }) => /exceeds the allowed maximum \(10240 bytes\)/.test(e.body ?? ''));
    await assert.rejects(sdk.triggerBatch(Array.from({ length: 11 }, () => ({ channel: 'ok', name: 'e', data: 'x' }))), (e: { status?: number; body?: string }) => e.status === 400 && /Batch too large/.test(e.body ?? ''));
    await expectStatus(serverSdk(gw.port, { secret: 'wrong' }).trigger('ok', 'e', 'x'), 401);
    await expectStatus(serverSdk(gw.port, { appId: 'nope' }).trigger('ok', 'e', 'x'), 404);
    await expectStatus(sdk.get({ path: '/channels', params: { info: 'user_count' } }), 400);
    await expectStatus(sdk.get({ path: '/channels/public/users' }), 400);
    await expectStatus(sdk.get({ path: '/nothing' }), 404);
  });

  test('laravel-echo (broadcaster pusher, pusher-js as client) receives broadcasts', async () => {
    const p = client();
    const echo = new Echo({ broadcaster: 'pusher', key: 'app-key', client: p } as never);
    const got = new Promise<unknown>((resolve) => echo.channel('laravel').listen('.OrderShipped', resolve));
    await nextEvent(p.channel('laravel'), 'pusher:subscription_succeeded');
    await serverSdk(gw.port).trigger('laravel', 'OrderShipped', { order: 42 });
    assert.deepEqual(await got, { order: 42 });
    // Echo's namespaced listen: App\Events\X
    const namespaced = new Promise<unknown>((resolve) => echo.channel('laravel').listen('Shipped', resolve));
    await serverSdk(gw.port).trigger('laravel', 'App\\Events\\Shipped', { order: 43 });
    assert.deepEqual(await namespaced, { order: 43 });
  });
});

describe('path prefix', () => {
  test('pusher-js with wsPath and the SDK reach a gateway served under a prefix', async () => {
    const gw = await startGateway({ pathPrefix: '/realtime' });
    const { Pusher } = await import('../helpers/clients.js');
    const p = new Pusher('app-key', { cluster: 'mt1', wsHost: '127.0.0.1', wsPort: gw.port, wsPath: '/realtime', forceTLS: false, enabledTransports: ['ws'], disableStats: true });
    try {
      await connected(p);
      const ch = p.subscribe('prefixed');
      await nextEvent(ch, 'pusher:subscription_succeeded');
      const got = nextEvent(ch, 'e');
      const res = await fetch(`http://127.0.0.1:${gw.port}/realtime/health`);
      assert.equal(res.status, 200);
      await serverSdk(gw.port).trigger('prefixed', 'e', 'via prefix');
      assert.equal(await got, 'via prefix');
    } finally {
      p.disconnect();
      await gw.stop();
    }
  });
});
