import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LogLimiter } from '../../src/core/log-limiter.js';
import { loggerOptions } from '../../src/ops/logger.js';
import { WebhookReceiver } from '../backend/webhook-receiver.js';
import { TestRedis } from '../cluster/redis-server.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { captureLog, type LogCapture } from '../helpers/log-capture.js';
import { RawClient } from '../helpers/raw-client.js';
import { api, channelAuth } from '../helpers/sign.js';

describe('operator logs', () => {
  let out: LogCapture;
  let g: TestGateway;
  let limiter: LogLimiter;

  before(async () => {
    out = captureLog('debug');
    limiter = new LogLimiter({ perSecond: 5 });
    g = await startGateway({ apps: [testApp({ maxPresenceMembers: 1 })] }, { log: out.log, logLimiter: limiter });
  });
  after(() => g.stop());

  it('logs connection open and close at debug with socket id, transport, app, remote address, code and duration', async () => {
    const { client, socketId } = await RawClient.established(g.port);
    const opened = await out.waitFor((l) => l['msg'] === 'connection opened' && l['socketId'] === socketId);
    assert.equal(opened['level'], 20);
    assert.equal(opened['transport'], 'ws');
    assert.equal(opened['appId'], 'app-id');
    assert.equal(opened['remoteAddress'], '127.0.0.1');
    client.ws.close(4321, 'bye');
    const closed = await out.waitFor((l) => l['msg'] === 'connection closed' && l['socketId'] === socketId);
    assert.equal(closed['level'], 20);
    assert.equal(closed['code'], 4321);
    assert.equal(closed['transport'], 'ws');
    assert.equal(closed['remoteAddress'], '127.0.0.1');
    assert.equal(typeof closed['durationMs'], 'number');
  });

  it('logs a refused connection at info with the remote address and the reason', async () => {
    const client = await RawClient.connect(g.port, { key: 'no-such-key' });
    assert.equal((await client.closed).code, 4001);
    const line = await out.waitFor((l) => l['msg'] === 'connection refused' && l['appKey'] === 'no-such-key');
    assert.equal(line['level'], 30);
    assert.equal(line['code'], 4001);
    assert.equal(line['remoteAddress'], '127.0.0.1');
    assert.equal(line['transport'], 'ws');
    assert.match(String(line['reason']), /does not exist/);
  });

  it('logs failed channel auth and refused subscriptions at info with the socket id and the reason', async () => {
    const { client, socketId } = await RawClient.established(g.port);
    try {
      const bad = await client.subscribe('private-orders', { auth: 'app-key:0000' });
      assert.equal(bad.event, 'pusher:subscription_error');
      const auth = await out.waitFor((l) => l['msg'] === 'channel auth failed' && l['socketId'] === socketId);
      assert.equal(auth['level'], 30);
      assert.equal(auth['channel'], 'private-orders');
      assert.equal(auth['reason'], 'invalid signature');
      assert.ok(!out.text().includes('app-key:0000'), 'the auth string itself is not logged');

      // A presence channel full at one member: the second member is refused.
      const data1 = JSON.stringify({ user_id: 'u1' });
      assert.equal((await client.subscribe('presence-room', { auth: channelAuth(socketId, 'presence-room', data1), channel_data: data1 })).event, 'pusher_internal:subscription_succeeded');
      const other = await RawClient.established(g.port);
      const data2 = JSON.stringify({ user_id: 'u2' });
      const full = await other.client.subscribe('presence-room', { auth: channelAuth(other.socketId, 'presence-room', data2), channel_data: data2 });
      assert.equal(full.event, 'pusher:subscription_error');
      const refused = await out.waitFor((l) => l['msg'] === 'subscription refused' && l['socketId'] === other.socketId);
      assert.equal(refused['level'], 30);
      assert.equal(refused['channel'], 'presence-room');
      assert.match(String(refused['reason']), /full/);
      other.client.close();
    } finally {
      client.close();
    }
  });

  it('logs a failed sign-in at info', async () => {
    const { client, socketId } = await RawClient.established(g.port);
    try {
      client.send({ event: 'pusher:signin', data: { auth: 'app-key:bad', user_data: JSON.stringify({ id: 'u' }) } });
      const line = await out.waitFor((l) => l['msg'] === 'signin failed' && l['socketId'] === socketId);
      assert.equal(line['level'], 30);
      assert.match(String(line['reason']), /signature/);
    } finally {
      client.close();
    }
  });

  it('logs a bad frame at info, and a flood of them as a few lines plus one "suppressed" count', async () => {
    const { client, socketId } = await RawClient.established(g.port);
    try {
      const n = 40;
      for (let i = 0; i < n; i++) client.send('this is not json');
      for (let i = 0; i < n; i++) await client.next('pusher:error');
      const summary = await out.waitFor((l) => l['msg'] === 'log lines suppressed' && l['logKey'] === 'bad frame:InvalidFrame');
      const written = out.withMsg('bad frame').filter((l) => l['socketId'] === socketId);
      assert.equal(written.length, 5, 'at most perSecond lines a second');
      assert.equal(written[0]?.['level'], 30);
      assert.equal(written[0]?.['code'], 'InvalidFrame');
      assert.equal(summary['suppressed'], n - 5);
    } finally {
      client.close();
    }
  });

  it('logs a failed API signature at info with the reason and the remote address', async () => {
    assert.equal((await api(g.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'c', data: 'd' }, { secret: 'wrong' })).status, 401);
    const line = await out.waitFor('api auth failed');
    assert.equal(line['level'], 30);
    assert.equal(line['reason'], 'invalid auth_signature');
    assert.equal(line['remoteAddress'], '127.0.0.1');
    assert.equal(line['path'], '/apps/app-id/events');
    assert.ok(!out.text().includes('auth_signature='), 'the signature stays out of the logs');
  });

  it('logs a refused SSE token at info with the reason', async () => {
    const expires = Math.floor(Date.now() / 1000) + 600;
    const res = await fetch(`http://127.0.0.1:${g.port}/sse/app-key?channels=private-x&expires=${expires}&token=app-key:forged`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
    const line = await out.waitFor('sse token refused');
    assert.equal(line['level'], 30);
    assert.equal(line['reason'], 'invalid token');
    assert.ok(!out.text().includes('app-key:forged'), 'the token stays out of the logs');
  });
});

