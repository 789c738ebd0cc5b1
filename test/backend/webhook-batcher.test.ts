import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookBatcher, type WebhookedApp } from '../../src/backend/webhook-batcher.js';
import type { WebhookEvent } from '../../src/backend/webhook-event.js';
import type { WebhookKind } from '../../src/protocol/webhook-kinds.js';

function app(kinds: WebhookKind[]): WebhookedApp {
  return { id: 'a', key: 'k', secret: 's', targets: [{ url: 'http://127.0.0.1/hook', eventTypes: new Set(kinds), headers: {} }] };
}

/** A sink that records batches and lets a test await the next one. */
function collector(): { batches: WebhookEvent[][]; next: () => Promise<WebhookEvent[]>; sink: (events: readonly WebhookEvent[]) => void } {
  const batches: WebhookEvent[][] = [];
  const waiters: Array<(b: WebhookEvent[]) => void> = [];
  return {
    batches,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    sink: (events) => {
      batches.push([...events]);
      waiters.shift()?.([...events]);
    },
  };
}

test('a departure undone on another node is not reported when its grace ends', async () => {
  const c = collector();
  const checked: string[] = [];
  const batcher = new WebhookBatcher([app(['channel_vacated', 'member_removed'])], (_a, _t, events) => c.sink(events), { batchWindowMs: 10, holdBackMs: 50, maxEventsPerRequest: 100 }, async (_appId, event) => {
    checked.push(event.name);
    return event.name === 'member_removed'; // The channel is occupied again elsewhere; the member is really gone.
  });
  const next = c.next();
  batcher.channelVacated({ appId: 'a', channel: 'news' });
  batcher.memberRemoved({ appId: 'a', channel: 'presence-x', userId: 'u1' });
  assert.deepEqual(await next, [{ name: 'member_removed', channel: 'presence-x', user_id: 'u1' }]);
  assert.deepEqual(checked.sort(), ['channel_vacated', 'member_removed']);
  batcher.close();
  assert.equal(c.batches.length, 1);
});

test('events of kinds no webhook wants are not collected, and a full batch goes out before the window ends', async () => {
  const c = collector();
  const batcher = new WebhookBatcher([app(['channel_occupied'])], (_a, _t, events) => c.sink(events), { batchWindowMs: 60_000, holdBackMs: 0, maxEventsPerRequest: 3 });
  const next = c.next();
  batcher.cacheMiss({ appId: 'a', channel: 'cache-x' });
  batcher.channelVacated({ appId: 'a', channel: 'x' });
  for (const channel of ['c1', 'c2', 'c3']) batcher.channelOccupied({ appId: 'a', channel });
  assert.deepEqual((await next).map((e) => e.channel), ['c1', 'c2', 'c3']);
  batcher.channelOccupied({ appId: 'b-unknown', channel: 'c4' });
  batcher.channelOccupied({ appId: 'a', channel: 'c5' });
  batcher.close(); // Flushes what is collected.
  assert.deepEqual(c.batches.map((b) => b.map((e) => e.channel)), [['c1', 'c2', 'c3'], ['c5']]);
});
