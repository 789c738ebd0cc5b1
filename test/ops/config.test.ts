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
