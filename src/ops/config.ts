import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Errors, GatewayError } from '../protocol/errors.js';
import { WEBHOOK_KINDS } from '../protocol/webhook-kinds.js';
import { parseProxyEntry } from '../edge/client-address.js';

const WebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    event_types: z.array(z.enum(WEBHOOK_KINDS)).min(1),
    filter: z.object({ channel_name_starts_with: z.string().optional(), channel_name_ends_with: z.string().optional() }).strict().optional(),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const HistoryRuleSchema = z
  .object({
    pattern: z.string().min(1),
    maxEvents: z.number().int().positive().max(100_000).default(100),
    ttlSeconds: z.number().int().positive().default(3600),
  })
  .strict();

export const AppConfigSchema = z
  .object({
    id: z.string().min(1),
    key: z.string().min(1),
    secret: z.string().min(1),
    enabled: z.boolean().default(true),
    allowedOrigins: z.array(z.string()).default(['*']),
    maxConnections: z.number().int().min(-1).default(-1),
    maxEventBytes: z.number().int().positive().default(10_240),
    maxChannelsPerEvent: z.number().int().positive().default(100),
    maxBatchSize: z.number().int().positive().default(10),
    clientEvents: z.boolean().default(false),
    clientEventRate: z.number().int().positive().default(10),
    maxPresenceMembers: z.number().int().positive().default(100),
    maxPresenceUserInfoBytes: z.number().int().positive().default(1024),
    cacheTtlSeconds: z.number().int().positive().default(1800),
    subscriptionCountEvents: z.boolean().default(false),
    requireSignin: z.boolean().default(false),
    signinGraceSeconds: z.number().positive().default(30),
    webhooks: z.array(WebhookSchema).default([]),
    history: z.array(HistoryRuleSchema).default([]),
  })
  .strict();

/** How webhooks are batched and delivered (for every app's webhooks). */
const WebhookDeliverySchema = z
  .object({
    batchWindowMs: z.number().int().min(0).max(10_000).default(50),
    holdBackMs: z.number().int().min(0).max(600_000).default(3000),
    retryLimitSeconds: z.number().positive().default(300),
    retryInitialMs: z.number().int().positive().default(1000),
    timeoutMs: z.number().int().positive().default(5000),
    backlogSize: z.number().int().min(100).default(10_000),
  })
  .strict();

/** The Redis Stream publish queue. */
const QueueSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Defaults to `redis.url`. */
    redisUrl: z.string().min(1).optional(),
    stream: z.string().min(1).default('switchboard:events'),
    group: z.string().min(1).default('switchboard'),
    /** Defaults to `<hostname>-<pid>`: unique per process, so a restart's leftovers are reclaimed. */
    consumer: z.string().min(1).optional(),
    deadLetterStream: z.string().min(1).default('switchboard:events:dead'),
    dedupeWindowSeconds: z.number().int().positive().default(300),
    claimIdleSeconds: z.number().positive().default(60),
  })
  .strict();

