import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { App } from './apps/app.js';
import { StaticAppStore, type AppStore } from './apps/app-store.js';
import { HttpApi, pusherRoutes } from './backend/http-api.js';
import { endSocketWith, sendError, sendJson } from './edge/http-io.js';
import { Errors, GatewayError } from './protocol/errors.js';
import { QueueConsumer } from './backend/queue-consumer.js';
import { WebhookService } from './backend/webhook-service.js';
import type { ApiObserver, QueueObserver, WebhookObserver } from './seams/observers.js';
import type { Cluster } from './cluster/cluster.js';
import { LocalCluster } from './cluster/local-cluster.js';
import { RedisCluster } from './cluster/redis-cluster.js';
import { Core } from './core/core.js';
import { LogLimiter } from './core/log-limiter.js';
import { combineObservers, type CoreObserver } from './core/observer.js';
import type { Config } from './ops/config.js';
import { WsTransport } from './transport/ws-transport.js';
import { HttpFallback } from './transport/http-fallback/http-fallback.js';
import { SseTransport } from './transport/sse-transport.js';
import { SseTokens } from './backend/sse-authority.js';
import { TrustedProxies } from './edge/client-address.js';

export interface GatewayOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Defaults to the in-memory single-node cluster. */
  readonly cluster?: Cluster;
  readonly observers?: readonly CoreObserver[];
  readonly apiObserver?: ApiObserver;
  readonly webhookObserver?: WebhookObserver;
  readonly queueObserver?: QueueObserver;
  /** Rate limit shared by every refusal and failure line; 10 lines a second per reason when absent. */
  readonly logLimiter?: LogLimiter;
}

/** Builds the App records core uses from validated config. */
export function appsFromConfig(config: Config): AppStore {
  return new StaticAppStore(config.apps.map((a): App => ({ ...a })));
}

/** The scale-out engine named by `adapter`: in memory for one node, or Redis for several. */
export function clusterFromConfig(config: Config, log: Logger): Cluster {
  if (config.adapter === 'local') return new LocalCluster();
  const { url, prefix, heartbeatSeconds, nodeTtlSeconds } = config.redis;
  return new RedisCluster({ url, prefix, heartbeatMs: heartbeatSeconds * 1000, nodeTtlMs: nodeTtlSeconds * 1000, log });
}

/**
 * The composition root: one HTTP server carrying the WebSocket endpoint and the HTTP API, core,
 * and the cluster, started and stopped together.
 */
