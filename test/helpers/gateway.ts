import pino, { type Logger } from 'pino';
import { Gateway } from '../../src/gateway.js';
import type { LogLimiter } from '../../src/core/log-limiter.js';
import { loadConfig, type Config } from '../../src/ops/config.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import type { CoreObserver } from '../../src/core/observer.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly port: number;
  readonly host: string;
  readonly config: Config;
  stop(): Promise<void>;
}

/** The default dev app with switches a test can flip. */
export function testApp(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'app-id', key: 'app-key', secret: 'app-secret', ...overrides };
}

/** Starts a gateway on a free loopback port with a silent logger (or `extra.log`). */
export async function startGateway(
  flags: Record<string, unknown> = {},
  extra: { cluster?: Cluster; observers?: CoreObserver[]; log?: Logger; logLimiter?: LogLimiter } = {},
): Promise<TestGateway> {
  const { config } = loadConfig({ env: {}, flags: { port: 0, logLevel: 'silent', ...flags } });
  const { log, ...rest } = extra;
  const gateway = new Gateway({ config, log: log ?? pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }), ...rest });
  const address = await gateway.start();
  return { gateway, port: address.port, host: '127.0.0.1', config, stop: () => gateway.stop() };
}
