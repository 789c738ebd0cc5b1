import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { connected, fallbackClient, nextEvent, serverSdk, sessionOf, transportOf, type FallbackTransport, type PusherClient } from './helpers.js';

const SESSION_TIMEOUT_SECONDS = 2;

for (const transport of ['xhr_streaming', 'xhr_polling'] as const satisfies readonly FallbackTransport[]) {
  describe(`pusher-js over ${transport}`, () => {
    let gw: TestGateway;
    const clients: PusherClient[] = [];
    const client = (opts: Parameters<typeof fallbackClient>[2] = {}): PusherClient => {
      const c = fallbackClient(gw.port, transport, opts);
      clients.push(c);
      return c;
    };

    before(async () => {
      gw = await startGateway({
        apps: [testApp({ clientEvents: true })],
        // A short heartbeat makes the `h` / `[]` exchange happen during these tests; a short expiry
        // keeps disconnect detection quick. Defaults are covered by loop-guard.test.ts.
        httpFallback: { heartbeatSeconds: 1, sessionTimeoutSeconds: SESSION_TIMEOUT_SECONDS },
      });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await gw.stop();
    });

    test('connects over the HTTP transport and core sees it as such', async () => {
      const c = client();
      const socketId = await connected(c);
      assert.match(socketId, /^\d+\.\d+$/);
      assert.equal(transportOf(c), transport);
      const conn = [...gw.gateway.core.allConnections()].find((x) => x.socketId === socketId);
      assert.equal(conn?.link.kind, transport);
    });

    test('public channel: subscribe and receive an event published with the server SDK', async () => {
      const c = client();
      const channel = c.subscribe(`news-${transport}`);
      await nextEvent(channel, 'pusher:subscription_succeeded');
      const got = nextEvent<{ n: number }>(channel, 'story');
      await serverSdk(gw.port).trigger(`news-${transport}`, 'story', { n: 1 });
      assert.deepEqual(await got, { n: 1 });
      // A burst keeps its order across polls and stream writes.
      const seen: number[] = [];
      const all = new Promise<void>((resolve) => channel.bind('burst', (d: { i: number }) => seen.push(d.i) === 20 && resolve()));
      for (let i = 1; i <= 20; i++) await serverSdk(gw.port).trigger(`news-${transport}`, 'burst', { i });
      await all;
      assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
    });

    test('private channel signed by the SDK, and client events between two fallback clients', async () => {
      const a = client();
      const b = client();
      const name = `private-chat-${transport}`;
      const chA = a.subscribe(name);
      const chB = b.subscribe(name);
      await Promise.all([nextEvent(chA, 'pusher:subscription_succeeded'), nextEvent(chB, 'pusher:subscription_succeeded')]);
      const atB = nextEvent<{ text: string }>(chB, 'client-hello');
      let echoed = false;
      chA.bind('client-hello', () => (echoed = true));
      assert.equal(chA.trigger('client-hello', { text: 'hi' }), true);
      assert.deepEqual(await atB, { text: 'hi' });
      // The sender never hears its own client event: ask B to answer and see A gets only that.
      const atA = nextEvent<{ text: string }>(chA, 'client-reply');
      chB.trigger('client-reply', { text: 'yo' });
      assert.deepEqual(await atA, { text: 'yo' });
      assert.equal(echoed, false);
    });

    test('a private subscription signed with the wrong secret is refused', async () => {
      const c = client({ forge: true });
      const forged = c.subscribe(`private-forged-${transport}`);
      const err = await nextEvent<{ status: number }>(forged, 'pusher:subscription_error');
      assert.equal(err.status, 401);
      assert.equal(forged.subscribed, false);
    });

    test('presence join and leave; a vanished client is detected by session expiry', async () => {
      const name = `presence-room-${transport}`;
      const a = client({ user: { id: 'alice', info: { name: 'Alice' } } });
      const b = client({ user: { id: 'bob', info: { name: 'Bob' } } });
      const chA = a.subscribe(name);
      await nextEvent(chA, 'pusher:subscription_succeeded');
      const joined = nextEvent<{ id: string; info: unknown }>(chA, 'pusher:member_added');
      const chB = b.subscribe(name);
      const members = await nextEvent<{ count: number; me: { id: string } }>(chB, 'pusher:subscription_succeeded');
      assert.equal(members.count, 2);
      assert.equal(members.me.id, 'bob');
      assert.deepEqual(await joined, { id: 'bob', info: { name: 'Bob' } });

      const left = nextEvent<{ id: string }>(chA, 'pusher:member_removed', 20_000);
      const before = gw.gateway.core.connectionCount();
      const gone = Date.now();
      // pusher-js drops its request and says nothing: the session ends after the abandon grace,
      // capped here by the 2 s session timeout (departure.test.ts times the default grace).
      b.disconnect();
      assert.deepEqual(await left, { id: 'bob', info: { name: 'Bob' } });
      const waited = Date.now() - gone;
      assert.ok(waited >= SESSION_TIMEOUT_SECONDS * 1000 - 500, `member_removed after ${waited} ms, before the session could expire`);
      assert.equal(gw.gateway.core.connectionCount(), before - 1);
    });

    test('user sign-in works and server-to-user events arrive', async () => {
      const userId = `user-${transport}`;
      const c = client({ user: { id: userId } });
      c.signin();
      await connected(c);
      await c.user.signinDonePromise;
      assert.equal((c.user.user_data as { id: string }).id, userId);
      // pusher-js subscribes to the user's own channel after sign-in; publish once it has.
      const own = c.user.serverToUserChannel;
      if (!own.subscribed) await nextEvent(own, 'pusher:subscription_succeeded');
      const note = nextEvent<{ x: number }>(c.user, 'note');
      await serverSdk(gw.port).sendToUser(userId, 'note', { x: 7 });
      assert.deepEqual(await note, { x: 7 });
    });

    test('heartbeats flow without a request storm', async () => {
      const c = client();
      await connected(c);
      const session = sessionOf(c);
      let requests = 0;
      const count = (req: IncomingMessage): void => void (req.url?.includes(`/${session}/`) && requests++);
      gw.gateway.server.on('request', count);
      const started = Date.now();
      // Four heartbeat periods: each may cost one `[]` (streaming) or one poll, never a loop.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      gw.gateway.server.off('request', count);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(c.connection.state, 'connected');
      assert.ok(requests >= 1, 'the heartbeat never reached the client');
      assert.ok(requests <= 2 + 1.5 * seconds, `${requests} requests in ${seconds.toFixed(1)} s`);
    });
  });
}