export class Gateway {
  readonly core: Core;
  readonly apps: AppStore;
  readonly cluster: Cluster;
  readonly server: Server;
  /** Present when some app has webhooks. */
  readonly webhooks: WebhookService | undefined;
  /** Present when `queue.enabled`. */
  readonly queue: QueueConsumer | undefined;
  private readonly ws: WsTransport;
  /** pusher-js's xhr_streaming / xhr_polling sessions; undefined when `httpFallback.enabled` is false. */
  readonly fallback: HttpFallback | undefined;
  /** `GET /sse/{key}` streams; undefined when `sse.enabled` is false. */
  readonly sse: SseTransport | undefined;
  private readonly api: HttpApi;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: GatewayOptions) {
    const { config, log } = options;
    this.apps = appsFromConfig(config);
    this.cluster = options.cluster ?? clusterFromConfig(config, log);
    this.webhooks = WebhookService.fromConfig(config, log, this.cluster, options.webhookObserver);
    const observers = [...(options.observers ?? []), ...(this.webhooks ? [this.webhooks.observer] : [])];
    const logLimiter = options.logLimiter ?? new LogLimiter();
    this.core = new Core(this.apps, this.cluster, combineObservers(observers), log, {
      activityTimeoutSeconds: config.activityTimeoutSeconds,
      pongTimeoutSeconds: config.pongTimeoutSeconds,
      frameOverheadBytes: 4096,
      maxChannelsPerConnection: config.maxChannelsPerConnection,
      maxUserIdLength: 128,
      maxWatchlist: 100,
      logLimiter,
    });
    const trustedProxies = new TrustedProxies(config.trustedProxies);
    this.ws = new WsTransport(this.core.acceptor, {
      trustedProxies,
      pathPrefix: config.pathPrefix,
      maxMessageBytes: config.maxMessageBytes,
      maxBufferedBytes: config.maxBufferedBytes,
    });
    if (config.httpFallback.enabled) {
      this.fallback = new HttpFallback(this.core.acceptor, {
        pathPrefix: config.pathPrefix,
        heartbeatMs: config.httpFallback.heartbeatSeconds * 1000,
        sessionTimeoutMs: config.httpFallback.sessionTimeoutSeconds * 1000,
        abandonGraceMs: config.httpFallback.abandonGraceSeconds * 1000,
        trustedProxies,
        maxBufferedBytes: config.maxBufferedBytes,
        // A send body holds frames as JSON strings, whose escaping can double a frame's size.
        maxSendBytes: config.maxMessageBytes * 2,
        log,
      });
    }
    this.sse = config.sse.enabled
      ? new SseTransport(this.core.acceptor, new SseTokens(this.apps, { log: log.child({ component: 'sse' }), limiter: logLimiter }), { pathPrefix: config.pathPrefix, heartbeatMs: config.sse.heartbeatSeconds * 1000, maxBufferedBytes: config.maxBufferedBytes, trustedProxies, log })
      : undefined;
    const maxEvent = Math.max(...config.apps.map((a) => a.maxEventBytes * Math.max(a.maxBatchSize, 1)));
    this.api = new HttpApi(this.apps, { pathPrefix: config.pathPrefix, maxBodyBytes: maxEvent + 64 * 1024, log: log.child({ component: 'api' }), logLimiter }, options.apiObserver);
    for (const route of pusherRoutes(this.core)) this.api.add(route);
    const q = config.queue;
    this.queue = q.enabled
      ? new QueueConsumer(
          this.apps,
          this.core,
          {
            redisUrl: q.redisUrl ?? config.redis.url,
            stream: q.stream,
            group: q.group,
            consumer: q.consumer ?? `${hostname()}-${process.pid}`,
            deadLetterStream: q.deadLetterStream,
            keyPrefix: config.redis.prefix,
            dedupeWindowSeconds: q.dedupeWindowSeconds,
            claimIdleMs: q.claimIdleSeconds * 1000,
          },
          log.child({ component: 'queue' }),
          options.queueObserver,
        )
      : undefined;
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      // Handlers parse the target with `new URL`, which throws on e.g. `http://[x`: refuse it here.
      if (!URL.canParse(req.url ?? '/', 'http://localhost')) {
        endSocketWith(socket, Errors.BadRequest);
        return;
      }
      if (!this.ws.handleUpgrade(req, socket, head)) {
        endSocketWith(socket, Errors.PathNotFound);
      }
    });
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) endSocketWith(socket, Errors.BadRequest);
      else socket.destroy();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    // Handlers parse the target with `new URL`, which throws on e.g. `http://[x`: refuse it here.
    if (!URL.canParse(req.url ?? '/', 'http://localhost')) {
      sendError(res, new GatewayError(Errors.BadRequest, 'malformed request target'));
      return;
    }
    if (this.fallback?.handle(req, res)) return;
    if (this.sse?.handle(req, res)) return;
    if (this.api.handle(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' || path === `${this.options.config.pathPrefix}/health`) {
      const queue = this.queue?.health();
      const healthy = this.cluster.healthy() && queue?.state !== 'down';
      sendJson(res, 200, {
        status: this.core.draining ? 'draining' : healthy ? 'ok' : 'degraded',
        connections: this.core.connectionCount(),
        ...(queue ? { queue } : {}),
      });
      return;
    }
    sendError(res, new GatewayError(Errors.NotFound, `no route ${req.method ?? ''} ${path ?? ''}`));
  }

  /** Starts listening; resolves with the bound address. */
  async start(): Promise<AddressInfo> {
    await this.core.start();
    // Not awaited: with Redis down the queue retries in the background while sockets are served.
    this.queue?.start();
    const { host, port } = this.options.config;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /**
   * Graceful stop: refuse new connections, close sockets with 4200 (clients reconnect elsewhere),
   * let in-flight API requests finish (bounded by shutdownTimeoutSeconds), then release the cluster.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.queue?.stop();
    this.ws.close();
    this.core.drain();
    this.fallback?.close();
    this.sse?.close();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.config.shutdownTimeoutSeconds * 1000).unref());
    await Promise.race([this.api.idle(), timeout]);
    this.server.closeIdleConnections();
    await Promise.race([closed, timeout]);
    this.server.closeAllConnections();
    // The drained connections' departures (presence leaves, counts) reach the cluster and the
    // observers before the webhooks close; with Redis they take a round trip or two.
    await Promise.race([this.core.settled(), timeout]);
    // Webhooks queued by the departures above get a short, bounded chance to go out.
    await this.webhooks?.close(Math.min(2000, this.options.config.shutdownTimeoutSeconds * 1000));
    await this.cluster.close();
  }
}
