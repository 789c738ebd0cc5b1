import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { RawClient } from '../helpers/raw-client.js';
import { signedPath } from '../helpers/sign.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  return port;
}

/** Starts `switchboard start` as a real process and resolves once it logs that it listens. */
async function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, exited, output: () => out, errors: () => err };
}

async function waitFor(read: () => string, pattern: RegExp, exited: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(read())) {
    const done = await Promise.race([exited.then(() => 'exited'), new Promise((r) => setTimeout(r, 25, 'tick'))]);
    if (done === 'exited') throw new Error(`process exited before ${pattern}: ${read()}`);
    assert.ok(Date.now() < deadline, `timed out waiting for ${pattern}`);
  }
}

test('SIGTERM: sockets closed with 4200, in-flight API requests finish, exit 0', async () => {
  const port = await freePort();
  const proc = await startCli(['--port', String(port)]);
  await waitFor(proc.output, /switchboard listening/, proc.exited);
  assert.match(proc.output(), /development app/, 'dev-app warning printed');
  const { client } = await RawClient.established(port);
  await client.subscribe('s');
  // An API request whose body is still arriving when the signal comes must still be answered.
  const body = JSON.stringify({ name: 'late', channel: 's', data: 'x' });
  const path = signedPath('POST', '/apps/app-id/events', body);
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  let response = '';
  sock.on('data', (d: Buffer) => (response += d.toString()));
  const answered = once(sock, 'end');
  sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  // Wait until the server has the request (its headers) before signalling.
  await waitFor(() => String(proc.child.pid), /\d/, proc.exited);
  proc.child.kill('SIGTERM');
  const closed = await client.closed;
  assert.equal(closed.code, 4200);
  sock.write(body.slice(10));
  await answered;
  assert.match(response, /^HTTP\/1.1 200/);
  const [code] = await proc.exited;
  assert.equal(code, 0);
  assert.match(proc.output(), /shutting down/);
});

test('a bad config value stops start-up with a message naming the key', async () => {
  const proc = await startCli(['--port', '1'], { SWITCHBOARD_ACTIVITY_TIMEOUT_SECONDS: '"soon"' });
  const [code] = await proc.exited;
  assert.notEqual(code, 0);
  assert.match(proc.errors(), /activityTimeoutSeconds/);
});

test('--host/--port and env are honoured; the listening line reports them', async () => {
  const port = await freePort();
  const proc = await startCli(['--host', '127.0.0.1'], { SWITCHBOARD_PORT: String(port), SWITCHBOARD_LOG_LEVEL: 'info' });
  await waitFor(proc.output, /switchboard listening/, proc.exited);
  const line = proc.output().split('\n').find((l) => l.includes('switchboard listening')) ?? '';
  assert.equal(JSON.parse(line).port, port);
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(health.status, 200);
  proc.child.kill('SIGINT');
  const [code] = await proc.exited;
  assert.equal(code, 0);
});
