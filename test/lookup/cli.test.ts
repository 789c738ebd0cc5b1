import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLookupCli, type CliIo } from '../../src/lookup/index.js';
import { fakeHttp, fakeWhois, type Counted } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'lookup-cli-'));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
  rmSync(dir, { recursive: true, force: true });
});

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    text: () => chunks.join(''),
  };
}

async function run(argv: string[], stdin = '', signal?: AbortSignal): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const io: CliIo = { stdin: Readable.from([stdin]), stdout: out.stream, stderr: err.stream, ...(signal ? { signal } : {}) };
  const code = await runLookupCli(argv, io);
  return { code, out: out.text(), err: err.text() };
}

let registry: Counted;
let serversFile = '';

test('setup: a fake registry for .aa (free unless the name starts with "taken") and a hanging one for .zz', async () => {
  registry = await fakeWhois((q, sock) => sock.end(q.startsWith('taken') ? `Domain Name: ${q}\nRegistrar: X\n` : `No match for "${q.toUpperCase()}".\n`));
  const hang = await fakeWhois(() => undefined);
  closers.push(registry.close, hang.close);
  serversFile = join(dir, 'servers.json');
  writeFileSync(serversFile, JSON.stringify({
    aa: { whois: { host: '127.0.0.1', port: registry.port, notFound: ['^No match for "{name}"'] }, methods: ['whois'] },
    bb: { whois: { host: '127.0.0.1', port: registry.port, notFound: ['^No match for "{name}"'] }, methods: ['whois'] },
    zz: { whois: { host: '127.0.0.1', port: hang.port, notFound: ['x'] }, methods: ['whois'] },
  }));
  assert.ok(registry.port > 0);
});

test('usage errors exit 2 without traffic', async () => {
  const before = registry.seen.length;
  assert.equal((await run(['--bogus'])).code, 2);
  assert.equal((await run(['x', '--format', 'xml'])).code, 2);
  assert.equal((await run(['x', '--timeout', '-1'])).code, 2);
  assert.equal((await run(['x', '--concurrency', 'lots'])).code, 2);
  assert.equal((await run(['x', '--methods', 'dns,epp'])).code, 2);
  assert.equal((await run(['x', '--servers', join(dir, 'missing.json')])).code, 2);
  assert.equal((await run(['x', '--publish', 'ch'])).code, 2);
  const empty = await run([], '   \n# only a comment\n');
  assert.equal(empty.code, 2);
  assert.match(empty.err, /no names given/);
  assert.equal(registry.seen.length, before);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--tlds/);
});

test('a dotless name is expanded over --tlds; ndjson streams one result per line; exit 0 when all answered', async () => {
  const r = await run(['example', 'taken1', '--tlds', 'aa,.bb', '--servers', serversFile, '--format', 'ndjson']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { ascii: string; status: number });
  assert.deepEqual(lines.map((l) => l.ascii).sort(), ['example.aa', 'example.bb', 'taken1.aa', 'taken1.bb']);
  for (const l of lines) assert.equal(l.status, l.ascii.startsWith('taken') ? 0 : 1);
});

test('names from stdin and --file; json output in input order; an invalid name makes exit 1', async () => {
  const file = join(dir, 'names.txt');
  writeFileSync(file, '# names\nfromfile.aa\nbad..name\n');
  const r = await run(['--file', file, '-', '--servers', serversFile, '--format', 'json'], 'fromstdin.aa, taken2.aa\n');
  assert.equal(r.code, 1);
  const arr = JSON.parse(r.out) as { domain: string; status: number; reason: string }[];
  assert.deepEqual(arr.map((x) => x.domain), ['fromfile.aa', 'bad..name', 'fromstdin.aa', 'taken2.aa']);
  assert.deepEqual(arr.map((x) => x.status), [1, -1, 1, 0]);
  assert.equal(arr[1]?.reason, 'invalid:empty-label');
});

test('table output with --explain shows the evidence line that decided', async () => {
  const r = await run(['bücher.aa', '--servers', serversFile, '--explain']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^DOMAIN/);
  assert.match(r.out, /bücher\.aa \(xn--bcher-kva\.aa\)\s+available\s+whois\s+whois-not-found/);
  assert.match(r.out, /whois 127\.0\.0\.1:\d+: not-registered \(not-found-text, \d+ms\)\n\s+No match for "XN--BCHER-KVA\.AA"\./);
});

test('--timeout bounds the batch; unknown results give exit 1', async () => {
  const t0 = Date.now();
  const r = await run(['slow.zz', 'quick.aa', '--servers', serversFile, '--timeout', '0.5', '--format', 'ndjson']);
  assert.equal(r.code, 1);
  assert.ok(Date.now() - t0 < 1500);
  assert.match(r.out, /"reason":"deadline"/);
});

test('Ctrl-C (abort) prints what finished and exits 130', async () => {
  const ac = new AbortController();
  const p = run(['slow.zz', '--servers', serversFile, '--format', 'ndjson'], '', ac.signal);
  setTimeout(() => ac.abort(), 100);
  const r = await p;
  assert.equal(r.code, 130);
  assert.match(r.out, /"reason":"aborted"/);
});

test('--publish POSTs each result to the events API with a valid Pusher signature', async () => {
  const secret = 'app-secret';
  const events: { channel: string; name: string; data: string }[] = [];
  const problems: string[] = [];
  const api = await fakeHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const url = new URL(req.url ?? '', 'http://x');
      const params = Object.fromEntries(url.searchParams);
      const { auth_signature: sig, ...rest } = params;
      const query = Object.keys(rest).sort().map((k) => `${k}=${rest[k]}`).join('&');
      const expected = createHmac('sha256', secret).update(`POST\n${url.pathname}\n${query}`).digest('hex');
      if (req.method !== 'POST' || url.pathname !== '/apps/123/events') problems.push(`route ${req.method} ${url.pathname}`);
      if (rest.auth_key !== 'app-key' || rest.auth_version !== '1.0') problems.push('auth params');
      if (Math.abs(Number(rest.auth_timestamp) - Date.now() / 1000) > 600) problems.push('timestamp');
      if (rest.body_md5 !== createHash('md5').update(body).digest('hex')) problems.push('body_md5');
      if (sig !== expected) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"Invalid signature"}');
        return;
      }
      events.push(JSON.parse(body) as { channel: string; name: string; data: string });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  closers.push(api.close);
  const args = ['one', 'taken3', '--tlds', 'aa', '--servers', serversFile, '--format', 'ndjson', '--publish', 'private-lookup', '--api-url', api.url, '--app-id', '123', '--key', 'app-key'];
  const ok = await run([...args, '--secret', secret]);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(problems, []);
  assert.equal(events.length, 2);
  assert.ok(events.every((e) => e.channel === 'private-lookup' && e.name === 'lookup-result'));
  const data = events.map((e) => JSON.parse(e.data) as { ascii: string; status: number });
  assert.deepEqual(data.map((d) => d.ascii).sort(), ['one.aa', 'taken3.aa']);
  const bad = await run([...args, '--secret', 'wrong-secret']);
  assert.equal(bad.code, 1, 'a rejected publish is reported in the exit code');
  assert.match(bad.err, /HTTP 401/);
  assert.equal(events.length, 2);
});