export const ConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(6001),
    pathPrefix: z.string().regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'must look like /a/b or be empty').default(''),
    /**
     * Peers (addresses or CIDR ranges) whose `X-Forwarded-For` names the client: a reverse proxy in
     * front. Empty: the TCP peer is the client, whatever the headers say.
     */
    trustedProxies: z.array(z.string().refine((s) => parseProxyEntry(s) !== undefined, 'must be an IP address or CIDR range, e.g. 10.0.0.0/8')).default([]),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `epoch`: pino's `time` in milliseconds; `iso`: an ISO 8601 UTC time string. */
    logTimestamps: z.enum(['epoch', 'iso']).default('epoch'),
    apps: z.array(AppConfigSchema).default([]),
    activityTimeoutSeconds: z.number().int().min(1).max(3600).default(120),
    pongTimeoutSeconds: z.number().positive().max(600).default(30),
    maxBufferedBytes: z.number().int().min(1024).default(1024 * 1024),
    maxMessageBytes: z.number().int().min(1024).default(256 * 1024),
    maxChannelsPerConnection: z.number().int().positive().default(1000),
    shutdownTimeoutSeconds: z.number().positive().default(10),
    /**
     * Worker processes behind the one port (Node's cluster module); `auto` = one per core. Without
     * Redis they share state through the primary (HostCluster); with `adapter: redis` each is a node.
     */
    workers: z.union([z.number().int().min(1).max(256), z.literal('auto')]).default(1),
    /** pusher-js's HTTP fallback transports, xhr_streaming and xhr_polling. */
    httpFallback: z
      .object({
        enabled: z.boolean().default(true),
        /** Idle seconds before a stream or held poll gets `h`; below 30 so clients and proxies see traffic. */
        heartbeatSeconds: z.number().min(0.05).max(29).default(25),
        /** Seconds a session may go without an open receive request before it counts as disconnected. */
        sessionTimeoutSeconds: z.number().min(0.1).max(600).default(10),
        /**
         * Seconds after the client dropped its stream or held poll (closed the request, as pusher-js does
         * on disconnect) before the session is over, unless the client comes back. Capped by sessionTimeoutSeconds.
         */
        abandonGraceSeconds: z.number().min(0.05).max(600).default(3),
      })
      .strict()
      .prefault({}),
    /** `GET /sse/{key}?channels=…`: Server-Sent Events for pages without a Pusher library. */
    sse: z
      .object({
        enabled: z.boolean().default(true),
        /** Idle seconds before a stream gets a `:` comment line. */
        heartbeatSeconds: z.number().min(0.05).max(120).default(15),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9601),
        // Unset: a random token is generated and printed at start-up.
        token: z.string().min(16, 'must be at least 16 characters').optional(),
      })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 9601 }),
    adapter: z.enum(['local', 'redis']).default('local'),
    redis: z
      .object({
        url: z.string().default('redis://127.0.0.1:6379'),
        prefix: z.string().default('switchboard:'),
        /** How often each node writes its heartbeat (and looks for dead nodes). */
        heartbeatSeconds: z.number().min(0.05).max(60).default(5),
        /** A node silent this long is dead: survivors remove its presence members and counts. */
        nodeTtlSeconds: z.number().min(0.2).max(600).default(15),
      })
      .strict()
      .refine((r) => r.nodeTtlSeconds >= 2 * r.heartbeatSeconds, { message: 'nodeTtlSeconds must be at least twice heartbeatSeconds', path: ['nodeTtlSeconds'] })
      .prefault({}),
    webhooks: WebhookDeliverySchema.prefault({}),
    queue: QueueSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type AppConfig = z.infer<typeof AppConfigSchema>;

/** The app every Laravel/soketi .env already points at, used when no app is configured. */
export const DEV_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' } as const;

export interface ConfigSources {
  /** Path of a JSON config file (`--config`). */
  readonly file?: string | undefined;
  /** Environment variables; only `SWITCHBOARD_*` are read. */
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, already in config shape. */
  readonly flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Set when no app was configured and the development app was added. */
  readonly usingDevApp: boolean;
}

const ENV_PREFIX = 'SWITCHBOARD_';

/**
 * Builds the configuration: defaults < file < env < flags, then validates it. Throws
 * `GatewayError(InvalidConfig)` whose message names the offending key.
 */
export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  let merged: Record<string, unknown> = {};
  if (sources.file) merged = deepMerge(merged, readConfigFile(sources.file));
  merged = deepMerge(merged, fromEnv(sources.env ?? {}));
  merged = deepMerge(merged, sources.flags ?? {});
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.join('.') : '';
    const keys = issue && issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw new GatewayError(Errors.InvalidConfig, `invalid config ${path ? `"${path}"` : 'root'}${keys}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  const usingDevApp = config.apps.length === 0;
  if (usingDevApp) config.apps.push(AppConfigSchema.parse({ ...DEV_APP }));
  checkUnique(config.apps);
  return { config, usingDevApp };
}

function checkUnique(apps: readonly AppConfig[]): void {
  for (const field of ['id', 'key'] as const) {
    const seen = new Set<string>();
    apps.forEach((app, i) => {
      if (seen.has(app[field])) throw new GatewayError(Errors.InvalidConfig, `invalid config "apps.${i}.${field}": duplicate ${field} ${app[field]}`);
      seen.add(app[field]);
    });
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GatewayError(Errors.InvalidConfig, `cannot read config file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GatewayError(Errors.InvalidConfig, `config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(value)) throw new GatewayError(Errors.InvalidConfig, `config file ${path} must hold a JSON object`);
  return value;
}

/**
 * `SWITCHBOARD_PORT=7000` → `{port: 7000}`; `SWITCHBOARD_REDIS__URL=…` → `{redis: {url: …}}`;
 * `SWITCHBOARD_PATH_PREFIX` → `pathPrefix`. Values are read as JSON when they parse, else as strings.
 */
export function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw; // A plain string such as a host name or URL.
    }
    let node = out;
    path.forEach((key, i) => {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        throw new GatewayError(Errors.InvalidConfig, `invalid config key from ${name}`);
      }
      if (i === path.length - 1) node[key] = value;
      else node = (node[key] = isPlainObject(node[key]) ? node[key] : {}) as Record<string, unknown>;
    });
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (key === '__proto__') continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}