describe('log limiter', () => {
  it('writes perSecond lines per key, counts the rest and reports the count once the second is over', async () => {
    const out = captureLog('info');
    const limiter = new LogLimiter({ perSecond: 3 });
    for (let i = 0; i < 10; i++) limiter.write(out.log, 'info', 'a', { i }, 'line a');
    limiter.write(out.log, 'info', 'b', {}, 'line b');
    assert.equal(out.withMsg('line a').length, 3);
    assert.equal(out.withMsg('line b').length, 1, 'keys are limited separately');
    const summary = await out.waitFor('log lines suppressed', 3000);
    assert.deepEqual([summary['logKey'], summary['suppressed']], ['a', 7]);
    // A new second: lines flow again.
    limiter.write(out.log, 'info', 'a', { i: 10 }, 'line a');
    assert.equal(out.withMsg('line a').length, 4);
  });

  it('writes nothing and keeps no state for a level that is off', () => {
    const out = captureLog('warn');
    const limiter = new LogLimiter({ perSecond: 1 });
    for (let i = 0; i < 5; i++) limiter.write(out.log, 'info', 'a', {}, 'quiet');
    limiter.flushAll();
    assert.equal(out.lines.length, 0);
  });
});

describe('log timestamps', () => {
  it('writes ISO 8601 times when logTimestamps is iso, epoch milliseconds by default', () => {
    const iso = captureLog('info', loggerOptions('info', false, 'iso'));
    iso.log.info('hello');
    assert.match(String(iso.lines[0]?.['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const epoch = captureLog('info', loggerOptions('info', false, 'epoch'));
    epoch.log.info('hello');
    assert.equal(typeof epoch.lines[0]?.['time'], 'number');
  });
});

describe('webhook failure logs', () => {
  it('warns on the first failed attempt, naming the endpoint and the error', async () => {
    const receiver = await WebhookReceiver.start((_n, _req, res) => {
      res.statusCode = 500;
      res.end('down');
    });
    const out = captureLog('info');
    const g = await startGateway(
      { apps: [testApp({ webhooks: [{ url: receiver.url, event_types: ['channel_occupied'] }] })], webhooks: { batchWindowMs: 0, retryInitialMs: 60_000 } },
      { log: out.log },
    );
    try {
      const { client } = await RawClient.established(g.port);
      await client.subscribe('news');
      const line = await out.waitFor('webhook delivery failed; retrying');
      assert.equal(line['level'], 40);
      assert.equal(line['attempt'], 1);
      assert.equal(line['url'], receiver.url);
      assert.match(String(line['error']), /500/);
      client.close();
    } finally {
      await g.stop();
      await receiver.close();
    }
  });
});

describe('queue logs', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(() => redis.stop());

  it('says once that consuming started, and no "unavailable" warning while Redis is merely connecting', async () => {
    for (let run = 0; run < 3; run++) {
      const out = captureLog('info');
      const stream = `logs-${process.pid}-${run}`;
      const g = await startGateway({ queue: { enabled: true, redisUrl: redis.url, stream, consumer: `c-${run}` } }, { log: out.log });
      try {
        const line = await out.waitFor('queue: consuming');
        assert.equal(line['level'], 30);
        assert.equal(line['stream'], stream);
        assert.deepEqual(out.lines.filter((l) => Number(l['level']) >= 40), [], 'no warning on a healthy start');
      } finally {
        await g.stop();
        const cleanup = new Redis(redis.url);
        await cleanup.del(stream);
        cleanup.disconnect();
      }
    }
  });
});
