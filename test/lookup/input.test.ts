import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkDomains, normalizeDomain } from '../../src/lookup/index.js';
import { fakeWhois, type Counted } from './fakes.js';

let server: Counted | undefined;
after(async () => {
  await server?.close();
});

test('UTS-46 non-transitional: ß kept, case folded, output carries both forms', () => {
  const r = normalizeDomain('Faß.DE');
  assert.deepEqual(r.ok && [r.ascii, r.unicode], ['xn--fa-hia.de', 'faß.de']);
  const b = normalizeDomain('BÜCHER.de');
  assert.deepEqual(b.ok && [b.ascii, b.unicode], ['xn--bcher-kva.de', 'bücher.de']);
  const a = normalizeDomain('xn--bcher-kva.de');
  assert.deepEqual(a.ok && a.unicode, 'bücher.de');
});

test('full-width and ideographic dots, trailing dot and surrounding space are normalised', () => {
  for (const s of ['example。com', 'example．com', 'example｡com', 'ＥＸＡＭＰＬＥ．ｃｏｍ', ' example.com. ']) {
    const r = normalizeDomain(s);
    assert.equal(r.ok && r.ascii, 'example.com', s);
  }
});

test('invalid names are rejected with a reason', () => {
  const cases: [string, string][] = [
    ['', 'empty'],
    ['   ', 'empty'],
    ['com', 'single-label'],
    ['192.168.0.1', 'ip-address'],
    ['[::1]', 'ip-address'],
    ['2001:db8::1', 'ip-address'],
    ['http://example.com/', 'url'],
    ['example.com/path', 'url'],
    ['user@example.com', 'url'],
    [`${'a'.repeat(64)}.com`, 'label-too-long'],
    [`${'a.'.repeat(127)}com`, 'name-too-long'],
    ['-lead.com', 'bad-hyphen'],
    ['trail-.com', 'bad-hyphen'],
    ['ab--cd.com', 'bad-hyphen'],
    ['xn--zz.com', 'idna'],
    ['a..b.com', 'empty-label'],
    ['.com', 'empty-label'],
    ['under_score.com', 'bad-character'],
    ['ex ample.com', 'whitespace'],
    ['example.123', 'numeric-tld'],
  ];
  for (const [input, reason] of cases) {
    const r = normalizeDomain(input);
    assert.equal(r.ok, false, input);
    assert.equal(!r.ok && r.reason, reason, input);
  }
  assert.equal(normalizeDomain(`${'a'.repeat(63)}.com`).ok, true);
  assert.equal(normalizeDomain(`${'a.'.repeat(125)}com`).ok, true);
});

test('invalid input and unknown TLDs cause no network traffic; duplicates are looked up once', async () => {
  server = await fakeWhois((_q, sock) => sock.end('No match for "X".\r\n'));
  const servers = { com: { whois: { host: '127.0.0.1', port: server.port, notFound: ['^No match for'] }, methods: ['whois' as const] } };
  const invalid = await checkDomains(['', 'http://a.com', '1.2.3.4', 'a..com', 'x.nosuchtld', '-x.com'], { shippedData: false, servers });
  assert.equal(server.seen.length, 0);
  assert.ok(invalid.every((r) => r.status === -1 && r.source === 'input' && r.reason.startsWith('invalid:') && r.evidence.length === 0));
  assert.equal(invalid[4]?.reason, 'invalid:unknown-tld');

  const dup = await checkDomains(['dup.com', 'DUP.com', 'dup.com.', 'dup。com'], { shippedData: false, servers });
  assert.equal(server.seen.length, 1, 'one query for four spellings of one name');
  assert.deepEqual(dup.map((r) => r.domain), ['dup.com', 'DUP.com', 'dup.com.', 'dup。com']);
  assert.ok(dup.every((r) => r.ascii === 'dup.com' && r.status === 1));
});

test('map input: same keys back, prototype-polluting keys are plain keys, non-strings are invalid', async () => {
  const input = JSON.parse('{"__proto__": "a..b", "constructor": "", "toString": "1.1.1.1", "ok": "also..bad"}') as Record<string, string>;
  (input as Record<string, unknown>).weird = 42;
  const r = await checkDomains(input, { shippedData: false, servers: {} });
  assert.equal(Object.getPrototypeOf(r), null);
  assert.deepEqual(Object.keys(r).sort(), ['__proto__', 'constructor', 'ok', 'toString', 'weird']);
  assert.equal(r['__proto__']?.domain, 'a..b');
  assert.equal(r.weird?.reason, 'invalid:not-a-string');
  assert.equal(({} as Record<string, unknown>).domain, undefined, 'Object.prototype untouched');
});

test('results stream through onResult and the async iterator, once per key', async () => {
  const seen: string[] = [];
  const batch = checkDomains({ x: 'bad..name', y: '', z: 'also bad' }, { shippedData: false, onResult: (k) => seen.push(k) });
  const iterated: string[] = [];
  for await (const { key, result } of batch) {
    iterated.push(key);
    assert.equal(result.status, -1);
  }
  assert.deepEqual(iterated.sort(), ['x', 'y', 'z']);
  assert.deepEqual(seen.sort(), ['x', 'y', 'z']);
});

test('the shipped snapshot loads from the package and has dated data for common TLDs', async () => {
  const { shippedData } = await import('../../src/lookup/data.js');
  const d = shippedData();
  assert.match(d.whoisDate, /^\d{4}-\d{2}-\d{2}$/);
  for (const tld of ['com', 'net', 'org', 'de', 'uk', 'jp', 'io', 'dev']) assert.ok(d.map[tld]?.whois, tld);
  assert.equal(d.map.com?.whois?.query, 'domain {name}');
  assert.equal(d.map.de?.whois?.query, '-T dn,ace {name}');
  assert.ok(d.map.com?.rdap?.[0]?.startsWith('https://'));
});
