import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import { channelNameProblem, channelTraits } from '../protocol/channel-name.js';
import { Errors, GatewayError, isGatewayError } from '../protocol/errors.js';
import type { Core } from '../core/core.js';
import type { ApiObserver } from '../seams/observers.js';
import { LogLimiter } from '../core/log-limiter.js';
import { validateBatch, validatePublish, type PublishRequest } from '../core/publisher.js';
import { channelHistory } from './history-route.js';
import { parseJsonObject, readBody, sendError, sendJson } from '../edge/http-io.js';
import { verifyApiRequest } from './request-auth.js';

export interface ApiContext {
  readonly app: App;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Buffer;
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** Path after `/apps/{app_id}`, with `:name` placeholders. */
  readonly path: string;
  /** Metric label. */
  readonly name: string;
  handle(ctx: ApiContext): Promise<unknown>;
}

export interface HttpApiOptions {
  readonly pathPrefix: string;
  readonly maxBodyBytes: number;
  /** Parent of the per-request child loggers (request id, method, path, route). */
  readonly log?: Logger;
  /** Rate limit on the `api auth failed` lines (shared with core's refusal lines). */
  readonly logLimiter?: LogLimiter;
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, x-requested-with, authorization',
  'access-control-max-age': '600',
};

interface CompiledRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
}

/**
 * The signed HTTP API (`/apps/{id}/…`): routing, request signing, CORS and error translation.
 * Routes only see a verified app and a body within limits; every failure leaves with a real HTTP
 * status and a JSON `{error}` body.
 */
export class HttpApi {
  private readonly routes: CompiledRoute[] = [];
  private readonly prefixes: string[];
  private readonly limiter: LogLimiter;
  private inFlight = 0;
  private requestSeq = 0;

  constructor(
    private readonly apps: AppStore,
    private readonly options: HttpApiOptions,
    private readonly observer: ApiObserver = {},
  ) {
    this.prefixes = options.pathPrefix ? ['', options.pathPrefix.replace(/\/+$/, '')] : [''];
    this.limiter = options.logLimiter ?? new LogLimiter();
  }

