import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { connected, nextEvent, pusherClient, serverSdk, signedIn, type ClientOptions, type Pusher } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';
import { api, channelAuth, signinAuth } from '../helpers/sign.js';

/** A gateway per suite and pusher-js clients that are disconnected when it ends. */
function withGateway(flags: Record<string, unknown>): { client: (opts?: ClientOptions) => Pusher; port: () => number } {
  let gw: TestGateway;
  const clients: Pusher[] = [];
  before(async () => {
    gw = await startGateway(flags);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.stop();
  });
  return {
    client: (opts: ClientOptions = {}) => {
      const c = pusherClient(gw.port, opts);
      clients.push(c);
      return c;
    },
    port: () => gw.port,
  };
}

describe('private, presence, encrypted and cache channels with real clients', () => {
  const env = withGateway({ apps: [testApp({ clientEvents: true, subscriptionCountEvents: true, maxPresenceMembers: 3, cacheTtlSeconds: 60 })] });
  const client = env.client;
  const gwPort = (): number => env.port();

  test('private channel: authorized via the SDK, events delivered', async () => {
    const p = client();
    const ch = p.subscribe('private-orders');
    await nextEvent(ch, 'pusher:subscription_succeeded');
    const got = nextEvent(ch, 'paid');
    await serverSdk(gwPort()).trigger('private-orders', 'paid', { id: 1 });
    assert.deepEqual(await got, { id: 1 });
  });

  test('private channel with a forged signature: AuthError 401, nothing delivered', async () => {
    const p = client({ forge: true });
    const ch = p.subscribe('private-secret');
    const err = await nextEvent<{ type: string; status: number }>(ch, 'pusher:subscription_error');
    assert.deepEqual([err.type, err.status], ['AuthError', 401]);
    let leaked = 0;
    ch.bind('leak', () => leaked++);
    const watcher = client();
    const w = watcher.subscribe('private-secret');
    await nextEvent(w, 'pusher:subscription_succeeded');
    const seen = nextEvent(w, 'leak');
    await serverSdk(gwPort()).trigger('private-secret', 'leak', 'x');
    await seen;
    assert.equal(leaked, 0);
  });

  test('replayed signatures (another socket, another channel) are refused', async () => {
    const a = await RawClient.established(gwPort());
    const b = await RawClient.established(gwPort());
    const stolen = channelAuth(a.socketId, 'private-x');
    const r1 = await b.client.subscribe('private-x', { auth: stolen });
    assert.equal(r1.event, 'pusher:subscription_error');
    const r2 = await a.client.subscribe('private-y', { auth: stolen });
    assert.equal(r2.event, 'pusher:subscription_error');
    const r3 = await a.client.subscribe('private-x', { auth: stolen });
    assert.equal(r3.event, 'pusher_internal:subscription_succeeded');
    const r4 = await a.client.subscribe('private-z');
    assert.equal((r4.data as { status: number }).status, 401, 'missing auth');
    a.client.close();
    b.client.close();
  });

  test('presence via Laravel Echo: here, joining, leaving; two tabs are one member', async () => {
    const alice = client({ user: { id: 'alice', info: { name: 'Alice' } } });
    const echoA = new Echo({ broadcaster: 'pusher', key: 'app-key', client: alice } as never);
    const here = new Promise<Array<{ name: string }>>((resolve) => echoA.join('room').here(resolve));
    assert.deepEqual(await here, [{ name: 'Alice' }]);
    const joining: unknown[] = [];
    const leaving: unknown[] = [];
    const joined = new Promise<void>((resolve) =>
      echoA.join('room').joining((m: unknown) => {
        joining.push(m);
        resolve();
      }),
    );
    const left = new Promise<void>((resolve) =>
      echoA.join('room').leaving((m: unknown) => {
        leaving.push(m);
        resolve();
      }),
    );
    const bob1 = client({ user: { id: 'bob', info: { name: 'Bob' } } });
    const bob2 = client({ user: { id: 'bob', info: { name: 'Bob' } } });
    const b1 = bob1.subscribe('presence-room');
    const members = await nextEvent<{ count: number }>(b1, 'pusher:subscription_succeeded');
    assert.equal(members.count, 2);
    await joined;
    const b2 = bob2.subscribe('presence-room');
    const members2 = await nextEvent<{ count: number }>(b2, 'pusher:subscription_succeeded');
    assert.equal(members2.count, 2, 'second tab does not add a member');
    // HTTP API agrees.
    const users = await api(gwPort(), 'GET', '/apps/app-id/channels/presence-room/users');
    assert.deepEqual((users.body['users'] as Array<{ id: string }>).map((u) => u.id).sort(), ['alice', 'bob']);
    const info = await api(gwPort(), 'GET', '/apps/app-id/channels/presence-room', undefined, { extra: { info: 'user_count,subscription_count' } });
    assert.deepEqual(info.body, { occupied: true, user_count: 2, subscription_count: 3 });
    const list = await api(gwPort(), 'GET', '/apps/app-id/channels', undefined, { extra: { filter_by_prefix: 'presence-', info: 'user_count' } });
    assert.deepEqual(list.body, { channels: { 'presence-room': { user_count: 2 } } });
    bob1.disconnect();
    // One tab closed: bob is still a member, so no leaving yet. Close the second one.
    const check = await api(gwPort(), 'GET', '/apps/app-id/channels/presence-room/users');
    assert.equal((check.body['users'] as unknown[]).length, 2);
    bob2.disconnect();
    await left;
    assert.deepEqual(joining, [{ name: 'Bob' }]);
    assert.deepEqual(leaving, [{ name: 'Bob' }]);
  });

  test('presence limits: member limit and user_info size', async () => {
    const ids = ['m1', 'm2', 'm3'];
    for (const id of ids) {
      const c = client({ user: { id, info: {} } });
      await nextEvent(c.subscribe('presence-full'), 'pusher:subscription_succeeded');
    }
    const fourth = client({ user: { id: 'm4', info: {} } });
    const err = await nextEvent<{ type: string }>(fourth.subscribe('presence-full'), 'pusher:subscription_error');
    assert.equal(err.type, 'LimitReached');
    const again = client({ user: { id: 'm1', info: {} } });
    await nextEvent(again.subscribe('presence-full'), 'pusher:subscription_succeeded'); // an existing member may add a tab
    const big = client({ user: { id: 'big', info: { blob: 'x'.repeat(1100) } } });
    const tooBig = await nextEvent<{ type: string; status: number }>(big.subscribe('presence-big'), 'pusher:subscription_error');
    assert.equal(tooBig.type, 'LimitReached');
  });

  test('presence channel_data that is not JSON or lacks user_id is refused', async () => {
    const { client: raw, socketId } = await RawClient.established(gwPort());
    for (const channelData of ['not json', '{"user_info":{}}', '[]', '{"user_id":""}']) {
      const res = await raw.subscribe('presence-bad', { auth: channelAuth(socketId, 'presence-bad', channelData), channel_data: channelData });
      assert.equal(res.event, 'pusher:subscription_error', channelData);
    }
    raw.close();
  });

  test('client events: whisper/listenForWhisper via Echo, user_id on presence, never echoed', async () => {
    const a = client({ user: { id: 'wa' } });
    const b = client({ user: { id: 'wb' } });
    const echoA = new Echo({ broadcaster: 'pusher', key: 'app-key', client: a } as never);
    const echoB = new Echo({ broadcaster: 'pusher', key: 'app-key', client: b } as never);
    const heard = new Promise<unknown>((resolve) => echoB.private('chat').listenForWhisper('typing', resolve));
    let echoed = 0;
    echoA.private('chat').listenForWhisper('typing', () => echoed++);
    await Promise.all([nextEvent(a.channel('private-chat'), 'pusher:subscription_succeeded'), nextEvent(b.channel('private-chat'), 'pusher:subscription_succeeded')]);
    echoA.private('chat').whisper('typing', { who: 'a' });
    assert.deepEqual(await heard, { who: 'a' });
    // Presence: the event carries the sender's user_id.
    const pa = a.subscribe('presence-talk');
    const pb = b.subscribe('presence-talk');
    await Promise.all([nextEvent(pa, 'pusher:subscription_succeeded'), nextEvent(pb, 'pusher:subscription_succeeded')]);
    const withMeta = new Promise<{ data: unknown; userId: unknown }>((resolve) => pb.bind('client-hi', (data: unknown, meta: { user_id?: string }) => resolve({ data, userId: meta?.user_id })));
    pa.trigger('client-hi', { x: 1 });
    assert.deepEqual(await withMeta, { data: { x: 1 }, userId: 'wa' });
    assert.equal(echoed, 0);
  });

  test('client events refused on public, encrypted and unsubscribed channels; rate limit 4301', async () => {
    const { client: raw, socketId } = await RawClient.established(gwPort());
    await raw.subscribe('public-c');
    await raw.subscribe('private-encrypted-c', { auth: channelAuth(socketId, 'private-encrypted-c') });
    for (const channel of ['public-c', 'private-encrypted-c', 'private-not-subscribed']) {
      raw.send({ event: 'client-x', channel, data: {} });
      const err = await raw.next('pusher:error');
      assert.match(String((err.data as { message: string }).message), /only allowed|not subscribed/);
    }
    await raw.subscribe('private-rate', { auth: channelAuth(socketId, 'private-rate') });
    const listener = await RawClient.established(gwPort());
    await listener.client.subscribe('private-rate', { auth: channelAuth(listener.socketId, 'private-rate') });
    for (let i = 0; i < 15; i++) raw.send({ event: 'client-flood', channel: 'private-rate', data: { i } });
    const limited = await raw.next((f) => f.event === 'pusher:error' && (f.data as { code: number }).code === 4301);
    assert.ok(limited);
    raw.send({ event: 'pusher:ping', data: {} });
    await raw.next('pusher:pong');
    listener.client.send({ event: 'pusher:ping', data: {} });
    await listener.client.next('pusher:pong');
    const delivered = listener.client.frames.filter((f) => f.event === 'client-flood').length;
    assert.equal(delivered, 10, 'only the first 10 in the second were relayed');
    raw.send({ event: 'client-big', channel: 'private-rate', data: 'x'.repeat(10_300) });
    await raw.next((f) => f.event === 'pusher:error' && /larger/.test(String((f.data as { message: string }).message)));
    raw.close();
    listener.client.close();
  });

  test('encrypted channel end to end: SDK encrypts, pusher-js decrypts, the gateway relays ciphertext', async () => {
    const p = client();
    const ch = p.subscribe('private-encrypted-vault');
    await nextEvent(ch, 'pusher:subscription_succeeded');
    const raw = await RawClient.established(gwPort());
    await raw.client.subscribe('private-encrypted-vault', { auth: channelAuth(raw.socketId, 'private-encrypted-vault') });
    const got = nextEvent(ch, 'secret');
    await serverSdk(gwPort()).trigger('private-encrypted-vault', 'secret', { pin: 1234 });
    assert.deepEqual(await got, { pin: 1234 });
    const seen = await raw.client.next('secret');
    assert.ok(JSON.stringify(seen.data).includes('ciphertext') && !JSON.stringify(seen.data).includes('1234'));
    raw.client.close();
  });

  test('cache channels: cache_miss when empty, last event after subscription_succeeded, info=cache', async () => {
    const first = client();
    const miss = nextEvent(first.subscribe('cache-prices'), 'pusher:cache_miss');
    await miss;
    await serverSdk(gwPort()).trigger('cache-prices', 'price', { eur: 1 });
    await serverSdk(gwPort()).trigger('cache-prices', 'price', { eur: 2 });
    const late = client();
    const cached = await nextEvent(late.subscribe('cache-prices'), 'price');
    assert.deepEqual(cached, { eur: 2 });
    const info = await api(gwPort(), 'GET', '/apps/app-id/channels/cache-prices', undefined, { extra: { info: 'cache' } });
    assert.deepEqual(info.body['cache'], { event: 'price', data: '{"eur":2}' });
    const wrong = await api(gwPort(), 'GET', '/apps/app-id/channels/plain', undefined, { extra: { info: 'cache' } });
    assert.equal(wrong.status, 400);
  });

  test('subscription_count events when the app enables them', async () => {
    const a = client();
    const ch = a.subscribe('counted-room');
    await nextEvent(ch, 'pusher:subscription_succeeded');
    const b = client();
    const counted = new Promise<number>((resolve) => ch.bind('pusher:subscription_count', (d: { subscription_count: number }) => d.subscription_count === 2 && resolve(2)));
    b.subscribe('counted-room');
    assert.equal(await counted, 2);
  });
});

