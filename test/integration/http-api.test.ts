import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { api, signedPath } from '../helpers/sign.js';

describe('HTTP API', () => {
  let gw: TestGateway;
  const url = (p: string) => `http://127.0.0.1:${gw.port}${p}`;
  before(async () => {
    gw = await startGateway({ apps: [testApp(), testApp({ id: 'off', key: 'off-key', enabled: false }), testApp({ id: 'other', key: 'other-key', secret: 'other-secret' })] });
  });
  after(() => gw.stop());

  test('publish to one channel and to many; socket_id exclusion', async () => {
    const a = await RawClient.established(gw.port);
    const b = await RawClient.established(gw.port);
    await a.client.subscribe('c1');
    await b.client.subscribe('c1');
    await b.client.subscribe('c2');
    let res = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channels: ['c1', 'c2'], data: 'multi' });
    assert.deepEqual(res, { status: 200, body: {} });
    await a.client.next((f) => f.event === 'e' && f.channel === 'c1');
    await b.client.next((f) => f.event === 'e' && f.channel === 'c1');
    await b.client.next((f) => f.event === 'e' && f.channel === 'c2');
    res = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'skip', channel: 'c1', data: 'x', socket_id: a.socketId });
    assert.equal(res.status, 200);
    await b.client.next('skip');
    a.client.send({ event: 'pusher:ping', data: {} });
    await a.client.next('pusher:pong');
    assert.equal(a.client.frames.filter((f) => f.event === 'skip').length, 0, 'excluded socket got the event');
    a.client.close();
    b.client.close();
  });

  test('info returns counts', async () => {
    const a = await RawClient.established(gw.port);
    await a.client.subscribe('counted');
    const res = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channels: ['counted', 'empty'], data: 'x', info: 'subscription_count' });
    assert.deepEqual(res.body, { channels: { counted: { subscription_count: 1 }, empty: { subscription_count: 0 } } });
    a.client.close();
  });

  test('batch_events', async () => {
    const a = await RawClient.established(gw.port);
    await a.client.subscribe('b1');
    const res = await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch: [{ name: 'x', channel: 'b1', data: '1' }, { name: 'y', channel: 'b1', data: '2' }] });
    assert.deepEqual(res, { status: 200, body: {} });
    await a.client.next('x');
    await a.client.next('y');
    a.client.close();
  });

  test('limits are worded as Pusher words them: an event over the size limit, a batch with too many events', async () => {
    const big = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: 'x'.repeat(10_241) });
    assert.deepEqual(big, { status: 413, body: { error: 'The data content of this event exceeds the allowed maximum (10240 bytes).' } });
    // Exactly at the limit is fine.
    assert.equal((await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: 'x'.repeat(10_240) })).status, 200);
    // Bytes, not characters: 3,414 euro signs are 10,242 bytes.
    assert.equal((await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: '\u20ac'.repeat(3_414) })).status, 413);
    const bigInBatch = await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch: [{ name: 'e', channel: 'a', data: 'x' }, { name: 'e', channel: 'a', data: 'x'.repeat(10_241) }] });
    assert.deepEqual(bigInBatch, big);
    const tooMany = await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch: Array.from({ length: 11 }, () => ({ name: 'x', channel: 'b1', data: '1' })) });
    assert.deepEqual(tooMany, { status: 400, body: { error: 'Batch too large: 11 events, the maximum is 10.' } });
    assert.equal((await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch: Array.from({ length: 10 }, () => ({ name: 'x', channel: 'b1', data: '1' })) })).status, 200);
  });

  test('channels listing and channel info', async () => {
    const a = await RawClient.established(gw.port);
    await a.client.subscribe('list-a');
    await a.client.subscribe('list-b');
    await a.client.subscribe('other');
    const all = await api(gw.port, 'GET', '/apps/app-id/channels', undefined, { extra: { filter_by_prefix: 'list-' } });
    assert.deepEqual(all.body, { channels: { 'list-a': {}, 'list-b': {} } });
    const counted = await api(gw.port, 'GET', '/apps/app-id/channels', undefined, { extra: { filter_by_prefix: 'list-', info: 'subscription_count' } });
    assert.deepEqual(counted.body, { channels: { 'list-a': { subscription_count: 1 }, 'list-b': { subscription_count: 1 } } });
    const one = await api(gw.port, 'GET', '/apps/app-id/channels/list-a', undefined, { extra: { info: 'subscription_count' } });
    assert.deepEqual(one.body, { occupied: true, subscription_count: 1 });
    const none = await api(gw.port, 'GET', '/apps/app-id/channels/nobody-here');
    assert.deepEqual(none.body, { occupied: false });
    const userCount = await api(gw.port, 'GET', '/apps/app-id/channels', undefined, { extra: { info: 'user_count' } });
    assert.equal(userCount.status, 400);
    a.client.close();
  });

  test('a channel named __proto__ is listed and counted like any other', async () => {
    const a = await RawClient.established(gw.port);
    assert.equal((await a.client.subscribe('__proto__')).event, 'pusher_internal:subscription_succeeded');
    const own = (body: Record<string, unknown>): Record<string, unknown> => {
      const channels = body['channels'] as Record<string, unknown>;
      assert.ok(Object.hasOwn(channels, '__proto__'), `__proto__ listed in ${JSON.stringify(body)}`);
      return channels['__proto__'] as Record<string, unknown>;
    };
    const listed = await api(gw.port, 'GET', '/apps/app-id/channels', undefined, { extra: { filter_by_prefix: '__' } });
    assert.deepEqual(own(listed.body), {});
    const counted = await api(gw.port, 'GET', '/apps/app-id/channels', undefined, { extra: { filter_by_prefix: '__', info: 'subscription_count' } });
    assert.deepEqual(own(counted.body), { subscription_count: 1 });
    const published = await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channels: ['__proto__'], data: 'x', info: 'subscription_count' });
    assert.deepEqual(own(published.body), { subscription_count: 1 });
    const batch = await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch: [{ name: 'e', channel: '__proto__', data: 'x', info: 'subscription_count' }] });
    assert.deepEqual(batch.body, { batch: [{ subscription_count: 1 }] });
    a.client.close();
  });

  test('error statuses: 400 / 401 / 403 / 404 / 405 / 413 with a JSON error body', async () => {
    const expectError = (res: { status: number; body: Record<string, unknown> }, status: number) => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(typeof res.body['error'], 'string');
    };
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', 'not json'), 400);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', '[1]'), 400);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', data: 'x' }), 400);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'bad name', data: 'x' }), 400);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: { not: 'a string' } }), 400);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channels: Array.from({ length: 101 }, (_, i) => `c${i}`), data: 'x' }), 400);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: 'x', socket_id: 'abc' }), 400);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: 'x'.repeat(10_241) }), 413);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: 'x' }, { secret: 'wrong' }), 401);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: 'x' }, { key: 'other-key', secret: 'other-secret' }), 401);
    expectError(await api(gw.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'a', data: 'x' }, { timestamp: Math.floor(Date.now() / 1000) - 601 }), 401);
    expectError(await api(gw.port, 'POST', '/apps/off/events', { name: 'e', channel: 'a', data: 'x' }, { key: 'off-key' }), 403);
    expectError(await api(gw.port, 'POST', '/apps/missing/events', { name: 'e', channel: 'a', data: 'x' }), 404);
    expectError(await api(gw.port, 'GET', '/apps/app-id/nothing-here'), 404);
    expectError(await api(gw.port, 'GET', '/apps/app-id/events'), 405);
    expectError(await api(gw.port, 'GET', '/apps/app-id/channels/public-one/users'), 400);
  });

  test('wrong body_md5 and tampered query are 401', async () => {
    const body = JSON.stringify({ name: 'e', channel: 'a', data: 'x' });
    const path = signedPath('POST', '/apps/app-id/events', body);
    let res = await fetch(url(path), { method: 'POST', body: body.replace('"x"', '"y"'), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: string }).error, /body_md5/);
    res = await fetch(url(path.replace('auth_version=1.0', 'auth_version=1.0&extra=1')), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 401);
    res = await fetch(url('/apps/app-id/events'), { method: 'POST', body });
    assert.equal(res.status, 401);
  });

  test('oversized body is 413 without reading it all', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const res = await fetch(url(signedPath('POST', '/apps/app-id/events', huge)), { method: 'POST', body: huge });
    assert.equal(res.status, 413);
  });

  test('CORS preflight and headers', async () => {
    const pre = await fetch(url('/apps/app-id/events'), { method: 'OPTIONS', headers: { origin: 'https://x.example', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    const res = await api(gw.port, 'GET', '/apps/app-id/channels');
    assert.equal(res.status, 200);
  });

  test('GET /health', async () => {
    const res = await fetch(url('/health'));
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
  });
});
