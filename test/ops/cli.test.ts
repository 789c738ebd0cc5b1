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
const Cli = { start: (args: string[], env: NodeJS.ProcessEnv = {}): CliProcess => CliProcess.spawn(process.execPath, [MAIN, 'start', ...args], env) };

/** Runs `switchboard …` to completion. */
const runCli = (args: string[], env: NodeJS.ProcessEnv = {}) => runToEnd(process.execPath, [MAIN, ...args], { env });

/** Runs `switchboard status …` to completion. */
const runStatus = (args: string[]) => runCli(['status', ...args]);

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
      assert.match(refused.stderr, new RegExp(`http://127\\.0\\.0\\.1:${adminPort} rejected the admin token`));
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

  it('answers --help for every command, with exit 0', async () => {
    const runs = await Promise.all([['--help'], ['start', '--help'], ['start', '-h'], ['status', '--help'], ['lookup', '--help']].map((args) => runCli(args)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.match(runs[0]?.stdout ?? '', /switchboard <command> --help/);
    assert.match(runs[1]?.stdout ?? '', /^Usage: switchboard start/);
    assert.match(runs[1]?.stdout ?? '', /--env-file <file>/);
    assert.equal(runs[2]?.stdout, runs[1]?.stdout);
    assert.match(runs[3]?.stdout ?? '', /^Usage: switchboard status/);
    assert.match(runs[4]?.stdout ?? '', /switchboard lookup/);
  });

  it('says which port is in use instead of printing an EADDRINUSE stack', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;
    try {
      const r = await runCli(['start', '--port', String(taken), '--admin-port', '0']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^switchboard: port ${taken} on 127\\.0\\.0\\.1 is already in use .*--port`, 'm'));
      assert.doesNotMatch(r.stderr, /EADDRINUSE|\n\s+at /);
    } finally {
      squatter.close();
    }
  });

  it('names the bad variable of a config error, and the nearest valid key', async () => {
    const apps = await runCli(['start'], { SWITCHBOARD_APPS: '[{"id":"1","key":"k",' });
    assert.equal(apps.code, 78);
    assert.match(apps.stderr, /invalid config "apps" from SWITCHBOARD_APPS: not valid JSON/);
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-typo-'));
    try {
      const file = join(dir, 'switchboard.json');
      await writeFile(file, JSON.stringify({ apps: [{ id: '1', key: 'k', secret: 's', clientEvent: true }] }));
      const typo = await runCli(['start', '--config', file]);
      assert.equal(typo.code, 78);
      assert.match(typo.stderr, /unknown key "apps\.0\.clientEvent" \(in .*switchboard\.json\): did you mean "apps\.0\.clientEvents"\?/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads a Laravel .env with --env-file, warns about unknown SWITCHBOARD_* variables and starts anyway', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-envfile-'));
    const envFile = join(dir, '.env');
    await writeFile(
      envFile,
      [
        'APP_NAME=Laravel',
        'BROADCAST_CONNECTION=pusher',
        'PUSHER_APP_ID=413',
        'PUSHER_APP_KEY="laravel-key"',
        "PUSHER_APP_SECRET='laravel-secret' # the app's secret",
        'PUSHER_HOST=127.0.0.1',
        'PUSHER_PORT=0',
        'PUSHER_SCHEME=http',
        'SWITCHBOARD_LOG_TIMESTAMPS=iso',
        'SWITCHBOARD_ADMIN__PORT=0',
        'SWITCHBOARD_ADMIN__TOKEN=env-file-admin-token-0123',
        'VITE_PUSHER_APP_KEY="${PUSHER_APP_KEY}"',
      ].join('\n'),
    );
    // The PHP examples' own variables must not stop the gateway; a typo is named.
    const cli = Cli.start(['--env-file', envFile], { SWITCHBOARD_API_URL: 'http://127.0.0.1:6001', SWITCHBOARD_APP_KEY: 'x', SWITCHBOARD_PROT: '7000' });
    try {
      const listening = await cli.logLine('switchboard listening');
      const port = listening['port'] as number;
      assert.match(String(listening['time']), /^\d{4}-\d\d-\d\dT[\d:.]+Z$/, 'SWITCHBOARD_* from the .env are read');
      const read = await cli.logLine('read the app from the env file');
      assert.deepEqual([read['app'], read['key'], read['from'], read['port']], ['413', 'laravel-key', 'PUSHER_APP_*', 0]);
      const warnings = cli.stdout.split('\n').filter((l) => l.includes('"config warning"')).map((l) => (JSON.parse(l) as { warning: string }).warning);
      assert.deepEqual(warnings, ['unknown environment variable SWITCHBOARD_PROT ignored (did you mean SWITCHBOARD_PORT?)']);
      assert.ok(!cli.stdout.includes('laravel-secret'), 'the secret is not logged');
      assert.equal((await api(port, 'POST', '/apps/413/events', { name: 'e', channel: 'c', data: 'd' }, { key: 'laravel-key', secret: 'laravel-secret' })).status, 200);
      assert.equal((await api(port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'c', data: 'd' })).status, 404, 'the dev app is not served');

      // status: a URL without scheme; a wrong token told apart from a missing one.
      const adminPort = (await cli.logLine('admin listener: /metrics /health /ready and the dashboard'))['port'] as number;
      const ok = await runStatus(['--url', `127.0.0.1:${adminPort}`, '--token', 'env-file-admin-token-0123']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^413 /m);
      const wrong = await runStatus(['--url', `127.0.0.1:${adminPort}`, '--token', 'not-the-admin-token']);
      assert.match(wrong.stderr, new RegExp(`http://127\\.0\\.0\\.1:${adminPort} rejected the admin token`));
      const missing = await runStatus(['--url', `127.0.0.1:${adminPort}`]);
      assert.match(missing.stderr, new RegExp(`no admin token given for http://127\\.0\\.0\\.1:${adminPort}: pass --token`));
    } finally {
      assert.equal(await cli.stop(), 0);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('status names the URL and the cause when nothing answers', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    const r = await runStatus(['--url', `127.0.0.1:${port}`, '--token', 'some-admin-token-0123456']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}: connection refused: is switchboard running there.*\\(ECONNREFUSED\\)`));
  });
});
