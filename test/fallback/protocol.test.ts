import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';
import { Q, RawReceive, establishedSocketId, newSessionPath, poll, rawSend, send, stream, subscribe, until } from './helpers.js';

describe('HTTP fallback wire protocol', () => {
  let gw: TestGateway;
  /** socket id → the close code core was told. */
  const closeCodes = new Map<string, number>();
  before(async () => {
    gw = await startGateway({
      apps: [
        testApp(),
        testApp({ id: 'strict', key: 'strict-key', allowedOrigins: ['https://good.example'] }),
        testApp({ id: 'small', key: 'small-key', maxConnections: 1 }),
      ],
      httpFallback: { heartbeatSeconds: 1, sessionTimeoutSeconds: 1.5 },
      maxBufferedBytes: 4096,
    }, { observers: [{ connectionClosed: (e) => closeCodes.set(e.socketId, e.code) }] });
  });
  after(() => gw.stop());

  test('streaming: prelude, one `o`, then connection_established as an `a` line; no-buffering headers', async () => {
    const { rx, socketId } = await stream(gw.port);
    assert.equal(rx.status, 200);
    assert.equal(rx.headers['x-accel-buffering'], 'no');
    assert.match(String(rx.headers['cache-control']), /no-store/);
    assert.equal(rx.lines[0]?.type, 'h', 'a heartbeat prelude for buffering proxies comes first');
    assert.equal(rx.lines[0]?.body.length, 2047);
    assert.equal(rx.lines.filter((l) => l.type === 'o').length, 1);
    assert.match(socketId, /^\d+\.\d+$/);
    rx.abort();
  });

  test('polling: the first answer is only `o`; the next carries connection_established; an idle poll ends with `h`', async () => {
    const session = newSessionPath();
    assert.deepEqual(await poll(gw.port, session), ['o']);
    const second = await poll(gw.port, session);
    assert.equal(second.length, 1);
    assert.match(second[0] ?? '', /^a\["\{\\"event\\":\\"pusher:connection_established/);
    const started = Date.now();
    assert.deepEqual(await poll(gw.port, session), ['h']);
    assert.ok(Date.now() - started >= 900, 'an idle poll is held until the heartbeat is due');
  });

  test('polling: a published event answers the held poll at once', async () => {
    const session = newSessionPath();
    await poll(gw.port, session);
    await poll(gw.port, session);
    const held = poll(gw.port, session);
    assert.equal((await subscribe(gw.port, session, 'poll-news')).status, 204);
    const lines = await held;
    assert.match(lines.join(''), /subscription_succeeded/);
    const next = poll(gw.port, session);
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'story', channel: 'poll-news', data: '{"n":1}' });
    const got = await next;
    assert.equal(got.length, 1);
    const frames = (JSON.parse((got[0] ?? '').slice(1)) as string[]).map((t) => JSON.parse(t) as { event: string; data: string });
    assert.deepEqual(frames.map((f) => [f.event, f.data]), [['story', '{"n":1}']]);
  });

  test('`[]` is answered 204 with no body and never with a frame', async () => {
    const { session, rx } = await stream(gw.port);
    const before = rx.lines.length;
    for (let i = 0; i < 30; i++) {
      const res = await send(gw.port, session, []);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
    }
    // Sync with the stream: a ping's pong is the next frame, with no more than the timer's heartbeats before it.
    await send(gw.port, session, [{ event: 'pusher:ping', data: {} }]);
    await rx.frame('pusher:pong');
    const added = rx.lines.slice(before);
    const heartbeats = added.filter((l) => l.type === 'h').length;
    assert.ok(heartbeats <= 2, `${heartbeats} heartbeats after 30 \`[]\` posts`);
    rx.abort();
  });

  test('refusals arrive as pusher:error plus a close line with the same code', async () => {
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['unknown key', '/pusher/app/nope/1/abcdefgh/xhr_streaming' + Q, {}, 4001],
      ['bad protocol', newSessionPath() + '/xhr_streaming?protocol=4', {}, 4007],
      ['no protocol', newSessionPath() + '/xhr?client=js', {}, 4008],
      ['foreign origin', newSessionPath('strict-key') + '/xhr_streaming' + Q, { origin: 'https://evil.example' }, 4009],
    ];
    for (const [name, path, headers, code] of cases) {
      const rx = new RawReceive(gw.port, path, { headers });
      await rx.ended;
      assert.equal(rx.status, 200, name);
      assert.deepEqual(rx.lines.map((l) => l.type), ['o', 'a', 'c'], name);
      const error = JSON.parse((JSON.parse(rx.lines[1]?.body ?? '[]') as string[])[0] ?? '{}') as { event: string; data: { code: number } };
      assert.equal(error.event, 'pusher:error', name);
      assert.equal(error.data.code, code, name);
      assert.equal((JSON.parse(rx.lines[2]?.body ?? '[]') as [number, string])[0], code, name);
      if (headers['origin']) assert.equal(rx.headers['access-control-allow-origin'], headers['origin'], 'the refusal is readable cross-origin');
    }
    const session = newSessionPath('strict-key');
    const ok = new RawReceive(gw.port, `${session}/xhr_streaming${Q}`, { headers: { origin: 'https://good.example' } });
    await ok.frame('pusher:connection_established');
    ok.abort();
  });

  test('the per-app connection quota counts fallback sessions', async () => {
    const first = new RawReceive(gw.port, `${newSessionPath('small-key')}/xhr_streaming${Q}`);
    await first.frame('pusher:connection_established');
    const second = new RawReceive(gw.port, `${newSessionPath('small-key')}/xhr_streaming${Q}`);
    await second.ended;
    assert.match(second.lines.map((l) => l.type + l.body).join('\n'), /c\[4004,/);
    first.abort();
  });

  test('CORS: preflights are answered and responses name the caller origin', async () => {
    const session = newSessionPath();
    const res = await fetch(`http://127.0.0.1:${gw.port}${session}/xhr_send`, {
      method: 'OPTIONS',
      headers: { origin: 'https://site.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://site.example');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type/i);
    const { rx } = await stream(gw.port, { headers: { origin: 'https://site.example' } });
    assert.equal(rx.headers['access-control-allow-origin'], 'https://site.example');
    rx.abort();
  });

  test('bad requests get real statuses and JSON errors; the session survives them', async () => {
    const { session, rx } = await stream(gw.port);
    const cases: Array<[string, Promise<{ status: number; text: string }>, number]> = [
      ['unknown session', rawSend(gw.port, `${newSessionPath()}/xhr_send`, '[]'), 404],
      ['not JSON', rawSend(gw.port, `${session}/xhr_send`, '{nope'), 400],
      ['not an array of strings', rawSend(gw.port, `${session}/xhr_send`, '[1,{"a":2}]'), 400],
      ['too large', rawSend(gw.port, `${session}/xhr_send`, JSON.stringify(['x'.repeat(600 * 1024)])), 413],
      ['other origin', rawSend(gw.port, `${session}/xhr_send`, '[]', { headers: { origin: 'https://other.example' } }), 403],
      ['GET', fetch(`http://127.0.0.1:${gw.port}${session}/xhr_streaming${Q}`).then(async (r) => ({ status: r.status, text: await r.text() })), 405],
    ];
    for (const [name, pending, status] of cases) {
      const res = await pending;
      assert.equal(res.status, status, name);
      assert.equal(typeof (JSON.parse(res.text) as { error: unknown }).error, 'string', name);
    }
    // Garbage inside a well-formed body is the protocol's problem: a pusher:error on the stream.
    assert.equal((await send(gw.port, session, ['not json'])).status, 204);
    await rx.frame('pusher:error');
    await send(gw.port, session, [{ event: 'pusher:ping', data: {} }]);
    await rx.frame('pusher:pong');
    rx.abort();
  });

  test('streaming: a new stream on the same session resumes without `o` and delivers what waited', async () => {
    // Learn when the server itself sees the first stream's socket close, as it would after pusher-js
    // drops a stream that passed 256 KiB.
    let serverSawClose!: Promise<void>;
    const sawRequest = new Promise<void>((resolve) => {
      const onRequest = (req: IncomingMessage): void => {
        if (!req.url?.includes('/xhr_streaming')) return;
        gw.gateway.server.off('request', onRequest);
        serverSawClose = new Promise<void>((closed) => req.socket.once('close', () => setImmediate(closed)));
        resolve();
      };
      gw.gateway.server.on('request', onRequest);
    });
    const { session, rx } = await stream(gw.port);
    await sawRequest;
    await subscribe(gw.port, session, 'resume-news');
    await rx.frame('pusher_internal:subscription_succeeded');
    rx.abort();
    await serverSawClose;
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'while-away', channel: 'resume-news', data: '1' });
    const again = new RawReceive(gw.port, `${session}/xhr_streaming${Q}`);
    const frame = await again.frame('while-away');
    assert.equal(frame.channel, 'resume-news');
    assert.equal(again.lines.filter((l) => l.type === 'o').length, 0, 'never a second `o` on a live session');
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'live', channel: 'resume-news', data: '2' });
    await again.frame('live');
    again.abort();
  });

  test('a stalled poller is cut off (4100) instead of growing its outbox', async () => {
    const session = newSessionPath();
    await poll(gw.port, session);
    const socketId = establishedSocketId((await poll(gw.port, session))[0]);
    const held = poll(gw.port, session);
    await subscribe(gw.port, session, 'flood');
    await held;
    // maxBufferedBytes is 4 KiB here; nobody polls while 10 KiB are published, in one request so
    // that a loaded machine does not let the 1.5 s expiry come first.
    const batch = Array.from({ length: 10 }, () => ({ name: 'big', channel: 'flood', data: 'x'.repeat(1000) }));
    assert.equal((await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch })).status, 200);
    // Its own close code, not the connection count: other tests' sessions expire meanwhile.
    await until(() => closeCodes.has(socketId), 'session cut off');
    assert.equal(closeCodes.get(socketId), 4100);
    const last = await poll(gw.port, session);
    assert.equal(last.length, 1, 'the dropped backlog is not delivered');
    assert.match(last[0] ?? '', /^c\[4100,/);
  });

  test('a stream whose reader stalls is cut off (4100) once its backlog passes maxBufferedBytes', async () => {
    // A raw socket that sends the request and never reads: the kernel buffers fill, then the
    // response's own backlog grows until the session is dropped.
    const session = newSessionPath();
    const socket = connect(gw.port, '127.0.0.1');
    socket.write(`POST ${session}/xhr_streaming${Q} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    socket.pause();
    const id = session.replace('/pusher/app/', '');
    const find = () => [...gw.gateway.core.allConnections()].find((c) => (c.link as { id?: string }).id === id);
    await until(() => find() !== undefined, 'session open');
    const conn = find();
    assert.ok(conn);
    assert.equal((await subscribe(gw.port, session, 'stall')).status, 204);
    await until(() => conn.channels.has('stall'), 'subscribed');
    const alive = (): boolean => [...gw.gateway.core.allConnections()].includes(conn);
    const batch = Array.from({ length: 10 }, () => ({ name: 'big', channel: 'stall', data: 'x'.repeat(9000) }));
    let published = 0;
    for (let i = 0; i < 2000 && alive(); i++) {
      await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch });
      published += 90_000;
    }
    await until(() => closeCodes.has(conn.socketId), 'stalled stream cut off');
    assert.equal(closeCodes.get(conn.socketId), 4100);
    assert.ok(published < 2000 * 90_000, 'cut off long before the publisher gave up');
    socket.destroy();
  });

  test('a polling session nobody polls expires and leaves core', async () => {
    const session = newSessionPath();
    await poll(gw.port, session);
    const [line] = await poll(gw.port, session);
    const lastPollEnded = Date.now();
    const socketId = establishedSocketId(line);
    const alive = (): boolean => [...gw.gateway.core.allConnections()].some((c) => c.socketId === socketId);
    assert.equal(alive(), true);
    await until(() => !alive(), 'session expired');
    const waited = Date.now() - lastPollEnded;
    assert.ok(waited >= 1400, `left core after ${waited} ms, before the 1.5 s expiry`);
  });

  test('malformed request targets get 400 and the process survives (requests and upgrades)', async () => {
    for (const upgrade of [false, true]) {
      for (const target of ['http://[bad/pusher/app/app-key/1/abcdefgh/xhr', 'http://a:b:c/apps/x']) {
        const socket = connect(gw.port, '127.0.0.1');
        const extra = upgrade ? 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' : '';
        socket.end(`${upgrade ? 'GET' : 'POST'} ${target} HTTP/1.1\r\nHost: x\r\n${extra}Content-Length: 0\r\n\r\n`);
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        await new Promise((resolve) => socket.on('close', resolve));
        assert.match(answer, /^HTTP\/1\.1 400 /, `${upgrade ? 'upgrade' : 'request'} ${target}`);
      }
    }
    const res = await fetch(`http://127.0.0.1:${gw.port}/health`);
    assert.equal(res.status, 200);
  });

  test('paths: the gateway prefix with or without /pusher, and an unknown operation falls through', async () => {
    const res = await fetch(`http://127.0.0.1:${gw.port}${newSessionPath()}/xhr_other`, { method: 'POST' });
    assert.equal(res.status, 404);
    const plain = newSessionPath().replace('/pusher', '');
    assert.deepEqual(await poll(gw.port, plain), ['o']);
  });
});

describe('HTTP fallback shutdown and prefix', () => {
  test('draining closes open streams with 4200; a path prefix is honoured', async () => {
    const gw = await startGateway({ pathPrefix: '/ws' });
    const session = newSessionPath().replace('/pusher', '/ws');
    const rx = new RawReceive(gw.port, `${session}/xhr_streaming${Q}`);
    await rx.frame('pusher:connection_established');
    const stopping = gw.stop();
    const close = await rx.next((l) => l.type === 'c');
    assert.equal((JSON.parse(close.body) as [number])[0], 4200);
    await rx.ended;
    await stopping;
  });

  test('httpFallback.enabled=false leaves the paths unserved', async () => {
    const gw = await startGateway({ httpFallback: { enabled: false } });
    try {
      const res = await fetch(`http://127.0.0.1:${gw.port}${newSessionPath()}/xhr${Q}`, { method: 'POST' });
      assert.equal(res.status, 404);
      assert.equal(gw.gateway.fallback, undefined);
    } finally {
      await gw.stop();
    }
  });
});
