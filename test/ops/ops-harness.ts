import pino, { type Logger } from 'pino';
import PusherModule from 'pusher-js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { Gateway } from '../../src/gateway.js';
import { loadConfig, type Config } from '../../src/ops/config.js';
import { Operations } from '../../src/ops/operations.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface OpsGateway {
  readonly gateway: Gateway;
  readonly ops: Operations;
  readonly config: Config;
  readonly port: number;
  /** `http://127.0.0.1:<admin port>` */
  readonly adminUrl: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** A gateway on a free loopback port with metrics, the debug console and the admin listener wired in as the CLI does. */
export async function startOpsGateway(flags: Record<string, unknown> = {}, extra: { cluster?: Cluster; log?: Logger } = {}): Promise<OpsGateway> {
  const { config } = loadConfig({ env: {}, flags: { port: 0, logLevel: 'silent', admin: { port: 0, token: ADMIN_TOKEN }, ...flags } });
  const log = extra.log ?? pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const ops = new Operations(config, log, { processMetrics: true });
  const gateway = new Gateway({ config, log, ...ops.gatewayObservers, ...(extra.cluster ? { cluster: extra.cluster } : {}) });
  const address = await gateway.start();
  const admin = await ops.start(gateway);
  if (!admin) throw new Error('admin listener disabled');
  let stopped: Promise<void> | undefined;
  return {
    gateway,
    ops,
    config,
    port: address.port,
    adminUrl: `http://127.0.0.1:${admin.address.port}`,
    token: admin.token,
    stop: () => (stopped ??= gateway.stop().then(() => ops.stop())),
  };
}

/** GET/POST on the admin listener with the bearer token; returns status and parsed JSON. */
export async function adminJson(g: OpsGateway, path: string, init: { method?: string; body?: unknown; token?: string | null } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers['authorization'] = `Bearer ${init.token ?? g.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${g.adminUrl}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls `check` until it returns a value other than undefined; for state with no event to await (a scrape). */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The parts of pusher-js (node build) these tests use. */
export interface PusherClient {
  readonly connection: { readonly state: string; readonly socket_id: string; bind(event: string, cb: (...args: unknown[]) => void): void };
  subscribe(channel: string): { bind(event: string, cb: (data: unknown) => void): void };
  disconnect(): void;
}

// pusher-js's CommonJS export is the constructor; its typings only declare a default export.
const Pusher = PusherModule as unknown as new (key: string, options: Record<string, unknown>) => PusherClient;

/** pusher-js connected over WebSocket to a test gateway; resolves once connected. */
export async function pusherClient(port: number): Promise<PusherClient> {
  const client = new Pusher('app-key', { cluster: 'mt1', wsHost: '127.0.0.1', wsPort: port, forceTLS: false, enabledTransports: ['ws'], disableStats: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('pusher-js did not connect')), 15_000);
    client.connection.bind('connected', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return client;
}
