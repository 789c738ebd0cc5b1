import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostCluster } from '../../src/cluster/host-cluster.js';
import { HostHub } from '../../src/cluster/host-hub.js';
import { eventually, startNode, type ContractNode } from './contract.js';
import { portPair } from './host-nodes.js';

/** Several workers on one HostHub, each over its own pipe; `cut(i)` is worker i dying. */
async function host(n: number): Promise<{ hub: HostHub; nodes: ContractNode[]; cut: (i: number) => void }> {
  const hub = new HostHub();
  const pairs = Array.from({ length: n }, () => portPair());
  const nodes: ContractNode[] = [];
  for (const pair of pairs) {
    hub.attach(pair.primary);
    nodes.push(await startNode(new HostCluster(pair.worker)));
  }
  await eventually('every worker said hello', () => hub.nodeIds().length === n);
  return { hub, nodes, cut: (i) => pairs[i]?.cut() };
}

test('a publish on one worker reaches exactly the workers with interest, once each, in order', async () => {
  const { nodes } = await host(3);
  const [a, b, c] = nodes as [ContractNode, ContractNode, ContractNode];
  await b.cluster.broker.addInterest('app', 'news');
  await c.cluster.broker.addInterest('app', 'news');
  await c.cluster.broker.addInterest('app', 'news');
  c.cluster.broker.removeInterest('app', 'news'); // still one interest left on c
  for (let i = 0; i < 50; i++) await a.cluster.broker.publish({ appId: 'app', channel: 'news', event: 'n', data: String(i) });
  await eventually('b and c got all 50', () => b.received.length === 50 && c.received.length === 50);
  assert.equal(a.received.length, 0, 'a holds no interest');
  assert.deepEqual(b.received.map((m) => m.data), Array.from({ length: 50 }, (_, i) => String(i)));
  assert.deepEqual(c.received.map((m) => m.data), b.received.map((m) => m.data));
  await a.cluster.broker.control({ type: 'terminate-user', appId: 'app', userId: 'u' });
  await eventually('every worker got the control message', () => nodes.every((n) => n.controls.length === 1));
});

test('counts and presence are one view across workers; a dead worker is handed to one survivor', async () => {
  const { nodes, cut } = await host(3);
  const [a, b, c] = nodes as [ContractNode, ContractNode, ContractNode];
  assert.equal(await a.cluster.channels.adjust('app', 'presence-room', 1), 1);
  assert.equal(await b.cluster.channels.adjust('app', 'presence-room', 1), 2);
  assert.equal(await a.cluster.channels.adjust('app', 'private-a', 1), 1);
  assert.equal(await a.cluster.presence.join('app', 'presence-room', '1.1', { userId: 'ann', userInfo: { n: 1 } }), true);
  assert.equal(await b.cluster.presence.join('app', 'presence-room', '2.1', { userId: 'bob', userInfo: null }), true);
  assert.equal(await b.cluster.presence.join('app', 'presence-room', '2.2', { userId: 'ann', userInfo: { n: 1 } }), false);
  assert.equal(await a.cluster.presence.join('app', 'presence-room', '1.2', { userId: 'cat', userInfo: 'c' }), true);
  assert.deepEqual([...(await c.cluster.presence.members('app', 'presence-room'))], [['ann', { n: 1 }], ['bob', null], ['cat', 'c']]);
  assert.deepEqual([...(await c.cluster.channels.list('app', ''))].sort(), [['presence-room', 2], ['private-a', 1]]);

  cut(0); // worker a dies
  await eventually('exactly one survivor was told', () => b.controls.length + c.controls.length === 1);
  const survivor = (b.controls.length === 1 ? b : c) as ContractNode;
  assert.deepEqual(survivor.controls[0], { type: 'node-gone', nodeId: a.cluster.nodeId });
  // ann still has a connection on b; only cat left entirely.
  assert.deepEqual(await survivor.cluster.presence.forgetNode(a.cluster.nodeId), [{ appId: 'app', channel: 'presence-room', userId: 'cat' }]);
  assert.deepEqual(await survivor.cluster.channels.forgetNode(a.cluster.nodeId), [{ appId: 'app', channel: 'private-a' }]);
  assert.deepEqual(await survivor.cluster.channels.forgetNode(a.cluster.nodeId), [], 'forgetting twice vacates nothing');
  assert.equal(await c.cluster.channels.count('app', 'presence-room'), 1);
  assert.deepEqual([...(await c.cluster.presence.members('app', 'presence-room')).keys()], ['ann', 'bob']);
  await assert.rejects(a.cluster.channels.count('app', 'x'), /unreachable/);
  assert.equal(a.cluster.healthy(), false);
});

test('a worker that dies while no other is attached is announced to the next one', async () => {
  const hub = new HostHub();
  const first = portPair();
  hub.attach(first.primary);
  const a = await startNode(new HostCluster(first.worker));
  await a.cluster.channels.adjust('app', 'c', 1);
  first.cut();
  const second = portPair();
  hub.attach(second.primary);
  const b = await startNode(new HostCluster(second.worker));
  await eventually('the newcomer is told about the dead worker', () => b.controls.length === 1);
  assert.deepEqual(b.controls[0], { type: 'node-gone', nodeId: a.cluster.nodeId });
  assert.deepEqual(await b.cluster.channels.forgetNode(a.cluster.nodeId), [{ appId: 'app', channel: 'c' }]);
});
