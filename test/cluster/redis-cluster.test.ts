import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { isGatewayError } from '../../src/protocol/errors.js';
import { RedisKeys } from '../../src/cluster/redis-keys.js';
import { eventually, startNode, type ContractNode } from './contract.js';
import { freshPrefix, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

/** Two nodes sharing one Redis under a fresh prefix, plus a plain client to look at Redis. */
async function twoNodes(): Promise<{ a: ContractNode; b: ContractNode; keys: RedisKeys; peek: Redis; close: () => Promise<void> }> {
  const prefix = freshPrefix();
  const a = await startNode(redisCluster(redis(), prefix));
  const b = await startNode(redisCluster(redis(), prefix));
  const peek = new Redis(redis().url);
  return { a, b, keys: new RedisKeys(prefix), peek, close: async () => void (await Promise.all([a.cluster.close(), b.cluster.close(), peek.quit()])) };
}

async function subscribers(peek: Redis, topic: string): Promise<number> {
  const reply = (await peek.call('pubsub', 'numsub', topic)) as [string, number];
  return Number(reply[1]);
}

describe('RedisCluster across nodes', () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it('subscribes a node to a channel only while it has local interest', async () => {
    const { a, b, keys, peek, close } = await twoNodes();
    closers.push(close);
    const topic = keys.topic('app', 'news');
    assert.equal(await subscribers(peek, topic), 0);
    await a.cluster.broker.addInterest('app', 'news');
    assert.equal(await subscribers(peek, topic), 1, 'listening once addInterest resolves');
    await a.cluster.broker.addInterest('app', 'news');
    a.cluster.broker.removeInterest('app', 'news');
    assert.equal(await subscribers(peek, topic), 1, 'interest is counted');
    await b.cluster.broker.publish({ appId: 'app', channel: 'news', event: 'e', data: 'from-b' });
    await eventually('A receives', () => a.received.length === 1);
    assert.deepEqual(b.received.map((m) => m.data), ['from-b'], 'B delivers its own publish locally, once');
    a.cluster.broker.removeInterest('app', 'news');
    await eventually('node A unsubscribes', async () => (await subscribers(peek, topic)) === 0);
  });

  it('carries socket_id exclusion and user ids across nodes, and drops its own echo', async () => {
    const { a, b, keys, peek, close } = await twoNodes();
    closers.push(close);
    await Promise.all([a.cluster.broker.addInterest('app', 'private-x'), b.cluster.broker.addInterest('app', 'private-x')]);
    assert.equal(await subscribers(peek, keys.topic('app', 'private-x')), 2);
    await a.cluster.broker.publish({ appId: 'app', channel: 'private-x', event: 'client-e', data: { n: 1 }, exceptSocketId: '1.1', userId: 'u' });
    await eventually('B receives', () => b.received.length === 1);
    assert.deepEqual(b.received[0], { appId: 'app', channel: 'private-x', event: 'client-e', data: { n: 1 }, exceptSocketId: '1.1', userId: 'u', position: undefined });
    // B answers; once A has B's answer, A's own echo (published earlier) has come and gone.
    await b.cluster.broker.publish({ appId: 'app', channel: 'private-x', event: 'reply', data: 'r' });
    await eventually('A receives the reply', () => a.received.some((m) => m.event === 'reply'));
    assert.deepEqual(a.received.map((m) => m.event), ['client-e', 'reply']);
  });

  it('sends control messages to every node', async () => {
    const { a, b, close } = await twoNodes();
    closers.push(close);
    await a.cluster.broker.control({ type: 'terminate-user', appId: 'app', userId: 'u1' });
    await eventually('B hears it', () => b.controls.length === 1);
    assert.deepEqual(b.controls, [{ type: 'terminate-user', appId: 'app', userId: 'u1' }]);
    assert.equal(a.controls.length, 1);
  });

  it('reports occupied/vacated and first/last presence connections once across nodes', async () => {
    const { a, b, close } = await twoNodes();
    closers.push(close);
    const ups = await Promise.all([a, b, a, b].map((n) => n.cluster.channels.adjust('app', 'room', +1)));
    assert.deepEqual([...ups].sort(), [1, 2, 3, 4]);
    assert.equal(await b.cluster.channels.count('app', 'room'), 4);
    const joins = await Promise.all(
      [a, b, a, b].map((n, i) => n.cluster.presence.join('app', 'presence-room', `9.${i}`, { userId: 'ann', userInfo: { i } })),
    );
    assert.equal(joins.filter(Boolean).length, 1);
    const leaves = await Promise.all([a, b, a, b].map((n, i) => n.cluster.presence.leave('app', 'presence-room', `9.${i}`, 'ann')));
    assert.equal(leaves.filter(Boolean).length, 1);
    const downs = await Promise.all([a, b, a, b].map((n) => n.cluster.channels.adjust('app', 'room', -1)));
    assert.equal(downs.filter((n) => n === 0).length, 1);
  });

  it('forgets exactly what a dead node held', async () => {
    const { a, b, close } = await twoNodes();
    closers.push(close);
    await a.cluster.presence.join('app', 'presence-p', '1.1', { userId: 'only-a', userInfo: null });
    await a.cluster.presence.join('app', 'presence-p', '1.2', { userId: 'both', userInfo: null });
    await b.cluster.presence.join('app', 'presence-p', '2.1', { userId: 'both', userInfo: null });
    await a.cluster.channels.adjust('app', 'presence-p', +2);
    await b.cluster.channels.adjust('app', 'presence-p', +1);
    await a.cluster.channels.adjust('app', 'a-only', +1);
    assert.deepEqual(await b.cluster.presence.forgetNode(a.cluster.nodeId), [{ appId: 'app', channel: 'presence-p', userId: 'only-a' }]);
    assert.deepEqual(await b.cluster.channels.forgetNode(a.cluster.nodeId), [{ appId: 'app', channel: 'a-only' }]);
    assert.deepEqual([...(await b.cluster.presence.members('app', 'presence-p')).keys()], ['both']);
    assert.equal(await b.cluster.channels.count('app', 'presence-p'), 1);
    assert.deepEqual(await b.cluster.presence.forgetNode(a.cluster.nodeId), [], 'idempotent');
  });

  it('hands a silent node to exactly one survivor', async () => {
    const prefix = freshPrefix();
    const fast = { heartbeatMs: 100, nodeTtlMs: 600 };
    const survivors = await Promise.all([0, 1, 2].map(() => startNode(redisCluster(redis(), prefix, fast))));
    closers.push(async () => void (await Promise.all(survivors.map((s) => s.cluster.close()))));
    // A node that registered and then fell silent, as after kill -9.
    const peek = new Redis(redis().url);
    closers.push(async () => void (await peek.quit()));
    const keys = new RedisKeys(prefix);
    const [seconds] = await peek.time();
    await peek.zadd(keys.nodes, Number(seconds) * 1000, 'ghost');
    await eventually('a survivor claims the ghost', () => survivors.some((s) => s.controls.length > 0), 10_000);
    await eventually('the ghost is gone from the node list', async () => (await peek.zscore(keys.nodes, 'ghost')) === null);
    // A duplicate claim has no event to wait for: give the others several heartbeats to make one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const claims = survivors.flatMap((s) => s.controls);
    assert.deepEqual(claims, [{ type: 'node-gone', nodeId: 'ghost' }]);
  });

  it('keeps local delivery and re-registers its state when Redis restarts', async () => {
    const prefix = freshPrefix();
    const a = await startNode(redisCluster(redis(), prefix));
    const b = await startNode(redisCluster(redis(), prefix));
    closers.push(async () => void (await Promise.all([a.cluster.close(), b.cluster.close()])));
    await a.cluster.broker.addInterest('app', 'live');
    await b.cluster.broker.addInterest('app', 'live');
    await a.cluster.channels.adjust('app', 'live', +1);
    await a.cluster.presence.join('app', 'presence-live', '1.1', { userId: 'ann', userInfo: { n: 1 } });
    assert.equal(a.cluster.healthy(), true);

    await redis().kill();
    await eventually('A notices', () => !a.cluster.healthy());
    await assert.rejects(a.cluster.channels.count('app', 'live'), (e: unknown) => isGatewayError(e) && e.kind.id === 'Unavailable');
    const publishing = a.cluster.broker.publish({ appId: 'app', channel: 'live', event: 'during', data: 'x' });
    await assert.rejects(publishing, (e: unknown) => isGatewayError(e) && e.kind.id === 'Unavailable');
    assert.ok(a.received.some((m) => m.event === 'during'), 'local subscribers are still served');

    await redis().resume();
    await eventually('both healthy again', () => a.cluster.healthy() && b.cluster.healthy(), 20_000);
    assert.equal(await b.cluster.channels.count('app', 'live'), 1, 'counts re-registered');
    assert.deepEqual([...(await b.cluster.presence.members('app', 'presence-live'))], [['ann', { n: 1 }]], 'presence re-registered');
    // Interest is restored too: a publish on B reaches A again. B may have come back first, so retry.
    await eventually('A hears B again', async () => {
      await b.cluster.broker.publish({ appId: 'app', channel: 'live', event: 'after', data: 'y' });
      return a.received.some((m) => m.event === 'after');
    });
  });
});
