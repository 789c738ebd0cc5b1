import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkDomains, type CheckOptions, type DomainResult, type ServerMap } from '../../src/lookup/index.js';
import { decodeMessage, encodeMessage, encodeQuery, DnsFormatError, TYPE_NS, CLASS_IN, type DnsMessage } from '../../src/lookup/dns-wire.js';
import { fakeDns, fakeHttp, json } from './fakes.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
});

async function dns(handler: Parameters<typeof fakeDns>[0]): Promise<Awaited<ReturnType<typeof fakeDns>>> {
  const s = await fakeDns(handler);
  closers.push(s.close);
  return s;
}

const referral = (q: DnsMessage): Partial<DnsMessage> => ({
  authorities: [{ name: q.questions[0]?.name ?? '', type: TYPE_NS, class: CLASS_IN, ttl: 172800, data: Buffer.alloc(0), target: 'ns1.example.net' }],
});

async function check(name: string, ports: number[], opts: CheckOptions = {}, extra: ServerMap = {}): Promise<DomainResult> {
  const tld = name.split('.').pop() as string;
  const [r] = await checkDomains([name], {
    shippedData: false,
    servers: { [tld]: { dns: ports.map((port) => ({ host: '127.0.0.1', port })), methods: ['dns'] }, ...extra },
    deadlines: { dns: { idleMs: 200, totalMs: 2000 } },
    ...opts,
  });
  assert.ok(r);
  return r;
}

test('codec: a query is the literal RFC 1035 bytes, RD clear', () => {
  assert.equal(
    encodeQuery(0x1234, 'example.com').toString('hex'),
    '1234' + '0000' + '0001' + '0000' + '0000' + '0000' + '076578616d706c6503636f6d00' + '0002' + '0001',
  );
});

test('codec: compressed names decode; pointer loops and overruns throw DnsFormatError', () => {
  // Answer with the NS owner compressed to the question name (c00c) and a target sharing its suffix.
  const hdr = Buffer.from('abcd8100000100000001' + '0000', 'hex');
  const q = Buffer.from('076578616d706c6503636f6d0000020001', 'hex');
  const rr = Buffer.concat([Buffer.from('c00c000200010000012c0006', 'hex'), Buffer.from('036e7331c00c', 'hex')]);
  const m = decodeMessage(Buffer.concat([hdr, q, rr]));
  assert.equal(m.id, 0xabcd);
  assert.equal(m.authorities[0]?.name, 'example.com');
  assert.equal(m.authorities[0]?.target, 'ns1.example.com');
  const loop = Buffer.concat([Buffer.from('0000810000010000000000000', 'hex').subarray(0, 12), Buffer.from('c00c00020001', 'hex')]);
  assert.throws(() => decodeMessage(loop), DnsFormatError);
  assert.throws(() => decodeMessage(Buffer.from('00008100000100000000', 'hex')), DnsFormatError);
  const roundTrip = decodeMessage(encodeMessage({ id: 7, qr: true, rcode: 3, questions: [{ name: 'a.b', type: TYPE_NS, class: CLASS_IN }] }));
  assert.equal(roundTrip.rcode, 3);
  assert.equal(roundTrip.questions[0]?.name, 'a.b');
});

test('referral (NS for exactly this name) → taken/delegated; the query asks NS without recursion', async () => {
  let rd = true;
  const s = await dns((q) => {
    rd = q.rd;
    return referral(q);
  });
  const r = await check('Example.COM', [s.port]);
  assert.equal(r.status, 0);
  assert.equal(r.reason, 'delegated');
  assert.equal(r.source, 'dns');
  assert.match(r.evidence[0]?.text ?? '', /ns1\.example\.net/);
  assert.equal(rd, false);
  assert.deepEqual(s.seen, ['example.com']);
});

test('NXDOMAIN alone is not proof: unknown; with an RDAP 404 after it → available', async () => {
  const s = await dns(() => ({ rcode: 3 }));
  const r = await check('nothing.com', [s.port]);
  assert.equal(r.status, -1);
  assert.equal(r.evidence[0]?.detail, 'nxdomain');
  const rdap = await fakeHttp((_req, res) => json(res, 404, { errorCode: 404, title: 'Not Found', description: ['Domain not found'] }));
  closers.push(rdap.close);
  const [both] = await checkDomains(['nothing.com'], {
    shippedData: false,
    servers: { com: { dns: [{ host: '127.0.0.1', port: s.port }], rdap: [rdap.url] } },
  });
  assert.equal(both?.status, 1);
  assert.equal(both?.reason, 'rdap-not-found');
  assert.deepEqual(both?.evidence.map((e) => e.method), ['dns', 'rdap']);
});

