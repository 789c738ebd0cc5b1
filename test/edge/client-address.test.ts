import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientAddress, normalizeAddress, parseProxyEntry, TrustedProxies } from '../../src/edge/client-address.js';
import { loadConfig } from '../../src/ops/config.js';

/** Sends one real request over loopback and returns what clientAddress made of it on the server. */
async function seen(trusted: readonly string[], headers: Record<string, string | string[]>): Promise<string> {
  let result = '';
  const server = createServer((req: IncomingMessage, res) => {
    result = clientAddress(req, trusted);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return result;
}

test('no trusted proxies: the TCP peer, whatever X-Forwarded-For says', async () => {
  assert.equal(await seen([], { 'x-forwarded-for': '203.0.113.9' }), '127.0.0.1');
  assert.equal(await seen([], {}), '127.0.0.1');
});

test('a peer that is not trusted cannot name the client', async () => {
  assert.equal(await seen(['10.0.0.0/8', '127.0.0.2'], { 'x-forwarded-for': '203.0.113.9' }), '127.0.0.1');
});

test('a trusted peer: the right-most address that is not a trusted proxy', async () => {
  assert.equal(await seen(['127.0.0.1'], { 'x-forwarded-for': '203.0.113.9' }), '203.0.113.9');
  // A client-supplied left part is ignored: only the hops our proxies appended count.
  assert.equal(await seen(['127.0.0.1'], { 'x-forwarded-for': '1.1.1.1, 203.0.113.9' }), '203.0.113.9');
  // Chains of trusted proxies are walked past.
  assert.equal(await seen(['127.0.0.0/8', '10.0.0.0/8'], { 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.1.2.3' }), '203.0.113.9');
  // Repeated headers are one list in arrival order.
  assert.equal(await seen(['127.0.0.1', '10.0.0.0/8'], { 'x-forwarded-for': ['198.51.100.7', '10.0.0.5'] }), '198.51.100.7');
  // Ports and IPv6 brackets some proxies add, and IPv4-mapped IPv6.
  assert.equal(await seen(['127.0.0.1'], { 'x-forwarded-for': '203.0.113.9:4711' }), '203.0.113.9');
  assert.equal(await seen(['127.0.0.1'], { 'x-forwarded-for': '[2001:db8::1]:4711' }), '2001:db8::1');
  assert.equal(await seen(['127.0.0.1'], { 'x-forwarded-for': '::ffff:203.0.113.9' }), '203.0.113.9');
});

test('a trusted peer without the header, or every hop trusted, or garbage: the nearest hop we can vouch for', async () => {
  assert.equal(await seen(['127.0.0.1'], {}), '127.0.0.1');
  assert.equal(await seen(['127.0.0.1', '10.0.0.0/8'], { 'x-forwarded-for': '10.0.0.1, 10.0.0.2' }), '10.0.0.1');
  assert.equal(await seen(['127.0.0.1'], { 'x-forwarded-for': 'unknown' }), '127.0.0.1');
  assert.equal(await seen(['127.0.0.1', '10.0.0.0/8'], { 'x-forwarded-for': '203.0.113.9, <script>, 10.0.0.2' }), '10.0.0.2');
  assert.equal(await seen(['127.0.0.1'], { 'x-forwarded-for': '' }), '127.0.0.1');
});

test('TrustedProxies matches addresses and ranges of both families', () => {
  const t = new TrustedProxies(['10.0.0.0/8', '192.0.2.1', '::1', 'fd00::/8']);
  assert.ok(t.trusts('10.255.0.1'));
  assert.ok(t.trusts('::ffff:10.0.0.1'));
  assert.ok(t.trusts('192.0.2.1'));
  assert.ok(!t.trusts('192.0.2.2'));
  assert.ok(t.trusts('::1'));
  assert.ok(t.trusts('fdab::7'));
  assert.ok(!t.trusts('fe80::1'));
  assert.ok(!t.trusts('not-an-address'));
  assert.ok(!new TrustedProxies([]).trusts('127.0.0.1'));
  assert.throws(() => new TrustedProxies(['10.0.0.0/33']), /not an address/);
  assert.equal(normalizeAddress('::FFFF:127.0.0.1'), '127.0.0.1');
  assert.equal(parseProxyEntry('1.2.3.4/x'), undefined);
  assert.deepEqual(parseProxyEntry('2001:db8::/32'), { address: '2001:db8::', family: 'ipv6', prefix: 32 });
});

test('config trustedProxies: validated, named in the error, empty by default', () => {
  assert.deepEqual(loadConfig({ env: {} }).config.trustedProxies, []);
  assert.deepEqual(loadConfig({ env: { SWITCHBOARD_TRUSTED_PROXIES: '["10.0.0.0/8","::1"]' } }).config.trustedProxies, ['10.0.0.0/8', '::1']);
  assert.throws(() => loadConfig({ env: {}, flags: { trustedProxies: ['10.0.0.0/8', 'proxy.local'] } }), /"trustedProxies\.1".*IP address or CIDR/);
});
