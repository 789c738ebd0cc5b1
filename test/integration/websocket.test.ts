import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawClient } from '../helpers/raw-client.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';

describe('WebSocket endpoint', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      apps: [
        testApp(),
        testApp({ id: 'off', key: 'off-key', enabled: false }),
        testApp({ id: 'small', key: 'small-key', maxConnections: 2 }),
        testApp({ id: 'strict', key: 'strict-key', allowedOrigins: ['https://good.example', '*.trusted.example'] }),
      ],
      maxChannelsPerConnection: 50,
    });
  });
  after(() => gw.stop());

  test('connection_established carries a valid socket_id and activity_timeout', async () => {
    const { client, socketId } = await RawClient.established(gw.port);
    assert.match(socketId, /^\d+\.\d+$/);
    const established = client.frames[0];
    assert.equal((established?.data as { activity_timeout: number }).activity_timeout, 120);
    client.close();
  });

  test('unknown key → pusher:error 4001 and close 4001', async () => {
    const client = await RawClient.connect(gw.port, { key: 'nope' });
    const err = await client.next('pusher:error');
    assert.equal((err.data as { code: number }).code, 4001);
    assert.equal((await client.closed).code, 4001);
  });

  test('disabled app → 4003', async () => {
    const client = await RawClient.connect(gw.port, { key: 'off-key' });
    assert.equal((await client.closed).code, 4003);
  });

  test('missing protocol → 4008, unsupported protocol → 4007', async () => {
    const none = await RawClient.connect(gw.port, { query: 'client=js' });
    assert.equal((await none.closed).code, 4008);
    const old = await RawClient.connect(gw.port, { query: 'protocol=4' });
    assert.equal((await old.closed).code, 4007);
    const future = await RawClient.connect(gw.port, { query: 'protocol=8' });
    assert.equal((await future.closed).code, 4007);
    const junk = await RawClient.connect(gw.port, { query: 'protocol=seven' });
    assert.equal((await junk.closed).code, 4007);
  });

  test('per-app connection quota → 4004, and a freed slot can be reused', async () => {
    const a = await RawClient.established(gw.port, { key: 'small-key' });
    const b = await RawClient.established(gw.port, { key: 'small-key' });
    const c = await RawClient.connect(gw.port, { key: 'small-key' });
    assert.equal((await c.closed).code, 4004);
    a.client.close();
    await a.client.closed;
    // The server learns of the close asynchronously; retry until the slot is free.
    const deadline = Date.now() + 5000;
    let d: RawClient;
    for (;;) {
      d = await RawClient.connect(gw.port, { key: 'small-key' });
      const first = await d.next(() => true);
      if (first.event === 'pusher:connection_established') break;
      assert.ok(Date.now() < deadline, 'slot never freed');
    }
    b.client.close();
    d.close();
  });

  test('origins outside the allow-list are refused; listed and wildcard ones admitted', async () => {
    const bad = await RawClient.connect(gw.port, { key: 'strict-key', origin: 'https://evil.example' });
    const err = await bad.next('pusher:error');
    assert.match(String((err.data as { message: string }).message), /origin/);
    assert.equal((await bad.closed).code, 4009);
    const good = await RawClient.established(gw.port, { key: 'strict-key', origin: 'https://good.example' });
    const wild = await RawClient.established(gw.port, { key: 'strict-key', origin: 'https://a.trusted.example' });
    good.client.close();
    wild.client.close();
  });

  test('path prefixes and unknown paths', async () => {
    const res = await fetch(`http://127.0.0.1:${gw.port}/nope`);
    assert.equal(res.status, 404);
    await assert.rejects(RawClient.connect(gw.port, { path: '/not/app' }), /404/);
  });

  test('pusher:ping is answered with pusher:pong', async () => {
    const { client } = await RawClient.established(gw.port);
    client.send({ event: 'pusher:ping', data: {} });
    await client.next('pusher:pong');
    client.close();
  });

  test('WebSocket control pings are answered', async () => {
    const { client } = await RawClient.established(gw.port);
    const pong = new Promise<Buffer>((resolve) => client.ws.once('pong', resolve));
    client.ws.ping(Buffer.from('hi'));
    assert.equal((await pong).toString(), 'hi');
    client.close();
  });

  test('public channel: subscribe, receive, unsubscribe', async () => {
    const { client } = await RawClient.established(gw.port);
    const ok = await client.subscribe('news');
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    const res = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'story', channel: 'news', data: '{"n":1}' });
    assert.equal(res.status, 200);
    const ev = await client.next('story');
    assert.deepEqual([ev.channel, ev.data], ['news', { n: 1 }]);
    client.send({ event: 'pusher:unsubscribe', data: { channel: 'news' } });
    client.send({ event: 'pusher:ping', data: {} });
    await client.next('pusher:pong');
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'story', channel: 'news', data: '{"n":2}' });
    client.send({ event: 'pusher:ping', data: {} });
    await client.next('pusher:pong');
    assert.equal(client.frames.filter((f) => f.event === 'story').length, 1, 'nothing after unsubscribe');
    client.close();
  });

  test('channel names that break the rules get subscription_error and nothing else', async () => {
    const { client } = await RawClient.established(gw.port);
    for (const channel of ['bad name', 'x'.repeat(201), 'emoji-😀', '']) {
      client.send({ event: 'pusher:subscribe', data: { channel, auth: '' } });
      const err = await client.next('pusher:subscription_error');
      assert.equal((err.data as { status: number }).status, 400);
    }
    client.close();
  });

  test('malformed frames each get pusher:error and the connection stays usable', async () => {
    const { client } = await RawClient.established(gw.port);
    const bad = [
      'not json',
      '[]',
      '42',
      '{"event":"pusher:subscribe"}',
      '{"event":"pusher:subscribe","data":{"channel":5}}',
      '{"event":7,"data":{}}',
      '{"event":"pusher:whatever","data":{}}',
      JSON.stringify({ event: 'client-x', channel: 'private-a', data: 'x'.repeat(20_000) }),
    ];
    for (const text of bad) {
      client.send(text);
      const err = await client.next('pusher:error');
      assert.equal(typeof (err.data as { message: string }).message, 'string');
    }
    assert.equal((await client.subscribe('still-ok')).event, 'pusher_internal:subscription_succeeded');
    client.close();
  });

  test('subscribe flood: past the per-connection limit subscriptions are refused, others still served', async () => {
    const { client } = await RawClient.established(gw.port);
    for (let i = 0; i < 200; i++) client.send({ event: 'pusher:subscribe', data: { channel: `flood-${i}`, auth: '' } });
    // Every subscribe gets exactly one answer, in whatever order the subscriptions complete.
    for (let i = 0; i < 200; i++) await client.next((f) => f.channel?.startsWith('flood-') === true && (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error'));
    client.send({ event: 'pusher:ping', data: {} });
    await client.next('pusher:pong');
    const ok = client.frames.filter((f) => f.event === 'pusher_internal:subscription_succeeded').length;
    const refused = client.frames.filter((f) => f.event === 'pusher:subscription_error' && (f.data as { type: string }).type === 'LimitReached').length;
    assert.equal(ok, 50);
    assert.equal(refused, 150);
    const other = await RawClient.established(gw.port);
    assert.equal((await other.client.subscribe('calm')).event, 'pusher_internal:subscription_succeeded');
    client.close();
    other.client.close();
  });

  test('a burst of garbage frames does not hurt other clients', async () => {
    const victim = await RawClient.established(gw.port);
    await victim.client.subscribe('garbage-test');
    const attacker = await RawClient.established(gw.port);
    for (let i = 0; i < 2000; i++) {
      attacker.client.send(i % 3 === 0 ? '{{{{' : i % 3 === 1 ? '{"event":"pusher:subscribe","data":null}' : Buffer.alloc(50, i).toString('latin1'));
    }
    // Raw socket garbage too: invalid WebSocket bytes on a separate connection.
    const sock = net.connect(gw.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /app/app-key?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02]));
    sock.on('error', () => undefined);
    const res = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'alive', channel: 'garbage-test', data: 'yes' });
    assert.equal(res.status, 200);
    const ev = await victim.client.next('alive');
    assert.equal(ev.data, 'yes');
    sock.destroy();
    attacker.client.close();
    victim.client.close();
  });
});

describe('keep-alive', () => {
  test('an idle connection is pinged, and closed with 4201 when the pong never comes', async () => {
    const gw = await startGateway({ activityTimeoutSeconds: 1, pongTimeoutSeconds: 1 });
    try {
      const { client } = await RawClient.established(gw.port);
      const established = client.frames[0];
      assert.equal((established?.data as { activity_timeout: number }).activity_timeout, 1);
      await client.next('pusher:ping', 5000);
      const closed = await client.closed;
      assert.equal(closed.code, 4201);
    } finally {
      await gw.stop();
    }
  });

  test('a connection that answers pings stays open', async () => {
    const gw = await startGateway({ activityTimeoutSeconds: 1, pongTimeoutSeconds: 1 });
    try {
      const { client } = await RawClient.established(gw.port);
      for (let i = 0; i < 3; i++) {
        await client.next('pusher:ping', 5000);
        client.send({ event: 'pusher:pong', data: {} });
      }
      client.send({ event: 'pusher:ping', data: {} });
      await client.next('pusher:pong');
      assert.equal(client.ws.readyState, client.ws.OPEN);
      client.close();
    } finally {
      await gw.stop();
    }
  });
});