  add(route: ApiRoute): this {
    const keys: string[] = [];
    const source = route.path.replace(/:([a-z_]+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({ route, pattern: new RegExp(`^/apps/([^/]+)${source}$`), keys });
    return this;
  }

  private idleWaiters: Array<() => void> = [];

  /** Resolves when no API request is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Handles the request when its path is under `/apps/`; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const prefix = this.prefixes.find((p) => url.pathname.startsWith(`${p}/apps/`));
    if (prefix === undefined) return false;
    const started = performance.now();
    this.inFlight++;
    let routeName = 'unknown';
    const parentLog = this.options.log;
    let requestLog: Logger | undefined;
    // Created only when something is logged; the query (signatures) stays out of it.
    const log = (): Logger | undefined => parentLog && (requestLog ??= parentLog.child({ reqId: ++this.requestSeq, method: req.method, path: url.pathname, route: routeName }));
    this.serve(req, res, url, prefix, (name) => (routeName = name))
      .then(
        (body) => {
          sendJson(res, 200, body, CORS_HEADERS);
          return 200;
        },
        (error: unknown) => {
          const status = sendError(res, error, CORS_HEADERS);
          if (!isGatewayError(error)) log()?.error({ err: error, status }, 'api request failed');
          else if (error.kind === Errors.AuthFailed) {
            const requestLog = log();
            if (requestLog) this.limiter.write(requestLog, 'info', 'api auth failed', { status, remoteAddress: req.socket.remoteAddress, reason: error.message }, 'api auth failed');
          }
          return status;
        },
      )
      .then((status) => {
        if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
        const ms = performance.now() - started;
        this.observer.request?.({ route: routeName, method: req.method ?? '', status, ms });
        if (parentLog?.isLevelEnabled('debug')) log()?.debug({ status, ms: Math.round(ms * 10) / 10 }, 'api request');
      });
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: URL, prefix: string, named: (name: string) => void): Promise<unknown> {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS);
      res.end();
      return undefined;
    }
    const path = url.pathname.slice(prefix.length);
    let matched: { route: ApiRoute; params: Record<string, string>; appId: string } | undefined;
    let pathMatched = false;
    for (const { route, pattern, keys } of this.routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      keys.forEach((key, i) => (params[key] = safeDecode(m[i + 2] ?? '')));
      matched = { route, params, appId: safeDecode(m[1] ?? '') };
      break;
    }
    if (!matched) {
      if (pathMatched) throw new GatewayError(Errors.MethodNotAllowed, `${method} not allowed on ${path}`);
      throw new GatewayError(Errors.NotFound, `no route ${method} ${path}`);
    }
    named(matched.route.name);
    const app = this.apps.byId(matched.appId);
    if (!app) {
      req.resume();
      throw new GatewayError(Errors.NotFound, `app ${matched.appId} does not exist`);
    }
    const body = await readBody(req, this.options.maxBodyBytes);
    verifyApiRequest(app, method, url.pathname, url.searchParams, body, Date.now());
    if (!app.enabled) throw new GatewayError(Errors.Forbidden, 'app is disabled');
    return matched.route.handle({ app, params: matched.params, query: url.searchParams, body });
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new GatewayError(Errors.BadRequest, 'malformed percent-encoding in path');
  }
}

function infoFields(query: URLSearchParams): Set<string> {
  return new Set((query.get('info') ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

function requireChannel(name: string): void {
  const problem = channelNameProblem(name);
  if (problem) throw new GatewayError(Errors.BadRequest, `invalid channel: ${problem}`);
}

/** The Pusher HTTP API routes over core. */
export function pusherRoutes(core: Core): ApiRoute[] {
  const { cluster } = core;
  const requireCluster = (): void => {
    if (!cluster.healthy()) throw new GatewayError(Errors.Unavailable, 'cluster state is unavailable; try again');
  };
  /** The `:channel` of a route that reads cluster state, checked (503 / 400) before anything runs. */
  const clusterChannel = (params: Readonly<Record<string, string>>): string => {
    requireCluster();
    const channel = params['channel'] as string;
    requireChannel(channel);
    return channel;
  };

  async function channelInfo(app: App, channel: string, info: Set<string>): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (info.has('subscription_count')) out['subscription_count'] = await cluster.channels.count(app.id, channel);
    if (info.has('user_count') && channelTraits(channel).kind === 'presence') out['user_count'] = await cluster.presence.memberCount(app.id, channel);
    return out;
  }

  /**
   * Publishes, then reads the asked `info` of each channel. Results keyed by channel name are built in
   * Maps: a channel may be called `__proto__`. `Object.fromEntries` then defines it as an own key.
   */
  async function publishWithInfo(app: App, request: PublishRequest, info: Set<string>): Promise<Map<string, Record<string, number>> | undefined> {
    await core.publish(app, request);
    if (info.size === 0) return undefined;
    const channels = new Map<string, Record<string, number>>();
    for (const channel of request.channels) channels.set(channel, await channelInfo(app, channel, info));
    return channels;
  }

  function checkInfo(info: Set<string>): void {
    for (const field of info) {
      if (field !== 'user_count' && field !== 'subscription_count') throw new GatewayError(Errors.BadRequest, `unknown info field ${field}`);
    }
  }

  return [
    {
      method: 'POST',
      path: '/events',
      name: 'events',
      async handle({ app, body }) {
        const json = parseJsonObject(body);
        const request = validatePublish(app, json);
        const info = new Set(typeof json['info'] === 'string' ? json['info'].split(',').map((s) => s.trim()).filter(Boolean) : []);
        checkInfo(info);
        const channels = await publishWithInfo(app, request, info);
        return channels ? { channels: Object.fromEntries(channels) } : {};
      },
    },
    {
      method: 'POST',
      path: '/batch_events',
      name: 'batch_events',
      async handle({ app, body }) {
        const json = parseJsonObject(body);
        const items = validateBatch(app, json['batch']).map(({ request, raw }) => {
          const info = new Set(typeof raw['info'] === 'string' ? raw['info'].split(',').map((s) => s.trim()).filter(Boolean) : []);
          checkInfo(info);
          return { request, info };
        });
        const results = [];
        for (const { request, info } of items) {
          const channels = await publishWithInfo(app, request, info);
          results.push(channels?.get(request.channels[0] as string) ?? {});
        }
        return items.some((i) => i.info.size > 0) ? { batch: results } : {};
      },
    },
    {
      method: 'GET',
      path: '/channels',
      name: 'channels',
      async handle({ app, query }) {
        requireCluster();
        const prefix = query.get('filter_by_prefix') ?? '';
        const info = infoFields(query);
        checkInfo(info);
        if (info.has('user_count') && !prefix.startsWith('presence-')) {
          throw new GatewayError(Errors.BadRequest, 'info=user_count requires filter_by_prefix=presence-');
        }
        const listed = await cluster.channels.list(app.id, prefix);
        const channels = new Map<string, Record<string, number>>();
        for (const [name, count] of listed) {
          if (name.startsWith('#')) continue;
          const entry: Record<string, number> = {};
          if (info.has('subscription_count')) entry['subscription_count'] = count;
          if (info.has('user_count')) entry['user_count'] = await cluster.presence.memberCount(app.id, name);
          channels.set(name, entry);
        }
        return { channels: Object.fromEntries(channels) };
      },
    },
    {
      method: 'GET',
      path: '/channels/:channel',
      name: 'channel',
      async handle({ app, params, query }) {
        const channel = clusterChannel(params);
        const info = infoFields(query);
        const traits = channelTraits(channel);
        for (const field of info) {
          if (field === 'user_count' && traits.kind !== 'presence') throw new GatewayError(Errors.BadRequest, 'user_count is only available for presence channels');
          if (field === 'cache' && !traits.cache) throw new GatewayError(Errors.BadRequest, 'cache is only available for cache channels');
          if (field !== 'user_count' && field !== 'subscription_count' && field !== 'cache') throw new GatewayError(Errors.BadRequest, `unknown info field ${field}`);
        }
        const count = await cluster.channels.count(app.id, channel);
        const out: Record<string, unknown> = { occupied: count > 0, ...(await channelInfo(app, channel, info)) };
        if (info.has('cache')) {
          const cached = await cluster.cache.get(app.id, channel);
          if (cached) out['cache'] = { event: cached.event, data: cached.data };
        }
        return out;
      },
    },
    {
      method: 'GET',
      path: '/channels/:channel/users',
      name: 'channel_users',
      async handle({ app, params }) {
        const channel = clusterChannel(params);
        if (channelTraits(channel).kind !== 'presence') throw new GatewayError(Errors.BadRequest, 'users are only available for presence channels');
        const members = await cluster.presence.members(app.id, channel);
        return { users: [...members.keys()].map((id) => ({ id })) };
      },
    },
    {
      method: 'GET',
      path: '/channels/:channel/history',
      name: 'channel_history',
      async handle({ app, params, query }) {
        const channel = clusterChannel(params);
        return channelHistory(cluster.history, app, channel, query);
      },
    },
    {
      method: 'POST',
      path: '/users/:user_id/terminate_connections',
      name: 'terminate_connections',
      async handle({ app, params }) {
        requireCluster();
        await cluster.broker.control({ type: 'terminate-user', appId: app.id, userId: params['user_id'] as string });
        return {};
      },
    },
  ];
}
