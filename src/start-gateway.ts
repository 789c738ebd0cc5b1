import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Cluster } from './cluster/cluster.js';
import { Gateway } from './gateway.js';
import { ConfigSchema, DEV_APP, loadConfig, type Config } from './ops/config.js';
import { createLogger } from './ops/logger.js';
import { Operations } from './ops/operations.js';

/**
 * A configuration as written in a `switchboard.json` file: every key optional, defaults filled in
 * and everything validated by `startGateway`.
 */
export type SwitchboardConfig = z.input<typeof ConfigSchema>;

export interface StartOptions {
  /** The pino logger to use; by default JSON lines on stdout at the config's `logLevel`. */
  readonly log?: Logger;
}

/** The admin listener of a running gateway (metrics, health, readiness, dashboard). */
export interface RunningAdmin {
  readonly address: AddressInfo;
  /** The bearer token of the admin API and dashboard: `admin.token`, or one generated for this run. */
  readonly token: string;
  /** True when no `admin.token` was configured and `token` was generated. */
  readonly generatedToken: boolean;
}

/** A started gateway: where it listens, and how to stop it. */
export interface RunningGateway {
  /** The bound address of the main port (WebSocket, HTTP API, fallbacks, SSE). */
  readonly address: AddressInfo;
  /** Undefined when `admin.enabled` is false or its port could not be bound (logged). */
  readonly admin: RunningAdmin | undefined;
  /** The validated configuration, defaults filled in. */
  readonly config: Config;
  readonly gateway: Gateway;
  readonly log: Logger;
  /**
   * Graceful stop: closes client connections with 4200 (clients reconnect elsewhere), lets API
   * requests finish within `shutdownTimeoutSeconds`, then closes the admin listener. Idempotent.
   */
  stop(): Promise<void>;
  /**
   * Re-reads what can change without a restart (`switchboard start` does it on SIGHUP): today the
   * TLS certificate and key. Open connections stay. Rejects, and keeps the old state, when the new
   * files are unusable.
   */
  reload(): Promise<void>;
}

/**
 * Starts a gateway from a configuration object, as `switchboard start` does from its file, env and
 * flags (no environment variable is read here). Throws `GatewayError(InvalidConfig)` naming the bad
 * key. With no `apps` the development app (`app-id` / `app-key` / `app-secret`) is served, with a
 * warning.
 *
 * ```ts
 * import { startGateway } from 'switchboard';
 * const gw = await startGateway({ port: 6001, apps: [{ id: '42', key: 'my-key', secret: 'change-me' }] });
 * console.log(gw.address.port);
 * await gw.stop();
 * ```
 */
export async function startGateway(config: SwitchboardConfig = {}, options: StartOptions = {}): Promise<RunningGateway> {
  const loaded = loadConfig({ env: {}, flags: config as Record<string, unknown> });
  const log = options.log ?? createLogger(loaded.config.logLevel, false);
  if (loaded.usingDevApp) warnDevApp(log);
  return launchGateway(loaded.config, log);
}

/** The warning for a gateway serving the development app. */
export function warnDevApp(log: Logger): void {
  log.warn({ appId: DEV_APP.id, key: DEV_APP.key }, 'no apps configured: using the development app (app-id / app-key / app-secret); do not use it in production');
}

/**
 * Builds and starts the gateway and its operations side (metrics, admin listener) from a validated
 * configuration: the one composition `switchboard start` and `startGateway` share.
 */
export async function launchGateway(config: Config, log: Logger, options: { cluster?: Cluster } = {}): Promise<RunningGateway> {
  const ops = new Operations(config, log);
  const gateway = new Gateway({ config, log, ...(options.cluster ? { cluster: options.cluster } : {}), ...ops.gatewayObservers });
  let address: AddressInfo;
  try {
    address = await gateway.start();
  } catch (error) {
    // A port in use must not leave the cluster's connections and timers behind in a library caller.
    await gateway.stop().catch((stopError: unknown) => log.debug({ err: stopError }, 'cleanup after a failed start failed'));
    throw error;
  }
  log.info({ host: address.address, port: address.port, apps: config.apps.length, adapter: config.adapter }, 'switchboard listening');
  let admin: RunningAdmin | undefined;
  try {
    admin = await ops.start(gateway);
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  if (admin) log.info({ host: admin.address.address, port: admin.address.port }, 'admin listener: /metrics /health /ready and the dashboard');
  let stopping: Promise<void> | undefined;
  return {
    address,
    admin,
    config,
    gateway,
    log,
    stop: () => (stopping ??= gateway.stop().then(() => ops.stop())),
    reload: async () => {
      log.info('reload: nothing to reload without TLS');
    },
  };
}
