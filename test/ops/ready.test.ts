import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../../src/cluster/cluster.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { startOpsGateway } from './ops-harness.js';

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The in-memory cluster with a switch to play an unreachable Redis. */
class SwitchableCluster extends LocalCluster implements Cluster {
  up = true;
  override healthy(): boolean {
    return this.up;
  }
}

describe('/health and /ready', () => {
  it('/ready answers 503 from the moment a drain starts; /health stays alive', async () => {
    const g = await startOpsGateway();
    try {
      assert.deepEqual(await get(`${g.adminUrl}/health`), { status: 200, body: { status: 'alive' } });
      assert.deepEqual(await get(`${g.adminUrl}/ready`), { status: 200, body: { ready: true } });

      const { client } = await RawClient.established(g.port);
      const stopping = g.gateway.stop();
      const during = await get(`${g.adminUrl}/ready`);
      assert.deepEqual(during, { status: 503, body: { ready: false, reason: 'draining' } });
      assert.equal((await get(`${g.adminUrl}/health`)).status, 200);
      assert.equal((await client.closed).code, 4200);
      await stopping;
      assert.equal((await get(`${g.adminUrl}/ready`)).status, 503, 'still not ready after the drain');
    } finally {
      await g.stop();
    }
  });

  it('/ready answers 503 while the cluster is unavailable and 200 once it is back', async () => {
    const cluster = new SwitchableCluster();
    const g = await startOpsGateway({}, { cluster });
    try {
      assert.equal((await get(`${g.adminUrl}/ready`)).status, 200);
      cluster.up = false;
      assert.deepEqual(await get(`${g.adminUrl}/ready`), { status: 503, body: { ready: false, reason: 'cluster unavailable' } });
      assert.equal((await get(`${g.adminUrl}/health`)).status, 200);
      cluster.up = true;
      assert.equal((await get(`${g.adminUrl}/ready`)).status, 200);
    } finally {
      await g.stop();
    }
  });

  it('metrics, health and ready need no token; the JSON API refuses a missing or wrong one', async () => {
    const g = await startOpsGateway();
    try {
      assert.equal((await fetch(`${g.adminUrl}/metrics`)).status, 200);
      const missing = await get(`${g.adminUrl}/api/overview`);
      assert.equal(missing.status, 401);
      assert.equal(missing.body['error'], 'admin token required');
      const wrong = await fetch(`${g.adminUrl}/api/overview`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
      assert.equal(wrong.status, 401);
      const right = await fetch(`${g.adminUrl}/api/overview`, { headers: { authorization: `Bearer ${g.token}` } });
      assert.equal(right.status, 200);
      assert.equal((await get(`${g.adminUrl}/nowhere`)).status, 404);
    } finally {
      await g.stop();
    }
  });
});
