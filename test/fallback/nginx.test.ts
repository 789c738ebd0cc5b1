import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { TestRedis, freePort } from '../cluster/redis-server.js';
import { Q, RawReceive, connected, fallbackClient, nextEvent, send, serverSdk, sessionOf, transportOf, type PusherClient } from './helpers.js';

const EXAMPLE = join(process.cwd(), 'examples/nginx/switchboard.conf');

/** examples/nginx/switchboard.conf with only its listen port and upstream ports changed. */
function siteConfig(listenPort: number, nodePorts: readonly [number, number]): string {
  const text = readFileSync(EXAMPLE, 'utf8');
  const out = text
    .replace('listen 80;', `listen 127.0.0.1:${listenPort};`)
    .replace('server 127.0.0.1:6001;', `server 127.0.0.1:${nodePorts[0]};`)
    .replace('server 127.0.0.1:6002;', `server 127.0.0.1:${nodePorts[1]};`);
  assert.equal((out.match(new RegExp(`127\\.0\\.0\\.1:(${listenPort}|${nodePorts[0]}|${nodePorts[1]});`, 'g')) ?? []).length, 3, 'the example still has the lines this test substitutes');
  return out;
}

/** A private nginx (Debian package) in the foreground with everything under one temp dir. */
async function startNginx(dir: string, listenPort: number, nodePorts: readonly [number, number]): Promise<ChildProcess> {
  writeFileSync(join(dir, 'switchboard.conf'), siteConfig(listenPort, nodePorts));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  include ${dir}/switchboard.conf;
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nginx exited with ${code}: ${stderr}`))));
  exited.catch(() => undefined);
  // nginx announces nothing when ready: poll /health through it until it answers.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await Promise.race([
      fetch(`http://127.0.0.1:${listenPort}/health`).then(
        (r) => r.ok,
        () => false,
      ),
      exited,
    ]);
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`nginx did not come up: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('WebSocket and both HTTP fallbacks through a real nginx in front of two nodes', () => {
  let redis: TestRedis;
  let nodes: [TestGateway, TestGateway];
  let nginx: ChildProcess | undefined;
  let dir: string;
  let port: number;
  const clients: PusherClient[] = [];
  /** Fallback session → the nodes that saw its requests. */
  const seenOn = new Map<string, Set<number>>();
  const client = (transport: 'ws' | 'xhr_streaming' | 'xhr_polling', user?: { id: string }): PusherClient => {
    const c = fallbackClient(port, transport, user ? { user } : {});
    clients.push(c);
    return c;
  };

  before(async () => {
    redis = await TestRedis.start();
    const flags = {
      adapter: 'redis',
      redis: { url: redis.url, prefix: 'nginx-test:' },
      apps: [testApp({ clientEvents: true })],
      httpFallback: { sessionTimeoutSeconds: 3 },
      // nginx connects from here: its X-Forwarded-For names the client.
      trustedProxies: ['127.0.0.1'],
    };
    nodes = [await startGateway(flags), await startGateway(flags)];
    nodes.forEach((node, i) =>
      node.gateway.server.on('request', (req: IncomingMessage) => {
        const m = /\/app\/[^/]+\/(\d+\/[^/]+)\/xhr/.exec(req.url ?? '');
        if (!m) return;
        const set = seenOn.get(m[1] ?? '') ?? new Set<number>();
        set.add(i);
        seenOn.set(m[1] ?? '', set);
      }),
    );
    dir = mkdtempSync(join(tmpdir(), 'sb-nginx-'));
    port = await freePort();
    nginx = await startNginx(dir, port, [nodes[0].port, nodes[1].port]);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      await gone;
    }
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ['ws', 'xhr_streaming', 'xhr_polling'] as const) {
    test(`${transport}: connect, subscribe and receive a publish, all through nginx`, async () => {
      const c = client(transport);
      await connected(c);
      assert.equal(transportOf(c), transport);
      const channel = c.subscribe(`via-nginx-${transport}`);
      await nextEvent(channel, 'pusher:subscription_succeeded');
      const got = nextEvent<{ n: number }>(channel, 'story');
      const sent = Date.now();
      await serverSdk(port).trigger(`via-nginx-${transport}`, 'story', { n: 42 });
      assert.deepEqual(await got, { n: 42 });
      // Unbuffered: the frame is not held back until a buffer fills or a heartbeat pushes it.
      const latency = Date.now() - sent;
      assert.ok(latency < 5000, `delivered after ${latency} ms`);
    });
  }

  test('client events and presence between WebSocket and HTTP clients across nodes', async () => {
    const ws = client('ws', { id: 'w' });
    const streaming = client('xhr_streaming', { id: 's' });
    const polling = client('xhr_polling', { id: 'p' });
    const name = 'presence-mixed';
    const chWs = ws.subscribe(name);
    await nextEvent(chWs, 'pusher:subscription_succeeded');
    const joined = new Set<string>();
    const allJoined = new Promise<void>((resolve) => chWs.bind('pusher:member_added', (m: { id: string }) => joined.add(m.id).size === 2 && resolve()));
    const chS = streaming.subscribe(name);
    await nextEvent(chS, 'pusher:subscription_succeeded');
    const chP = polling.subscribe(name);
    const members = await nextEvent<{ count: number }>(chP, 'pusher:subscription_succeeded');
    assert.equal(members.count, 3);
    await allJoined;
    assert.deepEqual([...joined].sort(), ['p', 's']);

    const atWs = nextEvent<{ from: string }>(chWs, 'client-note');
    const atS = nextEvent<{ from: string }>(chS, 'client-note');
    chP.trigger('client-note', { from: 'polling' });
    assert.deepEqual(await atWs, { from: 'polling' });
    assert.deepEqual(await atS, { from: 'polling' });

    // The polling client goes away without a word; its session expires on its node behind nginx.
    const left = nextEvent<{ id: string }>(chWs, 'pusher:member_removed', 30_000);
    polling.disconnect();
    assert.equal((await left).id, 'p');
  });

  test('every request of one fallback session reaches the same node', async () => {
    const more = [client('xhr_polling'), client('xhr_polling'), client('xhr_streaming'), client('xhr_polling')];
    await Promise.all(more.map((c) => connected(c)));
    await Promise.all(more.map((c, i) => nextEvent(c.subscribe(`affinity-${i}`), 'pusher:subscription_succeeded')));
    for (const c of more) assert.ok(seenOn.has(sessionOf(c)), 'requests of the session were seen');
    assert.ok(seenOn.size >= 7);
    for (const [session, on] of seenOn) assert.equal(on.size, 1, `session ${session} was served by nodes ${[...on].join(', ')}`);
  });

  test('nginx names the client in X-Forwarded-For: a session answers only the client behind it', async () => {
    const victim = client('xhr_streaming');
    const socketId = await connected(victim);
    const news = victim.subscribe('bound-via-nginx');
    await nextEvent(news, 'pusher:subscription_succeeded');
    const session = `/pusher/app/app-key/${sessionOf(victim)}`;
    // Another client reaching nginx from 127.0.0.2, with and without a forged X-Forwarded-For.
    const forged: Array<Record<string, string>> = [{}, { 'x-forwarded-for': '127.0.0.1' }];
    for (const headers of forged) {
      const from = { from: '127.0.0.2', headers };
      assert.equal((await send(port, session, [{ event: 'pusher:subscribe', data: { channel: 'stolen' } }], from)).status, 403);
      const stolen = new RawReceive(port, `${session}/xhr_streaming${Q}`, from);
      await stolen.ended;
      assert.equal(stolen.status, 403);
      assert.deepEqual(stolen.lines, []);
    }
    const story = nextEvent<{ n: number }>(news, 'story');
    await serverSdk(port).trigger('bound-via-nginx', 'story', { n: 7 });
    assert.deepEqual(await story, { n: 7 });
    assert.equal(victim.connection.socket_id, socketId);
    assert.equal(victim.connection.state, 'connected');
  });
});
