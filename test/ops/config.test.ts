import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/ops/config.js';

function file(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  const path = join(dir, 'switchboard.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('defaults: 127.0.0.1:6001 with the dev app', () => {
  const { config, usingDevApp } = loadConfig({ env: {} });
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 6001);
  assert.ok(usingDevApp);
  assert.deepEqual(
    config.apps.map((a) => [a.id, a.key, a.secret, a.enabled, a.maxEventBytes]),
    [['app-id', 'app-key', 'app-secret', true, 10240]],
  );
});

test('precedence: defaults < file < env < flags', () => {
  const path = file({ port: 7001, host: '127.0.0.2', logLevel: 'warn', apps: [{ id: '1', key: 'k', secret: 's' }] });
  const fromFile = loadConfig({ file: path, env: {} }).config;
  assert.deepEqual([fromFile.port, fromFile.host, fromFile.logLevel], [7001, '127.0.0.2', 'warn']);
  const fromEnv = loadConfig({ file: path, env: { SWITCHBOARD_PORT: '7002', SWITCHBOARD_REDIS__URL: 'redis://x:1', SWITCHBOARD_PATH_PREFIX: '/ws' } }).config;
  assert.deepEqual([fromEnv.port, fromEnv.host, fromEnv.redis.url, fromEnv.pathPrefix], [7002, '127.0.0.2', 'redis://x:1', '/ws']);
  const fromFlags = loadConfig({ file: path, env: { SWITCHBOARD_PORT: '7002' }, flags: { port: 7003 } }).config;
  assert.equal(fromFlags.port, 7003);
  assert.equal(loadConfig({ file: path, env: {} }).usingDevApp, false);
});

test('bad values stop start-up with a message naming the key', () => {
  assert.throws(() => loadConfig({ env: { SWITCHBOARD_PORT: 'abc' } }), /"port" from SWITCHBOARD_PORT: "abc" is not a number/);
  assert.throws(() => loadConfig({ env: { SWITCHBOARD_PORT: '70000' } }), /"port"/);
  assert.throws(() => loadConfig({ env: {}, flags: { apps: [{ id: 'a', key: 'k' }] } }), /"apps\.0\.secret"/);
  assert.throws(() => loadConfig({ env: {}, flags: { apps: [{ id: 'a', key: 'k', secret: 's', maxConnections: 'many' }] } }), /"apps\.0\.maxConnections"/);
  assert.throws(() => loadConfig({ file: file('{not json') }), /not valid JSON/);
  assert.throws(() => loadConfig({ file: '/nonexistent/switchboard.json' }), /cannot read/);
  assert.throws(
    () => loadConfig({ env: {}, flags: { apps: [{ id: 'a', key: 'k', secret: 's' }, { id: 'a', key: 'k2', secret: 's' }] } }),
    /"apps\.1\.id": duplicate/,
  );
});

test('env values are read by their type: booleans as true/false/1/0/yes/no/on/off, strings as they are, lists comma-separated', () => {
  for (const [raw, value] of [['true', true], ['1', true], ['YES', true], ['on', true], ['false', false], ['0', false], ['no', false], ['Off', false]] as const) {
    assert.equal(loadConfig({ env: { SWITCHBOARD_ADMIN__ENABLED: raw } }).config.admin.enabled, value, raw);
  }
  assert.throws(() => loadConfig({ env: { SWITCHBOARD_ADMIN__ENABLED: 'maybe' } }), /"admin\.enabled" from SWITCHBOARD_ADMIN__ENABLED: "maybe" is not a boolean/);
  // A host name that looks like a number stays a string.
  assert.equal(loadConfig({ env: { SWITCHBOARD_HOST: '1234' } }).config.host, '1234');
  assert.deepEqual(loadConfig({ env: { SWITCHBOARD_TRUSTED_PROXIES: '10.0.0.1, 10.0.0.0/8' } }).config.trustedProxies, ['10.0.0.1', '10.0.0.0/8']);
  assert.deepEqual(loadConfig({ env: { SWITCHBOARD_TRUSTED_PROXIES: '["::1"]' } }).config.trustedProxies, ['::1']);
});

test('env JSON that does not parse is named as such, without echoing it (it may hold secrets)', () => {
  assert.throws(
    () => loadConfig({ env: { SWITCHBOARD_APPS: '[{"id":"1","key":"k","secret":"hunter2",' } }),
    (e: Error) => /^invalid config "apps" from SWITCHBOARD_APPS: not valid JSON/.test(e.message) && !e.message.includes('hunter2'),
  );
});

