import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, type Frame } from '../helpers/raw-client.js';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';

const publish = (port: number, channel: string, n: number) => api(port, 'POST', '/apps/app-id/events', { name: 'tick', channel, data: String(n) });

describe('resumable channels over the Pusher protocol', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({ apps: [testApp({ history: [{ pattern: 'feed-*', maxEvents: 20, ttlSeconds: 60 }] })] });
  });
  after(() => gw.stop());

  test('events on history channels carry a position; other channels do not', async () => {
    const { client } = await RawClient.established(gw.port);
    await client.subscribe('feed-a');
    await client.subscribe('plain');
    await publish(gw.port, 'feed-a', 1);
    await publish(gw.port, 'plain', 1);
    const withPos = await client.next((f) => f.event === 'tick' && f.channel === 'feed-a');
    const without = await client.next((f) => f.event === 'tick' && f.channel === 'plain');
    assert.match(String(withPos['position']), /^[A-Za-z0-9_-]+:1$/);
    assert.equal(without['position'], undefined);
    client.close();
  });

  test('since replays the gap in order, then resume {recovered:true}, then live events, with no duplicates', async () => {
    const first = await RawClient.established(gw.port);
    await first.client.subscribe('feed-b');
    await publish(gw.port, 'feed-b', 0);
    const seen = await first.client.next('tick');
    const since = String(seen['position']);
    first.client.close();
    for (let i = 1; i <= 10; i++) await publish(gw.port, 'feed-b', i);
    const again = await RawClient.established(gw.port);
    again.client.send({ event: 'pusher:subscribe', data: { channel: 'feed-b', auth: '', since } });
    // Publish while the resume is in flight: it must come after the replay, exactly once.
    const live = publish(gw.port, 'feed-b', 11);
    const resume = await again.client.next('pusher_internal:resume');
    assert.equal((resume.data as { recovered: boolean }).recovered, true);
    await live;
    await again.client.next((f: Frame) => f.event === 'tick' && f.data === 11);
    const ticks = again.client.frames.filter((f) => f.event === 'tick').map((f) => f.data);
    assert.deepEqual(ticks, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const at = (pred: (f: Frame) => boolean) => again.client.frames.findIndex(pred);
    const succeeded = at((f) => f.event === 'pusher_internal:subscription_succeeded');
    const resumed = at((f) => f.event === 'pusher_internal:resume');
    assert.ok(succeeded < at((f) => f.data === 1), 'replay after subscription_succeeded');
    assert.ok(at((f) => f.data === 10) < resumed && resumed < at((f) => f.data === 11), 'resume between the replay and the live event');
    again.client.close();
  });

  test('a gap larger than history: recovered false and no partial replay', async () => {
    const { client } = await RawClient.established(gw.port);
    await client.subscribe('feed-c');
    await publish(gw.port, 'feed-c', 0);
    const since = String((await client.next('tick'))['position']);
    client.close();
    for (let i = 1; i <= 25; i++) await publish(gw.port, 'feed-c', i);
    const again = await RawClient.established(gw.port);
    again.client.send({ event: 'pusher:subscribe', data: { channel: 'feed-c', auth: '', since } });
    const resume = await again.client.next('pusher_internal:resume');
    assert.equal((resume.data as { recovered: boolean }).recovered, false);
    assert.equal(again.client.frames.filter((f) => f.event === 'tick').length, 0);
    again.client.close();
  });

  test('malformed, foreign and future positions, and channels without history: recovered false with a reason', async () => {
    const { client } = await RawClient.established(gw.port);
    await client.subscribe('feed-d');
    await publish(gw.port, 'feed-d', 1);
    const pos = String((await client.next('tick'))['position']);
    const [epoch] = pos.split(':');
    const cases: Array<[string, string, RegExp]> = [
      ['feed-e', 'garbage', /malformed/],
      ['feed-f', '../../etc:1', /malformed/],
      ['feed-d', `${epoch}:999`, /ahead/],
      ['feed-d', 'otherEpoch:1', /epoch/],
      ['plain-2', pos, /no history/],
    ];
    for (const [channel, since, why] of cases) {
      const c = await RawClient.established(gw.port);
      c.client.send({ event: 'pusher:subscribe', data: { channel, auth: '', since } });
      const resume = await c.client.next('pusher_internal:resume');
      const data = resume.data as { recovered: boolean; error: string };
      assert.equal(data.recovered, false, since);
      assert.match(data.error, why);
      assert.equal(c.client.frames.filter((f) => f.event === 'tick').length, 0);
      c.client.close();
    }
    client.close();
  });
});
