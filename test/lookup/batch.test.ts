import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkDomains, type ServerMap } from '../../src/lookup/index.js';
import { fakeWhois, type Counted } from './fakes.js';

const servers: Counted[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const TLDS = ['aa', 'bb', 'cc', 'dd', 'ee'];

/** Five fake registries; all share one counter so the global cap is measured on the server side. */
async function fiveServers(latencyMs: number, hang: string | null = null): Promise<{ map: ServerMap; global: { active: number; peak: number } }> {
  const global = { active: 0, peak: 0 };
  const map: ServerMap = {};
  for (const tld of TLDS) {
    const s = await fakeWhois((q, sock) => {
      global.active++;
      global.peak = Math.max(global.peak, global.active);
      sock.once('close', () => global.active--);
      if (tld === hang) return; // never answers
      const name = q.trim();
      setTimeout(() => sock.end(name.startsWith('taken') ? `Domain Name: ${name}\r\nRegistrar: Example\r\n` : `No match for "${name.toUpperCase()}".\r\n`), latencyMs);
    });
    servers.push(s);
    map[tld] = { whois: { host: '127.0.0.1', port: s.port, notFound: ['^No match for "{name}"'] }, methods: ['whois'] };
  }
  return { map, global };
}

test('1,000 names over 5 servers: caps counted on the servers, every name answered', async () => {
  const { map, global } = await fiveServers(20);
  const names = Array.from({ length: 1000 }, (_, i) => `${i % 3 === 0 ? 'taken' : 'free'}${i}.${TLDS[i % 5]}`);
  const before = servers.map((s) => s.seen.length);
  const results = await checkDomains(names, {
    shippedData: false,
    servers: map,
    concurrency: 12,
    limits: { whois: { concurrency: 4, spacingMs: 0 } },
    deadlineMs: 20_000,
  });
  assert.equal(results.length, 1000);
  results.forEach((r, i) => assert.equal(r.status, i % 3 === 0 ? 0 : 1, r.domain));
  const perServer = servers.map((s, i) => s.seen.length - (before[i] ?? 0));
  assert.deepEqual(perServer, [200, 200, 200, 200, 200]);
  for (const s of servers) assert.ok(s.peak <= 4, `per-server peak ${s.peak}`);
  assert.ok(servers.some((s) => s.peak === 4), 'the per-server cap was reached (the test can fail)');
  assert.ok(global.peak <= 12, `global peak ${global.peak}`);
  assert.ok(global.peak >= 10, `global peak ${global.peak}: the batch really ran in parallel`);
  // Wall time is not asserted: speed is bench/lookup's job, and a loaded CI machine makes any bound flaky.
  // The server-side peaks above prove the batch ran in parallel up to its caps.
});

test('batch deadline: a hanging server delays only its own names, which end as unknown/deadline', async () => {
  const { map } = await fiveServers(10, 'cc');
  const names = Array.from({ length: 100 }, (_, i) => `free${i}.${TLDS[i % 5]}`);
  const t0 = Date.now();
  const times: number[] = [];
  const results = await checkDomains(names, {
    shippedData: false,
    servers: map,
    deadlineMs: 1500,
    limits: { whois: { concurrency: 4, spacingMs: 0 } },
    deadlines: { whois: { idleMs: 10_000, totalMs: 10_000 } },
    onResult: (_k, r) => {
      if (r.status === 1) times.push(Date.now() - t0);
    },
  });
  const took = Date.now() - t0;
  // Ended by the batch deadline (1.5 s), not by the hanging server's 10 s idle timeout.
  assert.ok(took >= 1450 && took < 9000, `batch took ${took} ms`);
  for (const r of results) {
    if (r.domain.endsWith('.cc')) {
      assert.equal(r.status, -1);
      assert.equal(r.reason, 'deadline');
    } else assert.equal(r.status, 1, r.domain);
  }
  assert.equal(times.length, 80);
  assert.ok(Math.max(...times) < 1450, `the other servers' names finished before the deadline (${Math.max(...times)} ms)`);
});

test('abort: resolves promptly with unfinished names marked aborted', async () => {
  const { map } = await fiveServers(10, 'aa');
  const ac = new AbortController();
  const batch = checkDomains(['x.aa', 'y.bb'], { shippedData: false, servers: map, signal: ac.signal, deadlines: { whois: { idleMs: 10_000, totalMs: 10_000 } } });
  const got: string[] = [];
  for await (const { result } of batch) {
    got.push(result.domain);
    if (result.domain === 'y.bb') ac.abort();
  }
  const [x, y] = await batch;
  assert.equal(y?.status, 1);
  assert.equal(x?.status, -1);
  assert.equal(x?.reason, 'aborted');
  assert.deepEqual(got, ['y.bb', 'x.aa']);
});

test('identical lookups from concurrent batches sharing a scheduler reach the server once', async () => {
  const { Scheduler } = await import('../../src/lookup/index.js');
  const { map } = await fiveServers(50);
  const scheduler = new Scheduler({ globalConcurrency: 8, limitsFor: () => ({ concurrency: 2, spacingMs: 0 }) });
  const target = servers[servers.length - 5] as Counted;
  const before = target.seen.length;
  const [a, b] = await Promise.all([
    checkDomains(['shared.aa'], { shippedData: false, servers: map, scheduler }),
    checkDomains(['shared.aa'], { shippedData: false, servers: map, scheduler }),
  ]);
  assert.equal(a[0]?.status, 1);
  assert.equal(b[0]?.status, 1);
  assert.equal(target.seen.length - before, 1);
});