test('an unknown key is named with where it came from and the nearest valid key', () => {
  assert.throws(() => loadConfig({ file: file({ apps: [{ id: '1', key: 'k', secrte: 's' }] }) }), /unknown key "apps\.0\.secrte" \(in .*switchboard\.json\): did you mean "apps\.0\.secret"\?/);
  assert.throws(() => loadConfig({ env: {}, flags: { prot: 1 } }), /unknown key "prot" \(from the command line\): did you mean "port"\?/);
  assert.throws(() => loadConfig({ env: { SWITCHBOARD_APPS: '[{"id":"1","key":"k","secret":"s","maxConection":1}]' } }), /unknown key "apps\.0\.maxConection" \(from SWITCHBOARD_APPS\): did you mean "apps\.0\.maxConnections"\?/);
  // Nothing near: no guess.
  assert.throws(() => loadConfig({ env: {}, flags: { zzzzzz: 1 } }), (e: Error) => /unknown key "zzzzzz"/.test(e.message) && !e.message.includes('did you mean'));
  // Several problems: one line each.
  assert.throws(() => loadConfig({ env: { SWITCHBOARD_PORT: '70000' }, flags: { hots: 'x' } }), /invalid config:\n {2}- "port" \(from SWITCHBOARD_PORT\): .*\n {2}- unknown key "hots" \(from the command line\): did you mean "host"\?/);
});

test('unknown SWITCHBOARD_* variables are warned about and ignored; the examples\' client variables silently', () => {
  const { config, warnings } = loadConfig({ env: { SWITCHBOARD_PROT: '7000', SWITCHBOARD_API_URL: 'http://127.0.0.1:6001', SWITCHBOARD_APP_KEY: 'k', SWITCHBOARD_WS_PORT: '6001', SWITCHBOARD_QWERTYUIOP: 'x' } });
  assert.equal(config.port, 6001);
  assert.deepEqual(warnings, ['unknown environment variable SWITCHBOARD_PROT ignored (did you mean SWITCHBOARD_PORT?)', 'unknown environment variable SWITCHBOARD_QWERTYUIOP ignored']);
});

test('a config file may name its JSON Schema', () => {
  const { config } = loadConfig({ file: file({ $schema: './schema/switchboard.schema.json', port: 7005 }), env: {} });
  assert.equal(config.port, 7005);
});

test('--env-file: a Laravel .env gives the app (Pusher or Reverb names) and, over plain http, the port', () => {
  const env = (lines: string[]): string => file(lines.join('\n'));
  const pusher = loadConfig({ envFile: env(['PUSHER_APP_ID=1', 'PUSHER_APP_KEY=pk', 'PUSHER_APP_SECRET="ps"', 'PUSHER_PORT=6005', 'PUSHER_SCHEME=http']), env: {} });
  assert.deepEqual(pusher.config.apps.map((a) => [a.id, a.key, a.secret]), [['1', 'pk', 'ps']]);
  assert.equal(pusher.config.port, 6005);
  assert.equal(pusher.usingDevApp, false);
  assert.deepEqual(pusher.warnings, []);

  // Laravel's default scheme is https: clients go through a TLS proxy, so that port is not ours.
  const tls = loadConfig({ envFile: env(['PUSHER_APP_ID=1', 'PUSHER_APP_KEY=pk', 'PUSHER_APP_SECRET=ps', 'PUSHER_PORT=443']), env: {} });
  assert.equal(tls.config.port, 6001);
  assert.match(tls.warnings[0] ?? '', /ignored PUSHER_PORT \(PUSHER_SCHEME is https/);

  const both = ['PUSHER_APP_ID=1', 'PUSHER_APP_KEY=pk', 'PUSHER_APP_SECRET=ps', 'REVERB_APP_ID=2', 'REVERB_APP_KEY=rk', 'REVERB_APP_SECRET=rs', 'REVERB_SERVER_PORT=8080'];
  const reverb = loadConfig({ envFile: env(['BROADCAST_CONNECTION=reverb', ...both]), env: {} });
  assert.deepEqual(reverb.config.apps.map((a) => a.key), ['rk']);
  assert.equal(reverb.config.port, 8080);
  assert.deepEqual(loadConfig({ envFile: env(both), env: {} }).config.apps.map((a) => a.key), ['pk'], 'Pusher names unless BROADCAST_CONNECTION says reverb');
  assert.deepEqual(loadConfig({ envFile: env(both.slice(3)), env: {} }).config.apps.map((a) => a.key), ['rk'], 'Reverb names alone');

  // The real environment and flags still win; SWITCHBOARD_* in the file count as environment.
  const layered = loadConfig({ envFile: env(['PUSHER_APP_ID=1', 'PUSHER_APP_KEY=pk', 'PUSHER_APP_SECRET=ps', 'SWITCHBOARD_HOST=127.0.0.3', 'SWITCHBOARD_PORT=7100']), env: { SWITCHBOARD_PORT: '7200' }, flags: { host: '127.0.0.4' } });
  assert.deepEqual([layered.config.host, layered.config.port], ['127.0.0.4', 7200]);

  assert.throws(() => loadConfig({ envFile: env(['PUSHER_APP_ID=1', 'PUSHER_APP_KEY=pk']), env: {} }), /sets some of PUSHER_APP_ID, PUSHER_APP_KEY, PUSHER_APP_SECRET but not PUSHER_APP_SECRET/);
  assert.throws(() => loadConfig({ envFile: '/nonexistent/.env', env: {} }), /cannot read env file \/nonexistent\/\.env/);
  assert.throws(() => loadConfig({ envFile: env(['PUSHER_APP_ID=1', 'PUSHER_APP_KEY=pk', 'PUSHER_APP_SECRET=ps', 'PUSHER_PORT=x', 'PUSHER_SCHEME=http']), env: {} }), /"port" from PUSHER_PORT in .*: "x" is not a port number/);
});
