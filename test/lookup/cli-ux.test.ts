// What `switchboard lookup` tells a person: progress on a terminal, the real reason per server, a hint when
// nothing could be reached, and the library's data and cap options on the command line.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDomains, runLookupCli, type CliIo, type ServerMap } from '../../src/lookup/index.js';
import { fakeHttp, fakeWhois, json } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'lookup-ux-'));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
  rmSync(dir, { recursive: true, force: true });
});

function sink(tty = false): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  if (tty) Object.assign(stream, { isTTY: true });
  return { stream, text: () => chunks.join('') };
}

async function run(argv: string[], opts: { ttyErr?: boolean } = {}): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink(opts.ttyErr);
  const io: CliIo = { stdin: Readable.from(['']), stdout: out.stream, stderr: err.stream };
  const code = await runLookupCli(argv, io);
  return { code, out: out.text(), err: err.text() };
}

/**
 * A WHOIS registry answering "free" after `delayMs`. `answering` counts queries between arrival and
 * answer (a socket's close can trail the client's next connect, so open sockets would over-count).
 */
async function registry(delayMs = 0): Promise<Awaited<ReturnType<typeof fakeWhois>> & { answering: { now: number; peak: number } }> {
  const answering = { now: 0, peak: 0 };
  const s = await fakeWhois((q, sock) => {
    answering.peak = Math.max(answering.peak, ++answering.now);
    setTimeout(() => {
      answering.now--;
      sock.end(`No match for "${q.toUpperCase()}".\n`);
    }, delayMs);
  });
  closers.push(s.close);
  return Object.assign(s, { answering });
}

function serversFile(map: ServerMap): string {
  const path = join(dir, `servers-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(map));
  return path;
}

const whoisEntry = (port: number) => ({ whois: { host: '127.0.0.1', port, notFound: ['^No match for "{name}"'] }, methods: ['whois' as const] });

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('progress n/total and elapsed time on stderr when it is a terminal, and none when it is not', async () => {
  const s = await registry(20);
  const file = serversFile({ aa: whoisEntry(s.port) });
  const tty = await run(['one.aa', 'two.aa', 'three.aa', '--servers', file], { ttyErr: true });
  assert.equal(tty.code, 0, tty.err);
  assert.match(tty.err, /\[0\/3\] \d+\.\ds/);
  assert.match(tty.err, /\[3\/3\] \d+\.\ds/);
  assert.ok(tty.err.endsWith('\r\x1b[K'), 'the progress line is cleared at the end');
  assert.equal(tty.out.split('\n').filter((l) => l.includes('available')).length, 3, 'results stay on stdout');
  const piped = await run(['one.aa', '--servers', file]);
  assert.equal(piped.code, 0);
  assert.equal(piped.err, '', 'nothing on a non-terminal stderr');
});

test('a server that went silent is a timeout for the names queued behind it, not a rate limit', async () => {
  const silent = await fakeWhois(() => undefined);
  closers.push(silent.close);
  const limited = await fakeWhois((_q, sock) => sock.end('Your query rate is exceeded, slow down.\n'));
  closers.push(limited.close);
  const map: ServerMap = { aa: whoisEntry(silent.port), bb: whoisEntry(limited.port) };
  const results = await checkDomains(['a.aa', 'b.aa', 'c.aa', 'a.bb', 'b.bb'], {
    shippedData: false,
    servers: map,
    deadlines: { whois: { connectMs: 1000, idleMs: 200, totalMs: 300 } },
    limits: { whois: { concurrency: 1, spacingMs: 0 } },
    deadlineMs: 10_000,
  });
  assert.deepEqual(results.map((r) => r.reason), ['timeout', 'timeout', 'timeout', 'rate-limited', 'rate-limited']);
  assert.deepEqual(results.slice(1, 3).map((r) => r.evidence[0]?.detail), ['backing-off-after-silence', 'backing-off-after-silence']);
  assert.equal(silent.seen.length, 1, 'the silent server was asked once, then left alone');
});

test('a one-line hint when no server could be reached, without --explain; none when one answered', async () => {
  const refused = await closedPort();
  const map = { aa: { whois: { host: '127.0.0.1', port: refused, notFound: ['x'] }, rdap: [`http://127.0.0.1:${refused}/`], methods: ['rdap' as const, 'whois' as const] } };
  const offline = await run(['one.aa', 'two.aa', '--servers', serversFile(map), '--no-shipped-data']);
  assert.equal(offline.code, 1);
  assert.match(offline.err, /^hint: no server could be reached: .* offline/m);
  assert.equal(offline.err.split('\n').filter(Boolean).length, 1, 'one line');

  const s = await registry();
  const mixed = await run(['one.aa', 'two.bb', '--servers', serversFile({ aa: whoisEntry(s.port), bb: whoisEntry(refused) }), '--no-shipped-data']);
  assert.equal(mixed.code, 1);
  assert.doesNotMatch(mixed.err, /hint/);
});

test('--no-shipped-data uses only --servers; --server-limit caps (or raises) one server', async () => {
  const s = await registry(150);
  const file = serversFile({ aa: whoisEntry(s.port) });
  const only = await run(['x.aa', 'example.com', '--servers', file, '--no-shipped-data', '--format', 'json']);
  const results = JSON.parse(only.out) as Array<{ reason: string }>;
  assert.deepEqual(results.map((r) => r.reason), ['whois-not-found', 'invalid:unknown-tld'], '.com is not asked without the shipped data');
  assert.match((await run(['x.aa', '--no-shipped-data'])).err, /--no-shipped-data needs --servers/);

  const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((n) => `${n}.aa`);
  s.answering.peak = 0;
  assert.equal((await run([...names, '--servers', file, '--server-limit', '127.0.0.1=1'])).code, 0);
  assert.equal(s.answering.peak, 1, 'capped at one query at a time');
  s.answering.peak = 0;
  assert.equal((await run([...names, '--servers', file, '--server-limit', '127.0.0.1=3:0'])).code, 0);
  assert.equal(s.answering.peak, 3, 'raised above the WHOIS default of 2');
  for (const bad of ['127.0.0.1', '127.0.0.1=0', '=2', '127.0.0.1=two']) {
    assert.equal((await run(['x.aa', '--servers', file, '--server-limit', bad])).code, 2, bad);
  }
});

test('many names on one RDAP server reuse keep-alive sockets without piling listeners on them', async () => {
  const server = await fakeHttp((_req, res) => json(res, 404, { errorCode: 404 }));
  closers.push(server.close);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(`${w.name}: ${w.message}`);
  };
  process.on('warning', onWarning);
  try {
    const names = Array.from({ length: 60 }, (_, i) => `name${i}.com`);
    const results = await checkDomains(names, { shippedData: false, servers: { com: { rdap: [server.url], methods: ['rdap'] } }, limits: { rdap: { concurrency: 2, spacingMs: 0 } } });
    assert.equal(results.filter((r) => r.reason === 'rdap-not-found').length, 60);
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings.filter((w) => w.includes('MaxListeners')), []);
});
