import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Errors, GatewayError } from '../protocol/errors.js';
import { WEBHOOK_KINDS } from '../protocol/webhook-kinds.js';
import { readEnv } from './config-env.js';
import { keysAt, nearest } from './config-keys.js';
import { readEnvFile } from './env-file.js';
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
  /** Path of a Laravel-style .env file (`--env-file`): its app, port and `SWITCHBOARD_*` variables. */
  readonly envFile?: string | undefined;
  /** Environment variables; only `SWITCHBOARD_*` are read. */
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, already in config shape. */
  readonly flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Set when no app was configured and the development app was added. */
  readonly usingDevApp: boolean;
  /** Things the operator should hear about (unknown `SWITCHBOARD_*` variables, ignored .env values). */
  readonly warnings: readonly string[];
  /** What `--env-file` contributed, for one log line; undefined without it. */
  readonly envFile?: Record<string, unknown> | undefined;
}

/** One source of values and how to name where a value came from. */
interface Layer {
  readonly values: Record<string, unknown>;
  /** Dotted path → the variable it came from. */
  readonly names?: ReadonlyMap<string, string>;
  readonly label: string;
}

/**
 * Builds the configuration: defaults < file < env file < env < flags, then validates it. Throws
 * `GatewayError(InvalidConfig)` whose message names the offending key and where it came from (the
 * variable, the file, the command line), with the nearest valid key for an unknown one.
 */
export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const layers: Layer[] = [];
  if (sources.file) {
    const values = readConfigFile(sources.file);
    layers.push({ values, label: `in ${sources.file}` });
  }
  const envFile = sources.envFile ? readEnvFile(sources.envFile) : undefined;
  if (envFile) layers.push({ values: envFile.values, names: envFile.variables, label: `from ${sources.envFile ?? ''}` });
  const env = readEnv({ ...envFile?.env, ...sources.env }, ConfigSchema);
  layers.push({ values: env.values, names: env.variables, label: 'from the environment' });
  layers.push({ values: sources.flags ?? {}, label: 'from the command line' });
  const merged = layers.reduce<Record<string, unknown>>((acc, layer) => deepMerge(acc, layer.values), {});
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) throw new GatewayError(Errors.InvalidConfig, describeIssues(parsed.error.issues, layers));
  const config = parsed.data;
  const usingDevApp = config.apps.length === 0;
  if (usingDevApp) config.apps.push(AppConfigSchema.parse({ ...DEV_APP }));
  checkUnique(config.apps);
  const warnings = [...env.warnings];
  if (envFile?.summary['ignored']) warnings.push(`${sources.envFile ?? ''}: ignored ${String(envFile.summary['ignored'])}`);
  return { config, usingDevApp, warnings, envFile: envFile?.summary };
}

/** One line per problem (at most 10), each naming the key, where it came from and, for a typo, the nearest key. */
function describeIssues(issues: readonly z.core.$ZodIssue[], layers: readonly Layer[]): string {
  const lines = issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const full = [...path, key];
        const guess = nearest(key, keysAt(ConfigSchema, path));
        return `unknown key "${full.join('.')}"${where(full, layers)}${guess ? `: did you mean "${[...path, guess].join('.')}"?` : ''}`;
      });
    }
    return [`"${path.join('.')}"${where(path, layers)}: ${issue.message}`];
  });
  if (lines.length === 1) return `invalid config ${lines[0] ?? ''}`;
  const shown = lines.slice(0, 10).map((l) => `\n  - ${l}`).join('');
  return `invalid config:${shown}${lines.length > 10 ? `\n  … and ${lines.length - 10} more` : ''}`;
}

/** ` (from SWITCHBOARD_PORT)`: the source that set `path` or the nearest object holding it. */
function where(path: readonly string[], layers: readonly Layer[]): string {
  for (let length = path.length; length > 0; length--) {
    const prefix = path.slice(0, length);
    for (const layer of [...layers].reverse()) {
      if (valueAt(layer.values, prefix) === undefined) continue;
      for (let n = length; n > 0; n--) {
        const name = layer.names?.get(path.slice(0, n).join('.'));
        if (name) return ` (from ${name})`;
      }
      return ` (${layer.label})`;
    }
  }
  return '';
}

function valueAt(values: unknown, path: readonly string[]): unknown {
  let node = values;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
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
  // The file may name its JSON Schema for editors (schema/switchboard.schema.json); it is not a setting.
  const { $schema: _schema, ...settings } = value;
  return settings;
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
