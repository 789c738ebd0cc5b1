import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerFrames } from '../../src/protocol/server-frame.js';

test('channel events encode like JSON.stringify of {event, channel, data}, across many channels and events', () => {
  // The encoder reuses the escaped event and data of the previous call; every change must show.
  const cases: Array<[string, string, unknown]> = [
    ['news', 'story', '{"n":1}'],
    ['sports', 'story', '{"n":1}'],
    ['sports', 'story', '{"n":2}'],
    ['sports', 'score', '{"n":2}'],
    ['#server-to-user-"quoted"\\id', 'score', '{"n":2}'],
    ['news', 'quote"and\\slash\n', 'line\nbreak "and" unicode ☃ \u2028'],
    ['news', 'story', { object: true }],
    ['news', 'story', '{"n":1}'],
  ];
  for (const [channel, event, data] of cases) {
    const text = ServerFrames.channelEvent(channel, event, data);
    assert.equal(text, JSON.stringify({ event, channel, data }));
    assert.deepEqual(JSON.parse(text), { event, channel, data });
  }
});

test('channel events carry user_id and position only when given', () => {
  assert.deepEqual(JSON.parse(ServerFrames.channelEvent('presence-room', 'client-typing', { a: 1 }, 'u1')), {
    event: 'client-typing',
    channel: 'presence-room',
    data: { a: 1 },
    user_id: 'u1',
  });
  assert.deepEqual(JSON.parse(ServerFrames.channelEvent('history-x', 'e', 'd', undefined, '7:42')), { event: 'e', channel: 'history-x', data: 'd', position: '7:42' });
});
