import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrokerHandler, ChannelMessage, ControlMessage } from '../../src/cluster/broker.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import type { Position } from '../../src/cluster/history-store.js';

/**
 * The contract every Cluster implementation honours, as seen from one node. Each suite is run
 * against the local and the Redis implementations (see the *.test.ts files beside this one); the
 * multi-node guarantees are in redis-cluster.test.ts and the multi-process tests.
 */

/** A started cluster whose broker hands everything to `received` / `controls`. */
export interface ContractNode {
  readonly cluster: Cluster;
  readonly received: ChannelMessage[];
  readonly controls: ControlMessage[];
}

export type NodeFactory = () => Promise<ContractNode>;

/** Starts a cluster with a recording handler. */
export async function startNode(cluster: Cluster): Promise<ContractNode> {
  const received: ChannelMessage[] = [];
  const controls: ControlMessage[] = [];
  const handler: BrokerHandler = { deliver: (m) => received.push(m), control: (m) => controls.push(m) };
  await cluster.broker.start(handler);
  return { cluster, received, controls };
}

/** Polls a condition until it holds (for effects that have no event to await), or fails. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A fresh app id per test, so tests sharing one store never see each other's state. */
let seq = 0;
const freshApp = (): string => `app-${process.pid}-${++seq}`;

function withNode(name: string, make: NodeFactory, body: (node: () => ContractNode) => void): void {
  describe(name, () => {
    let node: ContractNode | undefined;
    before(async () => {
      node = await make();
    });
    after(async () => {
      await node?.cluster.close();
    });
    body(() => node as ContractNode);
  });
}

export function brokerContract(impl: string, make: NodeFactory): void {
  withNode(`${impl} Broker contract`, make, (node) => {
    it('delivers a publish to this node when it holds interest, with every field intact', async () => {
      const { cluster, received } = node();
      const app = freshApp();
      await cluster.broker.addInterest(app, 'news');
      const message: ChannelMessage = { appId: app, channel: 'news', event: 'story', data: { title: 'hi', n: [1, 2] }, exceptSocketId: '1.2', userId: 'u1', position: '7:3' };
      await cluster.broker.publish(message);
      await eventually('the message arrives', () => received.some((m) => m.appId === app));
      assert.deepEqual(
        received.filter((m) => m.appId === app),
        [message],
      );
      cluster.broker.removeInterest(app, 'news');
    });

    it('keeps one publisher’s order on one channel', async () => {
      const { cluster, received } = node();
      const app = freshApp();
      await cluster.broker.addInterest(app, 'ordered');
      await Promise.all(Array.from({ length: 200 }, (_, i) => cluster.broker.publish({ appId: app, channel: 'ordered', event: 'n', data: String(i) })));
      await eventually('all 200 arrive', () => received.filter((m) => m.appId === app).length >= 200);
      assert.deepEqual(
        received.filter((m) => m.appId === app).map((m) => m.data),
        Array.from({ length: 200 }, (_, i) => String(i)),
      );
      cluster.broker.removeInterest(app, 'ordered');
    });

    it('delivers control messages to this node', async () => {
      const { cluster, controls } = node();
      const app = freshApp();
      await cluster.broker.control({ type: 'terminate-user', appId: app, userId: 'u9' });
      await cluster.broker.control({ type: 'user-status', appId: app, userId: 'u9', online: true });
      await eventually('both arrive', () => controls.filter((c) => 'appId' in c && c.appId === app).length === 2);
      assert.deepEqual(
        controls.filter((c) => 'appId' in c && c.appId === app),
        [
          { type: 'terminate-user', appId: app, userId: 'u9' },
          { type: 'user-status', appId: app, userId: 'u9', online: true },
        ],
      );
    });
  });
}

