import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DebugConsole, type DebugBatch } from '../../src/ops/debug-console.js';
import { RawClient } from '../helpers/raw-client.js';
import { api, channelAuth } from '../helpers/sign.js';
import { adminJson, startOpsGateway, type OpsGateway } from './ops-harness.js';

describe('admin JSON API', () => {
  let g: OpsGateway;
  before(async () => {
    g = await startOpsGateway();
  });
  after(() => g.stop());

  it('lists per-app figures, the busiest channels and presence members', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.established(g.port)));
    for (const { client } of clients) await client.subscribe('busy');
    await clients[0]?.client.subscribe('quiet');
    for (const [i, { client, socketId }] of clients.slice(0, 2).entries()) {
      const data = JSON.stringify({ user_id: `user-${i}`, user_info: { name: `User ${i}` } });
      const ok = await client.subscribe('presence-room', { auth: channelAuth(socketId, 'presence-room', data), channel_data: data });
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    }

    const overview = await adminJson(g, '/api/overview?history=app-id');
    assert.equal(overview.status, 200);
    const node = overview.body['node'] as Record<string, unknown>;
    assert.equal(node['ready'], true);
    assert.equal(node['connections'], 3);
    const apps = overview.body['apps'] as Array<Record<string, unknown>>;
    assert.equal(apps.length, 1);
    assert.equal(apps[0]?.['connections'], 3);
    assert.equal(apps[0]?.['subscriptions'], 6);
    assert.equal(apps[0]?.['channels'], 3);
    assert.deepEqual(apps[0]?.['connectionsByTransport'], { ws: 3 });
    assert.ok(apps[0]?.['history'], 'history of the chosen app');

    const busiest = await adminJson(g, '/api/apps/app-id/channels?limit=2');
    assert.deepEqual(busiest.body, {
      channels: [
        { name: 'busy', subscriptions: 3 },
        { name: 'presence-room', subscriptions: 2, members: 2 },
      ],
    });

    const members = await adminJson(g, `/api/apps/app-id/channels/${encodeURIComponent('presence-room')}/members`);
    assert.deepEqual(members.body, {
      total: 2,
      members: [
        { id: 'user-0', info: { name: 'User 0' } },
        { id: 'user-1', info: { name: 'User 1' } },
      ],
    });
    assert.equal((await adminJson(g, '/api/apps/app-id/channels/busy/members')).status, 400);
    assert.equal((await adminJson(g, '/api/apps/nope/channels')).status, 404);
    for (const { client } of clients) client.close();
  });

  it('publishes a test event with the HTTP API limits', async () => {
    const { client } = await RawClient.established(g.port);
    await client.subscribe('test-channel');
    const sent = await adminJson(g, '/api/apps/app-id/events', { method: 'POST', body: { channel: 'test-channel', event: 'test-event', data: '{"hello":1}' } });
    assert.deepEqual(sent, { status: 200, body: { ok: true, channel: 'test-channel', event: 'test-event' } });
    const frame = await client.next('test-event');
    assert.deepEqual(frame.data, { hello: 1 });

    const badChannel = await adminJson(g, '/api/apps/app-id/events', { method: 'POST', body: { channel: 'bad channel!', event: 'e', data: 'x' } });
    assert.equal(badChannel.status, 400);
    const tooBig = await adminJson(g, '/api/apps/app-id/events', { method: 'POST', body: { channel: 'test-channel', event: 'e', data: 'x'.repeat(20_000) } });
    assert.equal(tooBig.status, 413);
    const noToken = await adminJson(g, '/api/apps/app-id/events', { method: 'POST', token: null, body: { channel: 'test-channel', event: 'e', data: 'x' } });
    assert.equal(noToken.status, 401);
    const form = await fetch(`${g.adminUrl}/api/apps/app-id/events`, { method: 'POST', headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'channel=x' });
    assert.equal(form.status, 400, 'only JSON, so a cross-site form cannot publish');
    client.close();
  });

  it('streams a sampled debug console: 1,000 publishes arrive as bounded batches with a dropped count', async () => {
    const controller = new AbortController();
    const res = await fetch(`${g.adminUrl}/api/events?app=app-id&types=publish&q=flood`, { headers: { authorization: `Bearer ${g.token}` }, signal: controller.signal });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const batches: DebugBatch[] = [];
    let shown = 0;
    let dropped = 0;
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const batch = JSON.parse(data.slice(6)) as DebugBatch;
          batches.push(batch);
          shown += batch.events.length;
          dropped += batch.dropped;
          if (shown + dropped >= 1000) return;
        }
      }
    })();
    // The stream is open once headers arrived; publish 1,000 matching events and some that do not match.
    const batch = (channel: string) => ({ batch: Array.from({ length: 10 }, (_, i) => ({ name: `e${i}`, channel, data: 'x' })) });
    for (let i = 0; i < 100; i++) {
      assert.equal((await api(g.port, 'POST', '/apps/app-id/batch_events', batch('flood')))?.status, 200);
      if (i % 10 === 0) await api(g.port, 'POST', '/apps/app-id/batch_events', batch('other'));
    }
    await reading;
    controller.abort();
    assert.equal(shown + dropped, 1000, 'every matching event is either shown or counted');
    assert.ok(batches.every((b) => b.events.length <= 50), 'no batch over the bound');
    assert.ok(batches.every((b) => b.events.every((e) => e.type === 'publish' && e.channel === 'flood')), 'the filter applies');
    assert.ok(shown < 1000, `sampled (${shown} shown)`);
  });
});

describe('DebugConsole', () => {
  it('keeps at most maxPerBatch events per flush, in order, and counts the rest', () => {
    const dc = new DebugConsole({ flushMs: 60_000, maxPerBatch: 10, previewChars: 5 });
    const got: DebugBatch[] = [];
    dc.record({ type: 'publish', appId: 'a', channel: 'c', detail: 'ignored: nobody watches' });
    const stop = dc.watch({ types: new Set(['publish']) }, (b) => got.push(b));
    let previews = 0;
    for (let i = 0; i < 1000; i++) {
      dc.record({ type: 'publish', appId: 'a', channel: `c${i}`, detail: () => `${++previews}-long-detail` });
      dc.record({ type: 'subscribed', appId: 'a', channel: 'filtered-out' });
    }
    dc.flush();
    stop();
    assert.equal(got.length, 1);
    const [batch] = got as [DebugBatch];
    assert.equal(batch.events.length, 10);
    assert.equal(batch.dropped, 990);
    assert.equal(previews, 10, 'details are only built for the events kept');
    const seqs = batch.events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    assert.ok(batch.events.every((e) => e.detail?.endsWith('…') && e.detail.length === 6));
    dc.flush();
    assert.equal(got.length, 1, 'nothing sent to a watcher that stopped');
    dc.close();
  });
});