describe('user sign-in', () => {
  const env = withGateway({ apps: [testApp(), testApp({ id: 'strict', key: 'strict-key', requireSignin: true, signinGraceSeconds: 1 })] });
  const client = env.client;
  const gwPort = (): number => env.port();

  test('signin, sendToUser reaches every connection of the user, terminateUserConnections closes them', async () => {
    const tab1 = client({ user: { id: 'u-42' } });
    const tab2 = client({ user: { id: 'u-42' } });
    const stranger = client({ user: { id: 'u-7' } });
    await Promise.all([tab1, tab2, stranger].map(signedIn));
    const got = Promise.all([tab1, tab2].map((c) => new Promise((resolve) => c.user.bind('notice', resolve))));
    let strangerGot = 0;
    stranger.user.bind('notice', () => strangerGot++);
    await serverSdk(gwPort()).sendToUser('u-42', 'notice', { hi: true });
    assert.deepEqual(await got, [{ hi: true }, { hi: true }]);
    const closed = Promise.all([tab1, tab2].map((c) => nextEvent(c.connection, 'state_change')));
    await serverSdk(gwPort()).terminateUserConnections('u-42');
    await closed;
    assert.notEqual(tab1.connection.state, 'connected');
    assert.equal(stranger.connection.state, 'connected');
    assert.equal(strangerGot, 0);
  });

  test("another user's #server-to-user- channel is refused", async () => {
    const { client: raw } = await RawClient.established(gwPort());
    const r = await raw.subscribe('#server-to-user-u-42');
    assert.equal(r.event, 'pusher:subscription_error');
    raw.close();
  });

  test('sign-in with a forged signature or malformed user_data closes 4009', async () => {
    for (const [userData, forge] of [['{"id":"x"}', true], ['not json', false], ['{"id":""}', false], ['{"id":5}', false]] as const) {
      const { client: raw, socketId } = await RawClient.established(gwPort());
      raw.send({ event: 'pusher:signin', data: { auth: signinAuth(socketId, userData, forge ? 'wrong' : 'app-secret'), user_data: userData } });
      assert.equal((await raw.closed).code, 4009, userData);
    }
  });

  test('apps that require sign-in close unsigned connections with 4009 after the grace period', async () => {
    const { client: raw } = await RawClient.established(gwPort(), { key: 'strict-key' });
    const closed = await raw.closed;
    assert.equal(closed.code, 4009);
  });

  test('presence without channel_data uses the signed-in user', async () => {
    const { client: raw, socketId } = await RawClient.established(gwPort());
    const userData = JSON.stringify({ id: 'solo', user_info: { name: 'Solo' } });
    raw.send({ event: 'pusher:signin', data: { auth: signinAuth(socketId, userData), user_data: userData } });
    await raw.next('pusher:signin_success');
    const ok = await raw.subscribe('presence-signed', { auth: channelAuth(socketId, 'presence-signed') });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    assert.deepEqual(ok.data, { presence: { ids: ['solo'], hash: { solo: { name: 'Solo' } }, count: 1 } });
    raw.close();
  });

  test('presence without channel_data holds the signed-in user_info to maxPresenceUserInfoBytes too', async () => {
    const { client: raw, socketId } = await RawClient.established(gwPort());
    // 1,100 bytes of user_info: over the default 1,024 that channel_data is held to.
    const userData = JSON.stringify({ id: 'wordy', user_info: { blob: 'x'.repeat(1100) } });
    raw.send({ event: 'pusher:signin', data: { auth: signinAuth(socketId, userData), user_data: userData } });
    await raw.next('pusher:signin_success');
    const refused = await raw.subscribe('presence-wordy', { auth: channelAuth(socketId, 'presence-wordy') });
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.deepEqual(refused.data, { type: 'LimitReached', error: 'user_info larger than 1024 bytes', status: 413 });
    const members = await api(gwPort(), 'GET', '/apps/app-id/channels/presence-wordy/users');
    assert.deepEqual(members.body, { users: [] }, 'the refused user is no member');
    raw.close();
  });

  test('watchlist: online/offline events for watched users', async () => {
    const watcher = client({ user: { id: 'watcher', watchlist: ['friend'] } });
    await connected(watcher);
    const initial = new Promise<unknown>((resolve) => watcher.user.watchlist.bind('offline', resolve));
    watcher.signin();
    assert.deepEqual(((await initial) as { user_ids: string[] }).user_ids, ['friend']);
    const online = new Promise<unknown>((resolve) => watcher.user.watchlist.bind('online', resolve));
    const friend = client({ user: { id: 'friend' } });
    await connected(friend);
    friend.signin();
    assert.deepEqual(((await online) as { user_ids: string[] }).user_ids, ['friend']);
    const offline = new Promise<unknown>((resolve) => watcher.user.watchlist.bind('offline', resolve));
    friend.disconnect();
    assert.deepEqual(((await offline) as { user_ids: string[] }).user_ids, ['friend']);
  });
});
