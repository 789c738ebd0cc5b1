import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliProcess, runToEnd } from '../helpers/cli-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { api, channelAuth } from '../helpers/sign.js';

const MAIN = 'dist/src/cli/main.js';

/** `switchboard start …` from the compiled tree. */
const Cli = { start: (args: string[]): CliProcess => CliProcess.spawn(process.execPath, [MAIN, 'start', ...args]) };

/** Runs `switchboard status …` to completion. */
const runStatus = (args: string[]) => runToEnd(process.execPath, [MAIN, 'status', ...args]);

describe('switchboard CLI operability', () => {
  it('never writes an app secret or the admin token to stdout or stderr, even at trace level', async () => {
    const SECRET = 'sup3r-s3cret-value-for-the-log-test';
    const TOKEN = 'adm1n-t0ken-value-for-the-log-test';
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-secrets-'));
    const file = join(dir, 'switchboard.json');
    await writeFile(file, JSON.stringify({ port: 0, logLevel: 'trace', admin: { port: 0, token: TOKEN }, apps: [{ id: 'app-id', key: 'app-key', secret: SECRET, clientEvents: true }] }));
    const cli = Cli.start(['--config', file]);
    try {
      const port = (await cli.logLine('switchboard listening'))['port'] as number;
      const adminPort = (await cli.logLine('admin listener: /metrics /health /ready and the dashboard'))['port'] as number;
      const admin = `http://127.0.0.1:${adminPort}`;

      // Traffic that handles the secret: signed subscriptions (good and forged), signed API calls
      // (good and wrongly signed), client events; and the admin token: logins, bearer requests.
      const { client, socketId } = await RawClient.established(port);
      assert.equal((await client.subscribe('private-a', { auth: channelAuth(socketId, 'private-a', undefined, SECRET) })).event, 'pusher_internal:subscription_succeeded');
      assert.equal((await client.subscribe('private-b', { auth: channelAuth(socketId, 'private-b', undefined, 'forged') })).event, 'pusher:subscription_error');
      client.send({ event: 'client-x', channel: 'private-a', data: { secret: 'no' } });
      assert.equal((await api(port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'private-a', data: 'd' }, { secret: SECRET })).status, 200);
      assert.equal((await api(port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'private-a', data: 'd' }, { secret: 'wrong' })).status, 401);
      const good = await fetch(`${admin}/login`, { method: 'POST', body: `token=${TOKEN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
      assert.equal(good.status, 303);
      const bad = await fetch(`${admin}/login`, { method: 'POST', body: 'token=wrong-token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
      assert.equal(bad.status, 401);
      const status = await runStatus(['--url', admin, '--token', TOKEN]);
      assert.equal(status.code, 0, status.stderr);
      assert.ok(!status.stdout.includes(TOKEN) && !status.stderr.includes(TOKEN), 'status printed the token');
      client.close();
      await cli.logLine('admin login refused');
    } finally {
      assert.equal(await cli.stop(), 0);
      await rm(dir, { recursive: true, force: true });
    }
    assert.ok(cli.stdout.split('\n').filter(Boolean).length > 5, 'the test saw the logs it checks');
    for (const [name, text] of [['stdout', cli.stdout], ['stderr', cli.stderr]] as const) {
      assert.ok(!text.includes(SECRET), `${name} contains the app secret`);
      assert.ok(!text.includes(TOKEN), `${name} contains the admin token`);
    }
  });

  it('prints a generated admin token at start-up, which `switchboard status` then uses', async () => {
    const cli = Cli.start(['--port', '0', '--admin-port', '0', '--log-level', 'info']);
    try {
      const port = (await cli.logLine('switchboard listening'))['port'] as number;
      const adminPort = (await cli.logLine('admin listener: /metrics /health /ready and the dashboard'))['port'] as number;
      const printed = /admin dashboard (\S+) token (\S+)/.exec(cli.stderr);
      assert.ok(printed, `no token printed: ${cli.stderr}`);
      const token = printed[2] as string;
      assert.equal(printed[1], `http://127.0.0.1:${adminPort}/`);
      assert.ok(!cli.stdout.includes(token), 'the generated token is printed, not logged');

      const { client } = await RawClient.established(port);
      await client.subscribe('lobby');
      const status = await runStatus(['--url', `http://127.0.0.1:${adminPort}`, '--token', token, '--channels', '3']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /\bready\b/);
      assert.match(status.stdout, /^connections 1 {2}channels 1 /m);
      assert.match(status.stdout, /^app-id +1 +1 +1 /m);
      assert.match(status.stdout, /busiest channels of app-id:\n {2}lobby +1 subscriptions/);

      const json = await runStatus(['--url', `http://127.0.0.1:${adminPort}`, '--token', token, '--json']);
      const report = JSON.parse(json.stdout) as { overview: { apps: Array<{ id: string; connections: number }> } };
      assert.deepEqual(report.overview.apps.map((a) => [a.id, a.connections]), [['app-id', 1]]);

      const refused = await runStatus(['--url', `http://127.0.0.1:${adminPort}`, '--token', 'not-the-token']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /HTTP 401/);
      client.close();
    } finally {
      assert.equal(await cli.stop(), 0);
    }
  });

  it('keeps serving when the admin port is taken, and says so in the log', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;
    const cli = Cli.start(['--port', '0', '--admin-port', String(taken)]);
    try {
      const failed = await cli.logLine('admin listener could not start; serving without metrics and dashboard');
      assert.equal(failed['port'], taken);
      const port = (await cli.logLine('switchboard listening'))['port'] as number;
      const { client } = await RawClient.established(port);
      assert.equal((await client.subscribe('still-up')).event, 'pusher_internal:subscription_succeeded');
      client.close();
    } finally {
      assert.equal(await cli.stop(), 0);
      squatter.close();
    }
  });
});