test('an NS set for a parent (co.uk) says nothing about example.co.uk', async () => {
  const s = await dns(() => ({ authorities: [{ name: 'co.uk', type: TYPE_NS, class: CLASS_IN, ttl: 1, data: Buffer.alloc(0), target: 'ns.nic.uk' }] }));
  const r = await check('example.co.uk', [s.port]);
  assert.equal(r.status, -1);
  assert.equal(r.evidence[0]?.detail, 'ancestor-referral');
});

test('SERVFAIL moves on to the next server; all failing → unknown/error', async () => {
  const bad = await dns(() => ({ rcode: 2 }));
  const good = await dns(referral);
  const names = Array.from({ length: 10 }, (_, i) => `name${i}.net`);
  const results = await checkDomains(names, {
    shippedData: false,
    servers: { net: { dns: [{ host: '127.0.0.1', port: bad.port }, { host: '127.0.0.1', port: good.port }], methods: ['dns'] } },
  });
  assert.ok(results.every((r) => r.status === 0));
  assert.ok(bad.seen.length > 0, 'some names started at the failing server');
  assert.ok(results.some((r) => r.evidence[0]?.detail === 'rcode-2' && r.evidence[1]?.outcome === 'registered'));
  const bad2 = await dns(() => ({ rcode: 2 }));
  const r = await check('x.org', [bad.port, bad2.port]);
  assert.equal(r.status, -1);
  assert.equal(r.reason, 'error');
  assert.equal(r.evidence.length, 2);
});

test('a dropped first packet is retried with a new transaction id', async () => {
  const s = await dns((q, _via, n) => (n === 0 ? null : referral(q)));
  const r = await check('dropped.com', [s.port]);
  assert.equal(r.status, 0);
  assert.equal(s.ids.length, 2);
  assert.notEqual(s.ids[0], s.ids[1]);
});

test('an answer with the wrong transaction id is ignored in favour of the real one', async () => {
  const s = await dns((q) => [
    encodeMessage({ id: (q.id + 1) & 0xffff, qr: true, rcode: 3, questions: q.questions }),
    encodeMessage({ id: q.id, qr: true, questions: q.questions, ...referral(q) }),
  ]);
  const r = await check('forged.com', [s.port]);
  assert.equal(r.status, 0, 'the forged NXDOMAIN must not be believed');
  assert.equal(s.seen.length, 1, 'no retry was needed');
});

test('only wrong ids and garbage → the tries run out: unknown/timeout', async () => {
  const s = await dns((q) => [Buffer.from('garbage'), encodeMessage({ id: (q.id + 1) & 0xffff, qr: true, questions: q.questions, ...referral(q) })]);
  const t0 = Date.now();
  const r = await check('spoofed.com', [s.port], { dnsTries: 2, dnsServersPerName: 1 });
  assert.equal(r.status, -1);
  assert.equal(r.reason, 'timeout');
  assert.equal(s.seen.length, 2);
  assert.ok(Date.now() - t0 < 1500);
});

test('a truncated UDP answer is retried over TCP', async () => {
  const s = await dns((q, via) => (via === 'udp' ? { tc: true } : referral(q)));
  const r = await check('big.com', [s.port]);
  assert.equal(r.status, 0);
  assert.equal(r.evidence[0]?.detail, 'referral (tcp)');
  assert.equal(s.tcpQueries, 1);
});

test('per-TLD order: RDAP first says 404, the DNS delegation after it still wins (positive evidence)', async () => {
  const s = await dns(referral);
  const rdap = await fakeHttp((_req, res) => json(res, 404, {}));
  closers.push(rdap.close);
  const [r] = await checkDomains(['reserved.com'], {
    shippedData: false,
    servers: { com: { dns: [{ host: '127.0.0.1', port: s.port }], rdap: [rdap.url], methods: ['rdap', 'dns'] } },
  });
  assert.equal(r?.status, 0);
  assert.equal(r?.reason, 'delegated');
  assert.deepEqual(r?.evidence.map((e) => e.outcome), ['not-registered', 'registered']);
});
