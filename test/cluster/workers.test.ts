import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { eventually } from './contract.js';
import { NodeProcess } from './node-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { client, memberCount, nextEvent, sdk, subscribe, type Channel, type Pusher } from './pusher-clients.js';

const execFileP = promisify(execFile);
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];

/** `switchboard start --workers 2` without Redis: one port, two worker processes, state in the primary. */
describe('two workers behind one port, sharing in-host state', () => {
  let node: NodeProcess;
  const clients: Pusher[] = [];
  const rooms: Channel[] = [];
  const workerPids = (): number[] => node.lines.filter((l) => l['msg'] === 'worker started').map((l) => Number(l['workerPid']));

  before(async () => {
    node = NodeProcess.spawn({ args: ['--workers', '2'], apps: [{ id: 'app-id', key: 'app-key', secret: 'app-secret', clientEvents: true }] });
    await node.waitForCount((l) => l['msg'] === 'switchboard listening', 2, 'both workers listening');
    node.port = Number(node.lines.find((l) => l['msg'] === 'switchboard listening')?.['port']);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await node.stop();
  });

  it('spreads connections over both workers and shows them one presence view and one count', async () => {
    for (const user of USERS) clients.push(client(node.port, user));
    for (const c of clients) rooms.push(await subscribe(c, 'presence-room'));
    await eventually('every client sees all six members', () => rooms.every((r) => memberCount(r) === USERS.length));
    // Node's cluster module hands connections out round-robin: both workers hold some.
    const perWorker = await Promise.all([0, 1, 2, 3].map(() => fetch(`http://127.0.0.1:${node.port}/health`, { headers: { connection: 'close' } }).then((r) => r.json() as Promise<{ connections: number }>)));
    assert.ok(perWorker.every((h) => h.connections > 0 && h.connections < USERS.length), `per-worker connections ${JSON.stringify(perWorker)}`);
    const res = await sdk(node.port).get({ path: '/channels/presence-room', params: { info: 'user_count,subscription_count' } });
    assert.deepEqual(await res.json(), { occupied: true, user_count: USERS.length, subscription_count: USERS.length });
  });

  it('delivers a publish to subscribers on every worker, once each', async () => {
    const got = rooms.map((r) => nextEvent<{ n: number }>(r, 'ping'));
    const counts = rooms.map(() => 0);
    rooms.forEach((r, i) => r.bind('ping', () => counts[i]!++));
    await sdk(node.port).trigger('presence-room', 'ping', { n: 1 });
    assert.deepEqual(await Promise.all(got), rooms.map(() => ({ n: 1 })));
    // A second event behind the first proves no copy of the first is still on its way.
    const second = rooms.map((r) => nextEvent(r, 'pong'));
    await sdk(node.port).trigger('presence-room', 'pong', {});
    await Promise.all(second);
    assert.deepEqual(counts, rooms.map(() => 1));
  });

  it('restarts a crashed worker; its members are announced gone and come back', async () => {
    const [victim] = workerPids();
    assert.ok(victim);
    const removed: string[] = [];
    for (const r of rooms) r.bind('pusher:member_removed', (m: { id: string }) => removed.push(m.id));
    process.kill(victim, 'SIGKILL');
    await node.waitFor((l) => l['msg'] === 'worker died; restarting it' && l['workerPid'] === victim, 'the crash is logged');
    await node.waitForCount((l) => l['msg'] === 'worker started', 3, 'a replacement worker');
    await eventually('a survivor announced the dead worker’s members gone', () => removed.length > 0);
    // pusher-js reconnects on its own; everyone is back in one view.
    await eventually('all six members again, on every client', () => rooms.every((r) => r.subscribed && memberCount(r) === USERS.length), 20_000);
  });

  it('replaces workers one at a time on SIGHUP; clients reconnect and the view is whole again', async () => {
    const before = workerPids().length;
    node.child.kill('SIGHUP');
    await node.waitFor((l) => l['msg'] === 'workers restarted', 'the rolling restart to finish', 30_000);
    assert.equal(workerPids().length, before + 2, 'one new worker per slot');
    const fresh = client(node.port, 'u7');
    clients.push(fresh);
    const room = await subscribe(fresh, 'presence-room');
    await eventually('every client, old and new, sees all seven members', () => [...rooms, room].every((r) => r.subscribed && memberCount(r) === USERS.length + 1), 20_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify([...rooms, room].map((r) => [r.subscribed, memberCount(r), clients[rooms.indexOf(r)]?.connection.state]))} ${JSON.stringify(node.lines.slice(-12))}`);
    });
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const closes = clients.map((c) => new Promise<void>((resolve) => c.connection.bind('disconnected', resolve).bind('connecting', resolve)));
    assert.equal(await node.stop(), 0);
    await Promise.all(closes);
    await node.waitFor((l) => l['msg'] === 'all workers stopped', 'the primary’s last line');
  });
});

describe('two workers: limits and figures for the whole host', () => {
  let node: NodeProcess;
  const token = 'workers-admin-token-0123456789';
  before(async () => {
    node = NodeProcess.spawn({
      args: ['--workers', '2', '--admin-port', '0'],
      apps: [{ id: 'app-id', key: 'app-key', secret: 'app-secret', maxConnections: 4 }],
      env: { SWITCHBOARD_ADMIN__ENABLED: 'true', SWITCHBOARD_ADMIN__TOKEN: token },
    });
    await node.waitForCount((l) => l['msg'] === 'switchboard listening', 2, 'both workers listening');
    node.port = Number(node.lines.find((l) => l['msg'] === 'switchboard listening')?.['port']);
  });
  after(() => node.stop());

  it('holds maxConnections across workers and shows the host-wide count in switchboard status', async () => {
    const admin = await node.waitFor((l) => String(l['msg']).startsWith('admin listener'), 'the admin listener');
    const adminUrl = `http://127.0.0.1:${String(admin['port'])}`;
    const hostConnections = async (): Promise<number> => {
      const res = await fetch(`${adminUrl}/api/overview`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { host?: { connections: number } }).host?.connections ?? -1;
    };
    const open: RawClient[] = [];
    for (let i = 0; i < 4; i++) open.push((await RawClient.established(node.port)).client);
    await eventually('the host counts four connections', async () => (await hostConnections()) === 4);
    // Round-robin puts the next two on different workers: both must be refused.
    for (let i = 0; i < 2; i++) {
      const refused = await RawClient.connect(node.port);
      const error = await refused.next('pusher:error');
      assert.equal((error.data as { code: number }).code, 4004);
      assert.equal((await refused.closed).code, 4004);
    }
    const { stdout } = await execFileP(process.execPath, ['dist/src/cli/main.js', 'status', '--url', adminUrl, '--token', token]);
    assert.match(stdout, /host: 4 connections over 2 workers/);
    for (const c of open) c.close();
  });
});
