import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { RawClient } from '../helpers/raw-client.js';
import { startGateway } from '../helpers/gateway.js';
import { api } from '../helpers/sign.js';

test('a client that stops reading is cut off (4100) once its backlog passes maxBufferedBytes; others keep receiving', async () => {
  const closes: Array<{ socketId: string; code: number }> = [];
  const maxBufferedBytes = 256 * 1024;
  const gw = await startGateway({ maxBufferedBytes }, { observers: [{ connectionClosed: (e) => closes.push(e) }] });
  try {
    const slow = await RawClient.established(gw.port);
    await slow.client.subscribe('firehose');
    const healthy = await RawClient.established(gw.port);
    await healthy.client.subscribe('firehose');
    // Stop reading: the kernel buffers fill, then the server's user-space backlog grows.
    (slow.client.ws as unknown as { _socket: Socket })._socket.pause();

    const data = 'x'.repeat(9000);
    let sent = 0;
    const serverSide = () => [...gw.gateway.core.allConnections()].find((c) => c.socketId === slow.socketId);
    while (serverSide() && sent < 60 * 1024 * 1024) {
      const batch = Array.from({ length: 10 }, () => ({ name: 'blob', channel: 'firehose', data }));
      const res = await api(gw.port, 'POST', '/apps/app-id/batch_events', { batch });
      assert.equal(res.status, 200);
      sent += 10 * data.length;
    }
    assert.equal(serverSide(), undefined, `slow client still connected after ${sent} bytes`);
    const closed = closes.find((c) => c.socketId === slow.socketId);
    assert.equal(closed?.code, 4100);
    // Cut off after the bound plus what the kernel's socket buffers absorbed, long before the 60 MiB cap.
    assert.ok(sent < 16 * 1024 * 1024, `cut only after ${sent} bytes`);

    // The healthy subscriber got every event and is still served.
    await api(gw.port, 'POST', '/apps/app-id/events', { name: 'after', channel: 'firehose', data: 'ok' });
    await healthy.client.next('after', 10_000);
    assert.equal(healthy.client.frames.filter((f) => f.event === 'blob').length, sent / data.length);
    console.log(`# slow consumer cut after ${(sent / 1024 / 1024).toFixed(1)} MiB published (bound ${maxBufferedBytes} B + kernel socket buffers)`);
    healthy.client.close();
  } finally {
    await gw.stop();
  }
});
