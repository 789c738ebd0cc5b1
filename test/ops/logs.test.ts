import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/ops/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { captureLog as capture } from '../helpers/log-capture.js';
import { api } from '../helpers/sign.js';
import { startOpsGateway } from './ops-harness.js';

describe('structured logs', () => {
  it('gives each HTTP API and admin request its own child logger, without the signature or secret', async () => {
    const out = capture('debug');
    const g = await startOpsGateway({}, { log: out.log });
    try {
      assert.equal((await api(g.port, 'POST', '/apps/app-id/events', { name: 'e', channel: 'c', data: 'd' })).status, 200);
      assert.equal((await api(g.port, 'GET', '/apps/app-id/channels')).status, 200);
      assert.equal((await fetch(`${g.adminUrl}/api/overview`, { headers: { authorization: `Bearer ${g.token}` } })).status, 200);
    } finally {
      await g.stop();
    }
    const requests = out.lines.filter((l) => l['msg'] === 'api request');
    assert.deepEqual(
      requests.map((l) => [l['component'], l['method'], l['path'], l['route'], l['status']]),
      [
        ['api', 'POST', '/apps/app-id/events', 'events', 200],
        ['api', 'GET', '/apps/app-id/channels', 'channels', 200],
      ],
    );
    assert.notEqual(requests[0]?.['reqId'], requests[1]?.['reqId']);
    const admin = out.lines.find((l) => l['msg'] === 'admin request');
    assert.equal(admin?.['component'], 'admin');
    assert.equal(admin?.['path'], '/api/overview');
    assert.equal(typeof admin?.['reqId'], 'number');
    assert.ok(!out.text().includes('auth_signature'), 'signatures stay out of the logs');
    assert.ok(!out.text().includes('app-secret'), 'the secret stays out of the logs');
    assert.ok(!out.text().includes(g.token), 'the admin token stays out of the logs');
  });

  it('takes its level from config', () => {
    const { config } = loadConfig({ env: { SWITCHBOARD_LOG_LEVEL: 'warn' } });
    const log = createLogger(config.logLevel, false);
    assert.equal(log.level, 'warn');
    assert.equal(log.isLevelEnabled('info'), false);
    assert.equal(log.isLevelEnabled('warn'), true);
  });
});