export function channelRegistryContract(impl: string, make: NodeFactory): void {
  withNode(`${impl} ChannelRegistry contract`, make, (node) => {
    it('resolves adjust with the count after the change; 0 unlists the channel', async () => {
      const { channels } = node().cluster;
      const app = freshApp();
      assert.equal(await channels.adjust(app, 'a', +1), 1);
      assert.equal(await channels.adjust(app, 'a', +1), 2);
      assert.equal(await channels.adjust(app, 'b', +1), 1);
      assert.equal(await channels.count(app, 'a'), 2);
      assert.deepEqual(await channels.list(app, ''), new Map([['a', 2], ['b', 1]]));
      assert.equal(await channels.adjust(app, 'a', -1), 1);
      assert.equal(await channels.adjust(app, 'a', -1), 0);
      assert.equal(await channels.count(app, 'a'), 0);
      assert.deepEqual(await channels.list(app, ''), new Map([['b', 1]]));
    });

    it('never goes below zero: a -1 with nothing to take back changes nothing and says -1', async () => {
      const { channels } = node().cluster;
      const app = freshApp();
      assert.equal(await channels.adjust(app, 'x', -1), -1);
      assert.equal(await channels.count(app, 'x'), 0);
      assert.equal(await channels.adjust(app, 'x', +1), 1);
      assert.equal(await channels.adjust(app, 'x', -1), 0);
      assert.equal(await channels.adjust(app, 'x', -1), -1);
    });

    it('filters the list by prefix and keeps apps apart', async () => {
      const { channels } = node().cluster;
      const app = freshApp();
      const other = freshApp();
      await channels.adjust(app, 'presence-room', +1);
      await channels.adjust(app, 'news', +1);
      await channels.adjust(other, 'presence-room', +1);
      assert.deepEqual(await channels.list(app, 'presence-'), new Map([['presence-room', 1]]));
      assert.equal(await channels.count(other, 'news'), 0);
    });

    it('answers exactly one 1 and exactly one 0 to concurrent adjusts', async () => {
      const { channels } = node().cluster;
      const app = freshApp();
      const ups = await Promise.all(Array.from({ length: 20 }, () => channels.adjust(app, 'busy', +1)));
      assert.deepEqual([...ups].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      const downs = await Promise.all(Array.from({ length: 20 }, () => channels.adjust(app, 'busy', -1)));
      assert.equal(downs.filter((n) => n === 0).length, 1);
    });

    it('forgetting an unknown node vacates nothing', async () => {
      const { channels } = node().cluster;
      const app = freshApp();
      await channels.adjust(app, 'kept', +1);
      assert.deepEqual(await channels.forgetNode('no-such-node'), []);
      assert.equal(await channels.count(app, 'kept'), 1);
    });
  });
}

export function presenceStoreContract(impl: string, make: NodeFactory): void {
  withNode(`${impl} PresenceStore contract`, make, (node) => {
    it('counts a user with two connections as one member; first join and last leave say true', async () => {
      const { presence } = node().cluster;
      const app = freshApp();
      assert.equal(await presence.join(app, 'presence-r', '1.1', { userId: 'ann', userInfo: { name: 'Ann' } }), true);
      assert.equal(await presence.join(app, 'presence-r', '1.2', { userId: 'ann', userInfo: { name: 'Ann' } }), false);
      assert.equal(await presence.memberCount(app, 'presence-r'), 1);
      assert.equal(await presence.leave(app, 'presence-r', '1.1', 'ann'), false);
      assert.equal(await presence.memberCount(app, 'presence-r'), 1);
      assert.equal(await presence.leave(app, 'presence-r', '1.2', 'ann'), true);
      assert.equal(await presence.memberCount(app, 'presence-r'), 0);
      assert.deepEqual(await presence.members(app, 'presence-r'), new Map());
    });

    it('present() answers for the asked ids only', async () => {
      const { presence } = node().cluster;
      const app = freshApp();
      await presence.join(app, 'presence-p', '3.1', { userId: 'on', userInfo: undefined });
      await presence.join(app, 'presence-p', '3.2', { userId: 'also-on', userInfo: undefined });
      assert.deepEqual(await presence.present(app, 'presence-p', ['on', 'off', 'also-on']), new Set(['on', 'also-on']));
      assert.deepEqual(await presence.present(app, 'presence-p', []), new Set());
      assert.deepEqual(await presence.present(freshApp(), 'presence-p', ['on']), new Set(), 'another app');
      await presence.leave(app, 'presence-p', '3.1', 'on');
      assert.deepEqual(await presence.present(app, 'presence-p', ['on', 'also-on']), new Set(['also-on']));
    });

    it('lists members with their user_info in order of first connection', async () => {
      const { presence } = node().cluster;
      const app = freshApp();
      await presence.join(app, 'presence-o', '2.1', { userId: 'zed', userInfo: { n: 1 } });
      await presence.join(app, 'presence-o', '2.2', { userId: 'amy', userInfo: undefined });
      await presence.join(app, 'presence-o', '2.3', { userId: 'bob', userInfo: 'plain' });
      await presence.join(app, 'presence-o', '2.4', { userId: 'zed', userInfo: { n: 2 } });
      assert.deepEqual(
        [...(await presence.members(app, 'presence-o'))],
        [
          ['zed', { n: 2 }],
          ['amy', undefined],
          ['bob', 'plain'],
        ],
      );
    });

    it('ignores a leave of a connection that never joined, and a repeated join of one connection', async () => {
      const { presence } = node().cluster;
      const app = freshApp();
      assert.equal(await presence.leave(app, 'presence-g', '3.1', 'ghost'), false);
      assert.equal(await presence.join(app, 'presence-g', '3.1', { userId: 'u', userInfo: 1 }), true);
      assert.equal(await presence.join(app, 'presence-g', '3.1', { userId: 'u', userInfo: 1 }), false);
      assert.equal(await presence.leave(app, 'presence-g', '3.1', 'u'), true);
      assert.equal(await presence.leave(app, 'presence-g', '3.1', 'u'), false);
    });

    it('answers exactly one true to concurrent first joins and last leaves', async () => {
      const { presence } = node().cluster;
      const app = freshApp();
      const joins = await Promise.all(Array.from({ length: 10 }, (_, i) => presence.join(app, 'presence-c', `4.${i}`, { userId: 'same', userInfo: null })));
      assert.equal(joins.filter(Boolean).length, 1);
      const leaves = await Promise.all(Array.from({ length: 10 }, (_, i) => presence.leave(app, 'presence-c', `4.${i}`, 'same')));
      assert.equal(leaves.filter(Boolean).length, 1);
    });

    it('keeps channels and apps apart, including odd user ids and user channel names', async () => {
      const { presence } = node().cluster;
      const app = `${freshApp()}:with:colons`;
      await presence.join(app, '#server-to-user-a:b', '5.1', { userId: 'ü:"x"', userInfo: { ok: true } });
      await presence.join(app, 'presence-other', '5.2', { userId: 'b', userInfo: null });
      assert.deepEqual([...(await presence.members(app, '#server-to-user-a:b'))], [['ü:"x"', { ok: true }]]);
      assert.equal(await presence.memberCount(`${app}:with`, 'colons:#server-to-user-a:b'), 0);
      assert.equal(await presence.memberCount(app, 'presence-other'), 1);
    });

    it('forgetting an unknown node removes nobody', async () => {
      const { presence } = node().cluster;
      const app = freshApp();
      await presence.join(app, 'presence-k', '6.1', { userId: 'stay', userInfo: null });
      assert.deepEqual(await presence.forgetNode('no-such-node'), []);
      assert.equal(await presence.memberCount(app, 'presence-k'), 1);
    });
  });
}

export function cacheStoreContract(impl: string, make: NodeFactory): void {
  withNode(`${impl} CacheStore contract`, make, (node) => {
    it('returns the most recent event of a channel', async () => {
      const { cache } = node().cluster;
      const app = freshApp();
      assert.equal(await cache.get(app, 'cache-a'), undefined);
      await cache.set(app, 'cache-a', { event: 'one', data: '1' }, 60);
      await cache.set(app, 'cache-a', { event: 'two', data: { x: 2 } }, 60);
      assert.deepEqual(await cache.get(app, 'cache-a'), { event: 'two', data: { x: 2 } });
      assert.equal(await cache.get(app, 'cache-b'), undefined);
    });

    it('never returns an event older than its TTL', async () => {
      const { cache } = node().cluster;
      const app = freshApp();
      await cache.set(app, 'cache-t', { event: 'brief', data: '' }, 0.2);
      assert.deepEqual(await cache.get(app, 'cache-t'), { event: 'brief', data: '' });
      await eventually('the event expires', async () => (await cache.get(app, 'cache-t')) === undefined, 5000);
    });
  });
}

export function historyStoreContract(impl: string, make: NodeFactory): void {
  withNode(`${impl} HistoryStore contract`, make, (node) => {
    const limits = { maxEvents: 5, ttlSeconds: 60 };

    it('assigns strictly increasing offsets in one epoch and replays everything after a position, in order', async () => {
      const { history } = node().cluster;
      const app = freshApp();
      const positions = [];
      for (let i = 1; i <= 4; i++) positions.push(await history.append(app, 'feed', { event: 'e', data: String(i) }, limits));
      assert.deepEqual(positions.map((p) => p.offset), [1, 2, 3, 4]);
      assert.equal(new Set(positions.map((p) => p.epoch)).size, 1);
      const read = await history.since(app, 'feed', positions[1] as Position, 100);
      assert.ok(read.recovered);
      assert.deepEqual(read.events.map((e) => [e.offset, e.data]), [[3, '3'], [4, '4']]);
      assert.deepEqual(await history.latest(app, 'feed'), positions[3]);
    });

    it('never returns a partial gap: trimmed, future and foreign positions are not recovered', async () => {
      const { history } = node().cluster;
      const app = freshApp();
      let first: Position | undefined;
      for (let i = 1; i <= 8; i++) {
        const p = await history.append(app, 'short', { event: 'e', data: i }, limits);
        first ??= p;
      }
      const trimmed = await history.since(app, 'short', first as Position, 100);
      assert.deepEqual([trimmed.recovered, trimmed.recovered ? '' : trimmed.reason], [false, 'trimmed']);
      const epoch = (first as Position).epoch;
      const future = await history.since(app, 'short', { epoch, offset: 99 }, 100);
      assert.deepEqual([future.recovered, future.recovered ? '' : future.reason], [false, 'future']);
      const foreign = await history.since(app, 'short', { epoch: 'someone-else', offset: 1 }, 100);
      assert.deepEqual([foreign.recovered, foreign.recovered ? '' : foreign.reason], [false, 'epoch']);
      const otherApp = await history.since(freshApp(), 'short', { epoch, offset: 7 }, 100);
      assert.equal(otherApp.recovered, false, "another app's position is not resumable");
      const recent = await history.since(app, 'short', { epoch, offset: 4 }, 100);
      assert.ok(recent.recovered);
      assert.deepEqual(recent.events.map((e) => e.data), [5, 6, 7, 8]);
    });

    it('tip starts an epoch for a channel without history, and later events come after it', async () => {
      const { history } = node().cluster;
      const app = freshApp();
      const tip = await history.tip(app, 'fresh', limits);
      assert.equal(tip.offset, 0);
      await history.append(app, 'fresh', { event: 'e', data: 'first' }, limits);
      const read = await history.since(app, 'fresh', tip, 100);
      assert.ok(read.recovered);
      assert.deepEqual(read.events.map((e) => e.data), ['first']);
    });
  });
}
