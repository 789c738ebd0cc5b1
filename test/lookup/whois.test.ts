import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkDomains, WHOIS_PROFILES, type CheckOptions, type DomainResult, type WhoisServer } from '../../src/lookup/index.js';
import { fakeWhois, type Counted } from './fakes.js';

const servers: Counted[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function whoisServer(handler: Parameters<typeof fakeWhois>[0]): Promise<Counted> {
  const s = await fakeWhois(handler);
  servers.push(s);
  return s;
}

/** Looks `name` up with WHOIS only, against a fake server that behaves like `profileHost`. */
async function lookup(name: string, port: number, profileHost: string | null, extra: Partial<WhoisServer> = {}, opts: CheckOptions = {}): Promise<DomainResult> {
  const tld = name.split('.').pop() as string;
  const profile = profileHost ? WHOIS_PROFILES[profileHost] : {};
  const [r] = await checkDomains([name], {
    shippedData: false,
    servers: { [tld]: { whois: { host: '127.0.0.1', port, ...profile, ...extra }, methods: ['whois'] } },
    limits: { whois: { spacingMs: 0 } },
    ...opts,
  });
  assert.ok(r);
  return r;
}

const answer = (text: string) => (_q: string, sock: import('node:net').Socket) => sock.end(text);

test('Verisign: `domain NAME` query; exact "No match" → available, record → taken', async () => {
  const s = await whoisServer((q, sock) => {
    if (q === 'domain nosuch-example.com') sock.end('No match for "NOSUCH-EXAMPLE.COM".\r\n>>> Last update of whois database: 2026-11-25T00:00:00Z <<<\r\n');
    else sock.end('   Domain Name: EXAMPLE.COM\r\n   Registrar: RESERVED-Internet Assigned Numbers Authority\r\n   Creation Date: 1995-08-14T04:00:00Z\r\n');
  });
  const free = await lookup('nosuch-example.com', s.port, 'whois.verisign-grs.com');
  assert.equal(free.status, 1);
  assert.equal(free.reason, 'whois-not-found');
  assert.equal(free.source, 'whois');
  assert.match(free.evidence[0]?.text ?? '', /No match for "NOSUCH-EXAMPLE.COM"/);
  const taken = await lookup('example.com', s.port, 'whois.verisign-grs.com');
  assert.equal(taken.status, 0);
  assert.equal(taken.reason, 'whois-registered');
  assert.deepEqual(s.seen, ['domain nosuch-example.com', 'domain example.com']);
});

test('a not-found text about another name is not proof for this one', async () => {
  const s = await whoisServer(answer('No match for "SOMETHING-ELSE.COM".\r\n'));
  const r = await lookup('mine.com', s.port, 'whois.verisign-grs.com');
  assert.equal(r.status, -1);
  assert.equal(r.evidence[0]?.detail, 'unrecognised-answer');
});

test('DENIC: `-T dn,ace NAME` query; Status: free → available, Status: connect → taken', async () => {
  const s = await whoisServer((q, sock) => {
    if (q.endsWith('frei.de')) sock.end('Domain: frei.de\nStatus: free\n');
    else sock.end('Domain: xn--bcher-kva.de\nNserver: ns1.example.net\nStatus: connect\n');
  });
  assert.equal((await lookup('frei.de', s.port, 'whois.denic.de')).status, 1);
  const idn = await lookup('Bücher.de', s.port, 'whois.denic.de');
  assert.equal(idn.status, 0);
  assert.equal(idn.ascii, 'xn--bcher-kva.de');
  assert.equal(idn.unicode, 'bücher.de');
  assert.deepEqual(s.seen, ['-T dn,ace frei.de', '-T dn,ace xn--bcher-kva.de']);
});

test('JPRS `NAME/e`, .ie "Not Registered", .dk "No entries found", CentralNic "DOMAIN NOT FOUND"', async () => {
  const jp = await whoisServer(answer('[ JPRS database provides information on network administration. ]\r\n\r\nNo match!!\r\n'));
  const ie = await whoisServer(answer('% Not Registered - The domain you have requested is not a registered .ie domain name.\n'));
  const dk = await whoisServer(answer('# Hello\n\nNo entries found for the selected source.\n'));
  const cn = await whoisServer(answer('The queried object does not exist: DOMAIN NOT FOUND\n'));
  assert.equal((await lookup('nothing.jp', jp.port, 'whois.jprs.jp')).status, 1);
  assert.deepEqual(jp.seen, ['nothing.jp/e']);
  assert.equal((await lookup('nothing.ie', ie.port, 'whois.weare.ie')).status, 1);
  assert.equal((await lookup('nothing.dk', dk.port, 'whois.punktum.dk')).status, 1);
  assert.equal((await lookup('nothing.xyz', cn.port, 'whois.nic.xyz')).status, 1);
});

test('a server without not-found patterns can never report available', async () => {
  const s = await whoisServer(answer('No match for "FREE.TEST".\r\n'));
  const r = await lookup('free.test', s.port, null);
  assert.equal(r.status, -1);
  assert.equal(r.reason, 'inconclusive');
});

test('rate-limit answer → unknown/rate-limited and the server is backed off (no second connection)', async () => {
  const s = await whoisServer(answer('WHOIS LIMIT EXCEEDED - SEE WWW.PIR.ORG/WHOIS FOR DETAILS\r\n'));
  const opts: CheckOptions = {
    shippedData: false,
    servers: { org: { whois: { host: '127.0.0.1', port: s.port, notFound: ['NOT FOUND'] }, methods: ['whois'] } },
    limits: { whois: { concurrency: 1, spacingMs: 0 } },
    whoisBackoffMs: 60_000,
    deadlineMs: 5000,
  };
  const t0 = Date.now();
  const [a, b] = await checkDomains(['first.org', 'second.org'], opts);
  assert.equal(a?.status, -1);
  assert.equal(a?.reason, 'rate-limited');
  assert.equal(b?.status, -1);
  assert.equal(b?.reason, 'rate-limited');
  assert.equal(b?.evidence[0]?.detail, 'backing-off');
  assert.equal(s.seen.length, 1, 'the second name must not reach a server that asked us to back off');
  assert.ok(Date.now() - t0 < 2000, 'backing off past the deadline fails fast instead of waiting');
});

test('a server dripping one byte every 500 ms is cut by the total deadline, not the idle one', async () => {
  const text = 'No match for "DRIP.COM".\r\n';
  const s = await whoisServer((_q, sock) => {
    let i = 0;
    const t = setInterval(() => {
      if (sock.destroyed) return clearInterval(t);
      sock.write(text.charAt(i++));
      if (i >= text.length) {
        clearInterval(t);
        sock.end();
      }
    }, 500);
    sock.on('close', () => clearInterval(t));
  });
  const t0 = Date.now();
  const r = await lookup('drip.com', s.port, 'whois.verisign-grs.com', {}, { deadlines: { whois: { idleMs: 2000, totalMs: 1500 } } });
  const took = Date.now() - t0;
  assert.equal(r.status, -1, 'a partial answer must never read as available');
  assert.equal(r.reason, 'timeout');
  assert.equal(r.evidence[0]?.detail, 'total-timeout');
  assert.ok(took >= 1400 && took < 2500, `took ${took} ms`);
});

test('a server that never answers hits the idle deadline', async () => {
  const s = await whoisServer(() => undefined);
  const t0 = Date.now();
  const r = await lookup('silent.com', s.port, 'whois.verisign-grs.com', {}, { deadlines: { whois: { idleMs: 300, totalMs: 5000 } } });
  assert.equal(r.status, -1);
  assert.equal(r.evidence[0]?.detail, 'idle-timeout');
  assert.ok(Date.now() - t0 < 1500);
});

test('early close (empty answer) and connection reset are unknown, never available', async () => {
  const early = await whoisServer((_q, sock) => sock.end());
  const reset = await whoisServer((_q, sock) => sock.resetAndDestroy());
  const a = await lookup('early.com', early.port, 'whois.verisign-grs.com');
  assert.equal(a.status, -1);
  assert.equal(a.evidence[0]?.detail, 'empty-answer');
  const b = await lookup('reset.com', reset.port, 'whois.verisign-grs.com');
  assert.equal(b.status, -1);
  assert.equal(b.evidence[0]?.outcome, 'error');
  assert.equal(b.evidence[0]?.detail, 'econnreset');
});

test('answers beyond the size cap are cut; a cut answer never proves availability', async () => {
  const s = await whoisServer(answer(`No match for "BIG.COM".\r\n${'x'.repeat(50_000)}\r\n`));
  const r = await lookup('big.com', s.port, 'whois.verisign-grs.com', {}, { whoisMaxBytes: 1000 });
  assert.equal(r.status, -1);
  assert.equal(r.evidence[0]?.detail, 'truncated');
});

test('connection refused is an error, not a verdict', async () => {
  const s = await whoisServer(() => undefined);
  const port = s.port;
  await s.close();
  servers.splice(servers.indexOf(s), 1);
  const r = await lookup('refused.com', port, 'whois.verisign-grs.com');
  assert.equal(r.status, -1);
  assert.equal(r.evidence[0]?.detail, 'econnrefused');
});
