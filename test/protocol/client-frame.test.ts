import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClientFrame } from '../../src/protocol/client-frame.js';
import { GatewayError } from '../../src/protocol/errors.js';

const decode = (text: string) => decodeClientFrame(text, 10_240);

function rejects(text: string, id: string, pattern?: RegExp): void {
  assert.throws(
    () => decode(text),
    (e: unknown) => e instanceof GatewayError && e.kind.id === id && (pattern ? pattern.test(e.message) : true),
    `expected ${id} for ${text}`,
  );
}

test('pusher-js subscribe frame (golden)', () => {
  assert.deepEqual(decode('{"event":"pusher:subscribe","data":{"auth":"","channel":"news"}}'), {
    type: 'subscribe',
    channel: 'news',
    auth: '',
    channelData: undefined,
    since: undefined,
  });
});

test('double-encoded data is accepted', () => {
  const f = decode(JSON.stringify({ event: 'pusher:subscribe', data: JSON.stringify({ channel: 'a', auth: 'k:s', channel_data: '{"user_id":"1"}' }) }));
  assert.deepEqual(f, { type: 'subscribe', channel: 'a', auth: 'k:s', channelData: '{"user_id":"1"}', since: undefined });
});

test('ping, pong, unsubscribe, signin, client events', () => {
  assert.deepEqual(decode('{"event":"pusher:ping","data":{}}'), { type: 'ping' });
  assert.deepEqual(decode('{"event":"pusher:pong","data":{}}'), { type: 'pong' });
  assert.deepEqual(decode('{"event":"pusher:unsubscribe","data":{"channel":"x"}}'), { type: 'unsubscribe', channel: 'x' });
  assert.deepEqual(decode('{"event":"pusher:signin","data":{"auth":"k:s","user_data":"{}"}}'), { type: 'signin', auth: 'k:s', userData: '{}' });
  assert.deepEqual(decode('{"event":"client-typing","channel":"private-a","data":{"t":1}}'), { type: 'client-event', event: 'client-typing', channel: 'private-a', data: { t: 1 } });
});

test('malformed input is refused with InvalidFrame', () => {
  rejects('not json', 'InvalidFrame', /valid JSON/);
  rejects('[1,2]', 'InvalidFrame', /object/);
  rejects('"str"', 'InvalidFrame', /object/);
  rejects('null', 'InvalidFrame', /object/);
  rejects('{"data":{}}', 'InvalidFrame', /event/);
  rejects('{"event":42,"data":{}}', 'InvalidFrame', /event/);
  rejects('{"event":"pusher:subscribe"}', 'InvalidFrame', /missing/);
  rejects('{"event":"pusher:subscribe","data":{"channel":7}}', 'InvalidFrame', /channel/);
  rejects('{"event":"pusher:subscribe","data":"{oops"}', 'InvalidFrame', /valid JSON/);
  rejects('{"event":"pusher:subscribe","data":[1]}', 'InvalidFrame', /object/);
  rejects('{"event":"pusher:subscribe","data":{"channel":"a","auth":5}}', 'InvalidFrame', /auth/);
  rejects('{"event":"pusher:signin","data":{"auth":"x"}}', 'InvalidFrame', /user_data/);
  rejects('{"event":"pusher:bogus","data":{}}', 'InvalidFrame', /unknown event/);
  rejects('{"event":"pusher_internal:member_added","data":{}}', 'InvalidFrame', /unknown event/);
});

test('non-client events and client events without channel are refused', () => {
  rejects('{"event":"my-event","channel":"a","data":{}}', 'ClientEventRejected', /client-/);
  rejects('{"event":"client-x","data":{}}', 'ClientEventRejected', /channel/);
  rejects(JSON.stringify({ event: `client-${'e'.repeat(200)}`, channel: 'private-a', data: {} }), 'ClientEventRejected', /longer/);
});

test('oversized frames are refused before parsing', () => {
  rejects(JSON.stringify({ event: 'client-x', channel: 'private-a', data: 'x'.repeat(10_241) }), 'FrameTooLarge');
});
