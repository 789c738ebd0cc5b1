import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { eventually } from './contract.js';
import { NodeProcess } from './node-process.js';
import { client, memberCount, sdk, subscribe, type Channel, type Pusher } from './pusher-clients.js';
import { TestRedis } from './redis-server.js';

interface HookEvent {
  name: string;
  channel?: string;
  user_id?: string;
}

const HOLD_BACK_MS = 1000;

/**
 * Webhooks with three nodes: each cluster-wide transition is reported by exactly one node, and a
 * node killed with -9 yields one member_removed per member that left with it.
 */
describe('webhooks across three gateway processes', () => {
  let redis: TestRedis;
  let receiver: Server;
  const events: HookEvent[] = [];
  let nodes: NodeProcess[] = [];
  const clients: Pusher[] = [];

  before(async () => {
    redis = await TestRedis.start();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        events.push(...(JSON.parse(body) as { events: HookEvent[] }).events);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    const apps = [{ id: 'app-id', key: 'app-key', secret: 'app-secret', webhooks: [{ url, event_types: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'] }] }];
    const env = { SWITCHBOARD_WEBHOOKS__HOLD_BACK_MS: String(HOLD_BACK_MS), SWITCHBOARD_WEBHOOKS__BATCH_WINDOW_MS: '20' };
    nodes = [0, 1, 2].map(() => NodeProcess.spawn({ redisUrl: redis.url, prefix: `wh${process.pid}:`, apps, env, nodeTtlSeconds: 2 }));
    await Promise.all(nodes.map((n) => n.listening()));
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    receiver?.close();
  });

  const count = (name: string, userId?: string): number => events.filter((e) => e.name === name && e.channel === 'presence-hooks' && (userId === undefined || e.user_id === userId)).length;
  const usersOn = async (i: number): Promise<string[]> => {
    const res = await sdk((nodes[i] as NodeProcess).port).get({ path: '/channels/presence-hooks/users' });
    return ((await res.json()) as { users: Array<{ id: string }> }).users.map((u) => u.id);
  };
  /** Duplicates have no event to wait for: give every node time to (wrongly) send one. */
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, HOLD_BACK_MS + 700));

  it('reports occupied and each member once, whichever nodes they joined', async () => {
    const joins: Array<[number, string]> = [
      [0, 'u1'],
      [1, 'u2'],
      [2, 'u3'],
      [2, 'u1'], // u1's second connection, on another node
    ];
    const channels: Channel[] = [];
    for (const [node, user] of joins) {
      const c = client((nodes[node] as NodeProcess).port, user);
      clients.push(c);
      channels.push(await subscribe(c, 'presence-hooks'));
    }
    await eventually('every client sees three members', () => channels.every((ch) => memberCount(ch) === 3));
    await eventually('the webhooks arrive', () => count('channel_occupied') >= 1 && count('member_added') >= 3);
    await settle();
    assert.equal(count('channel_occupied'), 1);
    assert.deepEqual([count('member_added', 'u1'), count('member_added', 'u2'), count('member_added', 'u3')], [1, 1, 1]);
  });

  it('holds back the departure of a member who comes back on another node, and drops it', async () => {
    const first = client((nodes[0] as NodeProcess).port, 'u4');
    const second = client((nodes[1] as NodeProcess).port, 'u4');
    clients.push(first, second);
    await subscribe(first, 'presence-hooks');
    await eventually('member_added for u4', () => count('member_added', 'u4') === 1);
    await eventually('the second client is connected', () => second.connection.state === 'connected');
    first.disconnect(); // u4 is gone from the cluster…
    await eventually('node 0 saw u4 leave', async () => !(await usersOn(0)).includes('u4'));
    await subscribe(second, 'presence-hooks'); // …and back, on another node, within the hold-back
    await settle();
    assert.equal(count('member_removed', 'u4'), 0);
    assert.ok((await usersOn(1)).includes('u4'));
  });

  it('reports the members of a node killed with -9 once, and not those still connected elsewhere', async () => {
    // Its clients keep trying to reconnect until after() (disconnecting them now would leave
    // pusher-js waiting 30 s for a close handshake nobody answers).
    await (nodes[2] as NodeProcess).crash();
    await eventually('member_removed for u3', () => count('member_removed', 'u3') >= 1, 15_000);
    await settle();
    assert.equal(count('member_removed', 'u3'), 1);
    assert.equal(count('member_removed', 'u1'), 0, 'u1 is still connected on node 0');
    assert.equal(count('channel_vacated'), 0);
  });

  it('reports the members of a node stopped gracefully, the last departures and the vacated channel once', async () => {
    assert.equal(await (nodes[1] as NodeProcess).stop(), 0);
    clients[1]?.disconnect(); // it would reconnect to the stopped node's port otherwise
    await eventually('member_removed for u2', () => count('member_removed', 'u2') >= 1, 15_000);
    clients[0]?.disconnect();
    await eventually('channel_vacated', () => count('channel_vacated') >= 1, 15_000);
    await settle();
    assert.deepEqual([count('member_removed', 'u1'), count('member_removed', 'u2'), count('channel_vacated')], [1, 1, 1]);
  });
});
