import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from './contract.js';
import { NodeProcess } from './node-process.js';
import { client, memberCount, nextEvent, sdk, subscribe, type Channel, type Pusher } from './pusher-clients.js';
import { TestRedis } from './redis-server.js';
import { RawClient } from '../helpers/raw-client.js';

const APPS = [{ id: 'app-id', key: 'app-key', secret: 'app-secret', clientEvents: true }];
const NODE_TTL_SECONDS = 2;

async function get(port: number, path: string, params: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await sdk(port).get({ path, params });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The status code of a signed API call that is expected to fail (the SDK throws on non-2xx). */
async function failingStatus(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

async function health(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return ((await res.json()) as { status: string }).status;
}

describe('three gateway processes on one Redis', () => {
  let redis: TestRedis;
  let nodes: NodeProcess[] = [];
  const clients: Pusher[] = [];
  const on = (i: number, user?: string): Pusher => {
    const c = client((nodes[i] as NodeProcess).port, user);
    clients.push(c);
    return c;
  };
  const port = (i: number): number => (nodes[i] as NodeProcess).port;

  before(async () => {
    redis = await TestRedis.start();
    const prefix = `mp${process.pid}:`;
    nodes = [0, 1, 2].map(() => NodeProcess.spawn({ redisUrl: redis.url, prefix, apps: APPS, nodeTtlSeconds: NODE_TTL_SECONDS }));
    await Promise.all(nodes.map((n) => n.listening()));
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  // Shared across the tests below, which run in order.
  let b: Pusher;
  let c: Pusher;
  let presence: Channel[] = [];

  it('fans a publish through node A out to clients on B and C, honouring socket_id', async () => {
    b = on(1, 'u-b');
    c = on(2, 'u-c');
    const [newsB, newsC] = await Promise.all([subscribe(b, 'news'), subscribe(c, 'news')]);
    const seenB: string[] = [];
    const seenC: string[] = [];
    newsB.bind_global((event: string) => seenB.push(event));
    newsC.bind_global((event: string) => seenC.push(event));
    const both = Promise.all([nextEvent(newsB, 'story'), nextEvent(newsC, 'story')]);
    await sdk(port(0)).trigger('news', 'story', { n: 1 });
    assert.deepEqual(await both, [{ n: 1 }, { n: 1 }]);

    const last = nextEvent(newsB, 'last');
    await sdk(port(0)).trigger('news', 'excluded', { n: 2 }, { socket_id: b.connection.socket_id });
    await sdk(port(0)).trigger('news', 'last', { n: 3 });
    await last;
    await eventually('C has both', () => seenC.includes('last'));
    assert.deepEqual(seenB, ['story', 'last']);
    assert.deepEqual(seenC, ['story', 'excluded', 'last']);
  });

  it('agrees on presence members and counts on every node', async () => {
    const a = on(0, 'u-a');
    presence = await Promise.all([subscribe(a, 'presence-room'), subscribe(b, 'presence-room'), subscribe(c, 'presence-room')]);
    await eventually('every client sees three members', () => presence.every((ch) => memberCount(ch) === 3));
    for (const i of [0, 1, 2]) {
      const users = await get(port(i), '/channels/presence-room/users');
      assert.deepEqual((users.body['users'] as Array<{ id: string }>).map((u) => u.id).sort(), ['u-a', 'u-b', 'u-c'], `users on node ${i}`);
      const info = await get(port(i), '/channels/presence-room', { info: 'user_count,subscription_count' });
      assert.deepEqual(info.body, { occupied: true, user_count: 3, subscription_count: 3 }, `channel info on node ${i}`);
      const list = await get(port(i), '/channels', { filter_by_prefix: 'presence-', info: 'user_count' });
      assert.deepEqual(list.body, { channels: { 'presence-room': { user_count: 3 } } }, `channel list on node ${i}`);
      const news = await get(port(i), '/channels/news', { info: 'subscription_count' });
      assert.deepEqual(news.body, { occupied: true, subscription_count: 2 });
    }
  });

  it('carries client events between nodes, not back to the sender', async () => {
    const [onA, onB, onC] = presence as [Channel, Channel, Channel];
    const seenA: string[] = [];
    onA.bind_global((event: string) => seenA.push(event));
    const atB = new Promise<[unknown, unknown]>((resolve) => onB.bind('client-typing', (data: unknown, meta: unknown) => resolve([data, meta])));
    const atC = nextEvent(onC, 'client-typing');
    assert.equal(onA.trigger('client-typing', { text: 'hi' }), true);
    const [data, meta] = await atB;
    assert.deepEqual(data, { text: 'hi' });
    assert.deepEqual(meta, { user_id: 'u-a' });
    assert.deepEqual(await atC, { text: 'hi' });
    assert.ok(!seenA.includes('client-typing'));
  });

  it('sends to a user and terminates their connections from other nodes', async () => {
    const signed = on(1, 'u-signed');
    await nextEvent(signed.connection as unknown as Channel, 'connected');
    signed.signin();
    const user = signed.user as unknown as { serverToUserChannel?: { subscribed: boolean }; bind(e: string, cb: (d: unknown) => void): void };
    await eventually('the user channel is subscribed', () => user.serverToUserChannel?.subscribed === true);
    const note = new Promise((resolve) => user.bind('note', resolve));
    await sdk(port(2)).sendToUser('u-signed', 'note', { x: 1 });
    assert.deepEqual(await note, { x: 1 });

    // Terminate is checked on a bare socket, which shows the close code (pusher-js, closing after a
    // 4009, would hold the test process for 30 s waiting on its close handshake).
    signed.disconnect();
    const { client: raw, socketId } = await RawClient.established(port(2));
    raw.send({ event: 'pusher:signin', data: sdk(port(2)).authenticateUser(socketId, { id: 'u-signed' }) });
    await raw.next('pusher:signin_success');
    await sdk(port(0)).terminateUserConnections('u-signed');
    assert.equal((await raw.closed).code, 4009);
  });

  it('sends member_removed for the members of a node killed with -9, within the TTL', async () => {
    const [onA, onB] = presence as [Channel, Channel];
    const removed = Promise.all([nextEvent<{ id: string }>(onA, 'pusher:member_removed', 20_000), nextEvent<{ id: string }>(onB, 'pusher:member_removed', 20_000)]);
    const started = Date.now();
    // c keeps trying to reconnect to the dead node until after(): disconnecting it now would leave
    // pusher-js waiting 30 s for a close handshake nobody answers.
    await (nodes[2] as NodeProcess).crash();
    const [gotA, gotB] = await removed;
    const elapsed = Date.now() - started;
    if (process.env['TEST_VERBOSE']) console.log(`member_removed ${elapsed} ms after kill -9 (TTL ${NODE_TTL_SECONDS} s)`);
    assert.equal(gotA.id, 'u-c');
    assert.equal(gotB.id, 'u-c');
    // TTL, plus one heartbeat to notice, plus room for a busy machine.
    assert.ok(elapsed < NODE_TTL_SECONDS * 1000 + 4000, `member_removed after ${elapsed} ms`);
    for (const i of [0, 1]) {
      const info = await get(port(i), '/channels/presence-room', { info: 'user_count,subscription_count' });
      assert.deepEqual(info.body, { occupied: true, user_count: 2, subscription_count: 2 }, `node ${i} after the crash`);
      const news = await get(port(i), '/channels/news', { info: 'subscription_count' });
      assert.deepEqual(news.body, { occupied: true, subscription_count: 1 });
    }
  });

  it('keeps serving local subscribers through a Redis restart and resumes cluster service after', async () => {
    const a1 = on(0, 'u-a1');
    const a2 = on(0, 'u-a2');
    const [chat1, chat2] = await Promise.all([subscribe(a1, 'private-chat'), subscribe(a2, 'private-chat')]);
    const newsB = b.channel('news') as Channel;

    await redis.kill();
    await eventually('node A reports degraded', async () => (await health(port(0))) === 'degraded');
    assert.equal(await failingStatus(get(port(0), '/channels')), 503);
    assert.equal(await failingStatus(sdk(port(0)).trigger('news', 'while-down', {})), 503);
    const local = nextEvent(chat2, 'client-local');
    chat1.trigger('client-local', { during: 'outage' });
    assert.deepEqual(await local, { during: 'outage' }, 'a client event still reaches subscribers on the same node');
    const refused = await nextEvent<{ type: string; status: number }>(a1.subscribe('presence-during-outage'), 'pusher:subscription_error');
    assert.deepEqual([refused.type, refused.status], ['Unavailable', 503], 'a presence subscribe that needs Redis is refused, not left pending');
    a1.unsubscribe('presence-during-outage');

    await redis.resume();
    await eventually('both nodes healthy again', async () => (await health(port(0))) === 'ok' && (await health(port(1))) === 'ok', 30_000);
    const users = await get(port(1), '/channels/presence-room/users');
    assert.deepEqual((users.body['users'] as Array<{ id: string }>).map((u) => u.id).sort(), ['u-a', 'u-b'], 'presence re-registered after the restart');
    const back = nextEvent(newsB, 'back');
    await sdk(port(0)).trigger('news', 'back', { ok: true });
    assert.deepEqual(await back, { ok: true });
    const chat = await get(port(1), '/channels/private-chat', { info: 'subscription_count' });
    assert.deepEqual(chat.body, { occupied: true, subscription_count: 2 });
  });

  it('announces again the members of a node frozen past the TTL, once it wakes', async () => {
    const onA = presence[0] as Channel;
    const frozen = (nodes[1] as NodeProcess).child.pid as number;
    const removed = nextEvent<{ id: string }>(onA, 'pusher:member_removed', 20_000);
    process.kill(frozen, 'SIGSTOP');
    try {
      assert.equal((await removed).id, 'u-b', 'declared dead while frozen');
    } finally {
      process.kill(frozen, 'SIGCONT');
    }
    // Waking, the node finds it was declared dead and has its clients reconnect and join again.
    const added = await nextEvent<{ id: string }>(onA, 'pusher:member_added', 20_000);
    assert.equal(added.id, 'u-b');
    assert.equal(memberCount(onA), 2);
    const users = await get(port(0), '/channels/presence-room/users');
    assert.deepEqual((users.body['users'] as Array<{ id: string }>).map((u) => u.id).sort(), ['u-a', 'u-b']);
    await (nodes[1] as NodeProcess).waitFor((l) => l['msg'] === 'the cluster declared this node dead (no heartbeat within the TTL); reconnecting its clients', 'the declared-dead warning');
  });
});
