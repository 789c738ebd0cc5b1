import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import PusherServer from 'pusher';
import { testApp } from '../helpers/gateway.js';
import { RawClient } from '../helpers/raw-client.js';
import { api, channelAuth } from '../helpers/sign.js';
import { startOpsGateway, until, type OpsGateway } from './ops-harness.js';
import { parsePrometheus, sampleValue, type Sample } from './prom-text.js';

function sdk(port: number, secret = 'app-secret'): PusherServer {
  return new PusherServer({ appId: 'app-id', key: 'app-key', secret, host: '127.0.0.1', port: String(port), useTLS: false });
}

async function scrape(g: OpsGateway): Promise<Sample[]> {
  const res = await fetch(`${g.adminUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parsePrometheus(await res.text());
}

describe('Prometheus metrics after real traffic', () => {
  let g: OpsGateway;
  const app = { app: 'app-id' };

  before(async () => {
    g = await startOpsGateway({ apps: [testApp({ clientEvents: true })] });
  });
  after(() => g.stop());

  it('counts the connections, subscriptions, messages and API requests the test made', async () => {
    const a = await RawClient.established(g.port);
    const b = await RawClient.established(g.port);
    const c = await RawClient.established(g.port);
    // 6 frames in: a sends 3, b 2, c 1.
    await a.client.subscribe('news');
    await b.client.subscribe('news');
    await c.client.subscribe('sports');
    await a.client.subscribe('private-chat', { auth: channelAuth(a.socketId, 'private-chat') });
    await b.client.subscribe('private-chat', { auth: channelAuth(b.socketId, 'private-chat') });
    a.client.send({ event: 'client-typing', channel: 'private-chat', data: { who: 'a' } });
    await b.client.next((f) => f.event === 'client-typing');

    // Two publishes to `news` (2 subscribers each) through the real server SDK, one refused
    // signature, one channel listing.
    await sdk(g.port).trigger('news', 'story', { n: 1 });
    await sdk(g.port).trigger('news', 'story', { n: 2 });
    await assert.rejects(sdk(g.port, 'wrong-secret').trigger('news', 'story', { n: 3 }));
    const listing = await sdk(g.port).get({ path: '/channels' });
    assert.equal(listing.status, 200);
    for (const client of [a.client, b.client]) {
      await client.next((f) => f.event === 'story' && (f.data as { n: number }).n === 2);
    }

    const m = await scrape(g);
    assert.equal(sampleValue(m, 'switchboard_connections', { ...app, transport: 'ws' }), 3);
    assert.equal(sampleValue(m, 'switchboard_connects_total', { ...app, transport: 'ws' }), 3);
    assert.equal(sampleValue(m, 'switchboard_subscriptions', app), 5);
    assert.equal(sampleValue(m, 'switchboard_subscribes_total', app), 5);
    assert.equal(sampleValue(m, 'switchboard_channels', app), 3);
    assert.equal(sampleValue(m, 'switchboard_messages_in_total', app), 6);
    assert.ok((sampleValue(m, 'switchboard_bytes_in_total', app) ?? 0) > 6 * 30);
    // 2 publishes × 2 subscribers + 1 client event to b (a, the sender, is excluded).
    assert.equal(sampleValue(m, 'switchboard_messages_out_total', app), 5);
    assert.ok((sampleValue(m, 'switchboard_bytes_out_total', app) ?? 0) > 5 * 40);
    assert.equal(sampleValue(m, 'switchboard_published_total', app), 2);
    assert.equal(sampleValue(m, 'switchboard_client_events_total', app), 1);
    assert.equal(sampleValue(m, 'switchboard_fanout_recipients_count', app), 3);
    assert.equal(sampleValue(m, 'switchboard_fanout_recipients_bucket', { ...app, le: '1' }), 0);
    assert.equal(sampleValue(m, 'switchboard_fanout_recipients_bucket', { ...app, le: '2' }), 3);
    assert.equal(sampleValue(m, 'switchboard_http_requests_total', { route: 'events', method: 'POST', status: '200' }), 2);
    assert.equal(sampleValue(m, 'switchboard_http_requests_total', { route: 'events', method: 'POST', status: '401' }), 1);
    assert.equal(sampleValue(m, 'switchboard_http_requests_total', { route: 'channels', method: 'GET', status: '200' }), 1);
    assert.equal(sampleValue(m, 'switchboard_http_request_duration_seconds_count', { route: 'events', method: 'POST' }), 3);
    assert.ok((sampleValue(m, 'process_resident_memory_bytes') ?? 0) > 0, 'process memory');
    assert.notEqual(sampleValue(m, 'nodejs_eventloop_lag_p99_seconds'), undefined, 'event-loop lag');

    // A clean close is counted by code, and the gauges come back down.
    c.client.ws.close(1000);
    const closed = await until('the close to be counted', async () => {
      const after = await scrape(g);
      return sampleValue(after, 'switchboard_disconnects_total', { ...app, transport: 'ws', code: '1000' }) === 1 ? after : undefined;
    });
    assert.equal(sampleValue(closed, 'switchboard_connections', { ...app, transport: 'ws' }), 2);
    assert.equal(sampleValue(closed, 'switchboard_subscriptions', app), 4);
    assert.equal(sampleValue(closed, 'switchboard_channels', app), 2);
    assert.equal(sampleValue(closed, 'switchboard_slow_consumer_disconnects_total', app), 0);
    a.client.close();
    b.client.close();
  });

  it('reports refused subscriptions and client errors by catalogue id', async () => {
    const { client } = await RawClient.established(g.port);
    const refused = await client.subscribe('private-secret', { auth: 'app-key:forged' });
    assert.equal(refused.event, 'pusher:subscription_error');
    client.send('not json');
    await client.next('pusher:error');
    const m = await scrape(g);
    assert.equal(sampleValue(m, 'switchboard_subscription_rejections_total', app), 1);
    assert.equal(sampleValue(m, 'switchboard_errors_total', { ...app, code: 'InvalidFrame' }), 1);
    client.close();
  });
});

describe('slow-consumer metric', () => {
  it('counts a client cut off (4100) for not reading', async () => {
    const g = await startOpsGateway({ maxBufferedBytes: 64 * 1024 });
    try {
      const slow = await RawClient.established(g.port);
      await slow.client.subscribe('firehose');
      (slow.client.ws as unknown as { _socket: Socket })._socket.pause();
      const data = 'x'.repeat(9000);
      const connected = (): boolean => [...g.gateway.core.allConnections()].some((c) => c.socketId === slow.socketId);
      for (let sent = 0; connected() && sent < 60 * 1024 * 1024; sent += 10 * data.length) {
        const res = await api(g.port, 'POST', '/apps/app-id/batch_events', { batch: Array.from({ length: 10 }, () => ({ name: 'blob', channel: 'firehose', data })) });
        assert.equal(res.status, 200);
      }
      assert.equal(connected(), false, 'the slow client was not cut off');
      const m = await until('the 4100 close to be counted', async () => {
        const samples = await scrape(g);
        return sampleValue(samples, 'switchboard_slow_consumer_disconnects_total', { app: 'app-id' }) === 1 ? samples : undefined;
      });
      assert.equal(sampleValue(m, 'switchboard_disconnects_total', { app: 'app-id', transport: 'ws', code: '4100' }), 1);
      assert.equal(sampleValue(m, 'switchboard_connections', { app: 'app-id', transport: 'ws' }), 0);
    } finally {
      await g.stop();
    }
  });
});

describe('webhook and queue outcomes', () => {
  it('are counted from the backend observers and webhooks reach the debug console', async () => {
    const g = await startOpsGateway();
    try {
      const seen: string[] = [];
      const stop = g.ops.debugConsole.watch({ types: new Set(['webhook']) }, (b) => seen.push(...b.events.map((e) => `${e.event}: ${e.detail ?? ''}`)));
      const { webhookObserver, queueObserver } = g.ops.gatewayObservers;
      webhookObserver.delivered?.({ appId: 'app-id', url: 'http://hooks.test/a', events: 3, attempts: 2, ms: 40 });
      webhookObserver.retried?.({ appId: 'app-id', url: 'http://hooks.test/a', attempt: 1, reason: 'HTTP 500' });
      webhookObserver.dropped?.({ appId: 'app-id', url: 'http://hooks.test/a', events: 4, reason: 'retry-limit' });
      queueObserver.consumed?.({ appId: 'app-id', events: 2 });
      queueObserver.duplicate?.({ appId: 'app-id' });
      queueObserver.deadLettered?.({ reason: 'entry has no "app_id"' });
      queueObserver.connection?.({ up: true });
      g.ops.debugConsole.flush();
      stop();
      const m = await scrape(g);
      assert.equal(sampleValue(m, 'switchboard_webhook_deliveries_total', { app: 'app-id' }), 1);
      assert.equal(sampleValue(m, 'switchboard_webhook_events_delivered_total', { app: 'app-id' }), 3);
      assert.equal(sampleValue(m, 'switchboard_webhook_delivery_seconds_count', { app: 'app-id' }), 1);
      assert.equal(sampleValue(m, 'switchboard_webhook_retries_total', { app: 'app-id' }), 1);
      assert.equal(sampleValue(m, 'switchboard_webhook_drops_total', { app: 'app-id', reason: 'retry-limit' }), 4);
      assert.equal(sampleValue(m, 'switchboard_queue_entries_total', { app: 'app-id', result: 'consumed' }), 1);
      assert.equal(sampleValue(m, 'switchboard_queue_entries_total', { app: 'app-id', result: 'duplicate' }), 1);
      assert.equal(sampleValue(m, 'switchboard_queue_dead_letters_total'), 1);
      assert.equal(sampleValue(m, 'switchboard_queue_up'), 1);
      assert.deepEqual(seen, [
        'delivered: 3 event(s) to http://hooks.test/a after 2 attempt(s), 40 ms',
        'retry: attempt 1 to http://hooks.test/a failed: HTTP 500',
        'dropped: 4 event(s) for http://hooks.test/a: retry-limit',
      ]);
    } finally {
      await g.stop();
    }
  });
});
