// The gateway under test, in its own process (run with --expose-gc): answers the runner's IPC
// requests for its address, session counts and memory after a full GC.
import pino from 'pino';
import { Gateway } from '../../dist/src/gateway.js';
import { loadConfig } from '../../dist/src/ops/config.js';

const sessionTimeoutSeconds = Number(process.env.SESSION_TIMEOUT_SECONDS ?? 2);
const { config } = loadConfig({
  env: {},
  flags: { port: 0, logLevel: 'silent', httpFallback: { sessionTimeoutSeconds } },
});
const gateway = new Gateway({ config, log: pino({ level: 'silent' }) });
const address = await gateway.start();

async function fullGc() {
  // Several passes with turns in between so weak maps, closed sockets and finalizers settle.
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

process.on('message', async (msg) => {
  const reply = (body) => process.send({ id: msg.id, ...body });
  switch (msg.cmd) {
    case 'address':
      return reply({ port: address.port });
    case 'counts':
      return reply({ sessions: gateway.fallback.sessionCount(), connections: gateway.core.connectionCount() });
    case 'memory': {
      await fullGc();
      const m = process.memoryUsage();
      return reply({ heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers });
    }
    case 'stop':
      await gateway.stop();
      reply({});
      process.exit(0);
  }
});
process.send({ ready: true });
