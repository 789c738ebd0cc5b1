import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStatus } from '../../src/cli/status.js';
import { formatUptime } from '../../src/ops/uptime.js';

test('uptime reads as the two largest units', () => {
  assert.deepEqual([0, 45, 104, 3600, 7440, 86_399, 277_200].map(formatUptime), ['0s', '45s', '1m 44s', '1h 0m', '2h 4m', '23h 59m', '3d 5h']);
});

test('switchboard status prints the uptime in the same words as the dashboard', () => {
  const text = formatStatus({
    overview: {
      node: { nodeId: 'n1', uptimeSeconds: 104, uptime: '1m 44s', ready: true, draining: false, clusterHealthy: true, connections: 0, channels: 0, apiRequests: 0, memory: { rss: 0, heapUsed: 0 } },
      apps: [],
    },
    channels: {},
  });
  assert.match(text, /^node n1 {2}ready {2}up 1m 44s /);
});
