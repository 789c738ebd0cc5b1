import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';

type Answer = { events: Array<{ event: string; data: string; position: string }>; recovered: boolean; position: string | null; error?: string };

describe('GET /apps/{id}/channels/{name}/history', () => {
  let gw: TestGateway;
  const other = { key: 'other-key', secret: 'other-secret' };
  const history = (channel: string, extra: Record<string, string> = {}, opts: { appId?: string; key?: string; secret?: string } = {}) =>
    api(gw.port, 'GET', `/apps/${opts.appId ?? 'app-id'}/channels/${encodeURIComponent(channel)}/history`, undefined, { extra, ...(opts.key ? { key: opts.key, secret: opts.secret } : {}) }) as Promise<{ status: number; body: Answer & { error?: string } }>;
  const publish = (channel: string, n: number, appId = 'app-id', auth: { key?: string; secret?: string } = {}) =>
    api(gw.port, 'POST', `/apps/${appId}/events`, { name: 'tick', channel, data: String(n) }, auth);

  before(async () => {
    gw = await startGateway({
      apps: [
        testApp({ history: [{ pattern: 'log-*', maxEvents: 5, ttlSeconds: 300 }] }),
        { id: 'other', ...other, history: [{ pattern: 'log-*', maxEvents: 5, ttlSeconds: 300 }] },
      ],
    });
    for (let i = 1; i <= 8; i++) await publish('log-a', i);
  });
  after(() => gw.stop());

  test('without since: the newest retained events and where to continue', async () => {
    const res = await history('log-a');
    assert.equal(res.status, 200);
    assert.equal(res.body.recovered, true);
    assert.deepEqual(res.body.events.map((e) => e.data), ['4', '5', '6', '7', '8']);
    assert.equal(res.body.position, res.body.events.at(-1)?.position);
    const two = await history('log-a', { limit: '2' });
    assert.deepEqual(two.body.events.map((e) => e.data), ['7', '8']);
  });

  test('since and limit page through the gap; since=latest is only the position', async () => {
    const all = await history('log-a');
    const from = all.body.events[0]?.position as string;
    const page = await history('log-a', { since: from, limit: '2' });
    assert.deepEqual(page.body.events.map((e) => [e.event, e.data]), [['tick', '5'], ['tick', '6']]);
    const rest = await history('log-a', { since: page.body.position as string });
    assert.deepEqual(rest.body.events.map((e) => e.data), ['7', '8']);
    const done = await history('log-a', { since: rest.body.position as string });
    assert.deepEqual(done.body, { events: [], recovered: true, position: rest.body.position });
    const latest = await history('log-a', { since: 'latest' });
    assert.deepEqual(latest.body, { events: [], recovered: true, position: rest.body.position });
  });

  test('a gap no longer retained, a foreign epoch, a future offset: recovered false, no events, the latest position', async () => {
    const tip = (await history('log-a', { since: 'latest' })).body.position as string;
    const epoch = tip.split(':')[0];
    for (const [since, why] of [[`${epoch}:1`, /no longer in history/], ['someEpoch:3', /epoch/], [`${epoch}:99`, /ahead/]] as const) {
      const res = await history('log-a', { since });
      assert.equal(res.status, 200, since);
      assert.deepEqual(res.body.events, []);
      assert.equal(res.body.recovered, false);
      assert.match(String(res.body.error), why);
      assert.equal(res.body.position, tip);
    }
  });

  test("another app's positions are foreign: nothing of either app is revealed", async () => {
    await publish('log-a', 1, 'other', other);
    const theirs = await history('log-a', {}, { appId: 'other', ...other });
    assert.deepEqual(theirs.body.events.map((e) => e.data), ['1']);
    const mine = await history('log-a', { since: theirs.body.position as string });
    assert.equal(mine.body.recovered, false);
    assert.deepEqual(mine.body.events, []);
    // Signed with the other app's credentials, app-id's history stays closed.
    const crossed = await history('log-a', {}, { key: other.key, secret: other.secret });
    assert.equal(crossed.status, 401);
  });

  test('bad requests: channels without history, malformed since, bad limits, unsigned', async () => {
    const none = await history('plain');
    assert.equal(none.status, 400);
    assert.match(String(none.body.error), /has no history/);
    for (const since of ['garbage', '../x:1', 'a:b', `${'e'.repeat(50)}:1`, ':1']) {
      const res = await history('log-a', { since });
      assert.equal(res.status, 400, since);
      assert.match(String(res.body.error), /malformed since/);
    }
    for (const limit of ['0', '-1', 'abc', '1.5']) {
      const res = await history('log-a', { limit });
      assert.equal(res.status, 400, limit);
      assert.match(String(res.body.error), /limit/);
    }
    const big = await history('log-a', { limit: '100000' });
    assert.equal(big.status, 200, 'limit is capped, not refused');
    const invalid = await history('bad channel!');
    assert.equal(invalid.status, 400);
    const unsigned = await fetch(`http://127.0.0.1:${gw.port}/apps/app-id/channels/log-a/history`);
    assert.equal(unsigned.status, 401);
  });
});
