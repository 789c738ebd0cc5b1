import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkDomains, type CheckOptions, type DomainResult } from '../../src/lookup/index.js';
import { parseRetryAfter } from '../../src/lookup/rdap-client.js';
import { fakeHttp, json } from './fakes.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
});

async function rdap(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Awaited<ReturnType<typeof fakeHttp>>> {
  const s = await fakeHttp(handler);
  closers.push(s.close);
  return s;
}

async function check(names: string[], base: string, opts: CheckOptions = {}): Promise<DomainResult[]> {
  return checkDomains(names, { shippedData: false, servers: { com: { rdap: [base], methods: ['rdap'] } }, ...opts });
}

const domainObject = (name: string) => ({ objectClassName: 'domain', ldhName: name.toUpperCase(), status: ['active'] });

test('200 with an RDAP domain object → taken; 404 → available with the notices kept', async () => {
  const s = await rdap((req, res) => {
    if (req.url === '/rdap/domain/example.com') json(res, 200, domainObject('example.com'));
    else json(res, 404, { errorCode: 404, title: 'Not Found', notices: [{ title: 'Terms of Use', description: ['Reserved names also answer 404.'] }] });
  });
  const [taken, free] = await check(['example.com', 'free-name.com'], `${s.url}rdap/`);
  assert.equal(taken?.status, 0);
  assert.equal(taken?.reason, 'rdap-registered');
  assert.equal(free?.status, 1);
  assert.equal(free?.reason, 'rdap-not-found');
  assert.match(free?.evidence[0]?.text ?? '', /Terms of Use: Reserved names also answer 404/);
});

test('HTML with status 200 is garbage, not registration', async () => {
  const s = await rdap((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>Service temporarily unavailable</body></html>');
  });
  const [r] = await check(['html.com'], s.url);
  assert.equal(r?.status, -1);
  assert.equal(r?.evidence[0]?.detail, 'garbage-200');
});

test('a 200 about another name or another object class is not evidence', async () => {
  const s = await rdap((req, res) => (req.url?.includes('other') ? json(res, 200, domainObject('elsewhere.com')) : json(res, 200, { objectClassName: 'entity' })));
  const [a, b] = await check(['other.com', 'entity.com'], s.url);
  assert.equal(a?.status, -1);
  assert.equal(b?.status, -1);
  assert.equal(a?.evidence[0]?.detail, 'unexpected-object');
});

test('5xx → unknown and the next method runs', async () => {
  const s = await rdap((_req, res) => json(res, 503, { errorCode: 503 }));
  const [r] = await check(['busy.com'], s.url);
  assert.equal(r?.status, -1);
  assert.equal(r?.reason, 'error');
  assert.equal(r?.evidence[0]?.detail, 'http-503');
});

test('429 with Retry-After backs that server off: later names fail fast, other servers unaffected', async () => {
  const limited = await rdap((_req, res) => json(res, 429, { errorCode: 429 }, { 'retry-after': '120' }));
  const fine = await rdap((_req, res) => json(res, 404, { errorCode: 404 }));
  const t0 = Date.now();
  const results = await checkDomains({ a: 'one.com', b: 'two.com', c: 'three.com', other: 'x.net' }, {
    shippedData: false,
    servers: { com: { rdap: [limited.url], methods: ['rdap'] }, net: { rdap: [fine.url], methods: ['rdap'] } },
    limits: { rdap: { concurrency: 1 } },
    deadlineMs: 5000,
  });
  assert.equal(limited.seen.length, 1, 'only the first request reached the rate-limited server');
  for (const k of ['a', 'b', 'c']) {
    assert.equal(results[k]?.status, -1);
    assert.equal(results[k]?.reason, 'rate-limited');
  }
  assert.equal(results.other?.status, 1);
  assert.ok(Date.now() - t0 < 2000);
});

test('a short Retry-After is waited out within the batch deadline', async () => {
  let n = 0;
  const s = await rdap((_req, res) => (n++ === 0 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 404, {})));
  const t0 = Date.now();
  const [a, b] = await check(['first.com', 'second.com'], s.url, { limits: { rdap: { concurrency: 1 } }, deadlineMs: 5000 });
  assert.equal(a?.reason, 'rate-limited');
  assert.equal(b?.status, 1);
  assert.ok(Date.now() - t0 >= 950, 'the second request waited for Retry-After');
});

test('Retry-After as HTTP-date and as seconds', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('30', now), 30_000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60_000);
  assert.equal(parseRetryAfter('soon', now), undefined);
});

test('redirect chains are followed; loops and over-long chains are cut', async () => {
  const s = await rdap((req, res) => {
    const url = req.url ?? '';
    const m = /^\/hop(\d+)\/domain\/(.*)$/.exec(url);
    if (url.startsWith('/loop')) {
      res.writeHead(302, { location: '/loop2/domain/x.com' });
      res.end();
    } else if (url.startsWith('/loop2')) {
      res.writeHead(301, { location: '/loop/domain/x.com' });
      res.end();
    } else if (m && Number(m[1]) < 3) {
      res.writeHead(307, { location: `/hop${Number(m[1]) + 1}/domain/${m[2]}` });
      res.end();
    } else json(res, 200, domainObject(m?.[2] ?? ''));
  });
  const [chain] = await check(['chain.com'], `${s.url}hop0/`);
  assert.equal(chain?.status, 0);
  assert.ok(s.seen.includes('/hop3/domain/chain.com'));
  const [loop] = await check(['x.com'], `${s.url}loop/`);
  assert.equal(loop?.status, -1);
  assert.equal(loop?.evidence[0]?.detail, 'redirect-loop');
  const [long] = await check(['long.com'], `${s.url}hop0/`, { rdapMaxRedirects: 2 });
  assert.equal(long?.evidence[0]?.detail, 'too-many-redirects');
});

test('the total deadline spans all redirect hops', async () => {
  let hops = 0;
  const s = await rdap((_req, res) => {
    hops++;
    setTimeout(() => {
      res.writeHead(302, { location: `/slow${hops}/` });
      res.end();
    }, 150);
  });
  const t0 = Date.now();
  const [r] = await check(['slow.com'], s.url, { rdapMaxRedirects: 50, deadlines: { rdap: { totalMs: 500, idleMs: 1000 } } });
  assert.equal(r?.evidence[0]?.detail, 'total-timeout');
  assert.ok(hops <= 5, `hops ${hops}`);
  assert.ok(Date.now() - t0 < 1000);
});
